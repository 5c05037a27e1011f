import { describe, expect, it } from "vitest";
import { ConcurrencyGate } from "./concurrency-gate.js";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("ConcurrencyGate", () => {
  it("runs at most maxPerKey per endpoint, queues the rest, and overflows past the queue", async () => {
    const gate = new ConcurrencyGate({ maxTotal: 100, maxPerKey: 2, maxQueuedPerKey: 1 });
    const slow = [deferred(), deferred(), deferred()];
    const started: number[] = [];
    const results = slow.map((d, i) => gate.submit("slow", async () => { started.push(i); await d.promise; }));
    expect(results).toEqual(["accepted", "accepted", "accepted"]);
    expect(gate.submit("slow", async () => undefined)).toBe("overflow");
    expect(started).toEqual([0, 1]);

    // Another endpoint is not held back by the slow one.
    let otherRan = false;
    expect(gate.submit("other", async () => { otherRan = true; })).toBe("accepted");
    await Promise.resolve();
    expect(otherRan).toBe(true);

    slow[0]!.resolve();
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    slow[1]!.resolve();
    slow[2]!.resolve();
    await gate.drain();
    expect(gate.size).toBe(0);
  });

  it("makes callers wait when the total is reached", async () => {
    const gate = new ConcurrencyGate({ maxTotal: 2, maxPerKey: 10, maxQueuedPerKey: 10 });
    const d = [deferred(), deferred()];
    gate.submit("a", () => d[0]!.promise);
    gate.submit("b", () => d[1]!.promise);
    let admitted = false;
    const waiting = gate.waitForCapacity().then(() => (admitted = true));
    await new Promise((r) => setImmediate(r));
    expect(admitted).toBe(false);
    d[0]!.resolve();
    await waiting;
    expect(admitted).toBe(true);
    d[1]!.resolve();
    await gate.drain();
  });
});
