import { describe, expect, it } from "vitest";
import { waitFor } from "./wait-for.js";

describe("waitFor", () => {
  it("returns the condition's first truthy value, as soon as there is one", async () => {
    let calls = 0;
    const started = Date.now();
    expect(await waitFor(() => (++calls >= 3 ? { calls } : null), { interval: 5 })).toEqual({ calls: 3 });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("keeps trying through errors, and fails at the deadline naming what it waited for and the last error", async () => {
    let calls = 0;
    const waiting = waitFor(
      () => {
        calls++;
        throw new Error(`not yet (${calls})`);
      },
      { timeout: 100, interval: 10, message: () => `the answer after ${calls} tries` },
    );
    await expect(waiting).rejects.toThrow(/^waitFor: the answer after \d+ tries not met within 100 ms; last error: not yet \(\d+\)$/);
    expect(calls).toBeGreaterThan(2);
  });

  it("fails when the condition never holds", async () => {
    await expect(waitFor(async () => false, { timeout: 50 })).rejects.toThrow("waitFor: condition not met within 50 ms");
  });
});
