import { describe, expect, it } from "vitest";
import { InFlightBudget } from "./in-flight-budget.js";

function deferred() {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("InFlightBudget", () => {
  it("is full at either limit and releases a job when its work settles, whichever way", async () => {
    const budget = new InFlightBudget({ maxJobs: 2, maxBytes: 100 });
    const a = deferred();
    const b = deferred();
    const heldA = budget.hold(10, a.promise);
    expect(budget.isFull()).toBe(false);
    const heldB = budget.hold(10, b.promise);
    expect(budget.isFull()).toBe(true);
    expect(budget.bytes).toBe(20);

    const released = budget.nextRelease();
    b.reject(new Error("failed"));
    await expect(heldB).rejects.toThrow("failed");
    await released;
    expect(budget.jobs).toBe(1);
    expect(budget.isFull()).toBe(false);

    a.resolve();
    await heldA;
    expect(budget.jobs).toBe(0);
    expect(budget.bytes).toBe(0);
  });

  it("counts bytes: one large job fills it, half the bytes make it half full", async () => {
    const budget = new InFlightBudget({ maxJobs: 100, maxBytes: 100 });
    const small = deferred();
    budget.hold(49, small.promise);
    expect(budget.isHalfFullByBytes()).toBe(false);
    const large = deferred();
    budget.hold(60, large.promise);
    expect(budget.isHalfFullByBytes()).toBe(true);
    expect(budget.isFull()).toBe(true);
    small.resolve();
    large.resolve();
    await budget.drain();
    expect(budget.bytes).toBe(0);
  });
});
