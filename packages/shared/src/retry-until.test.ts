import { describe, expect, it } from "vitest";
import { retryUntil } from "./retry-until.js";

describe("retryUntil", () => {
  it("repeats a failing call with doubling delays until it succeeds", async () => {
    const calls: number[] = [];
    const start = Date.now();
    const failures: unknown[] = [];
    const result = await retryUntil(
      async () => {
        calls.push(Date.now() - start);
        if (calls.length < 4) throw new Error(`try ${calls.length}`);
        return "done";
      },
      { initialDelayMs: 10, maxDelayMs: 20, onFailure: (err) => failures.push(err) },
    );
    expect(result).toEqual({ ok: true, value: "done" });
    expect(failures.map((e) => (e as Error).message)).toEqual(["try 1", "try 2", "try 3"]);
    // Waits of 10, 20 and 20 ms (capped): at least 50 ms before the fourth try.
    expect(calls[3]!).toBeGreaterThanOrEqual(48);
  });

  it("stops with the last error once giveUp says so, without another try", async () => {
    let tries = 0;
    let stop = false;
    const result = await retryUntil(
      async () => {
        tries++;
        stop = tries === 2;
        throw new Error(`try ${tries}`);
      },
      { initialDelayMs: 1, maxDelayMs: 1, giveUp: () => stop },
    );
    expect(tries).toBe(2);
    expect(result.ok).toBe(false);
    expect(!result.ok && (result.error as Error).message).toBe("try 2");
  });

  it("runs afterWait between tries and ends after timeoutMs", async () => {
    let waits = 0;
    const result = await retryUntil(() => Promise.reject(new Error("down")), { initialDelayMs: 5, maxDelayMs: 5, timeoutMs: 30, afterWait: async () => void waits++ });
    expect(result.ok).toBe(false);
    expect(waits).toBeGreaterThanOrEqual(2);
    expect(waits).toBeLessThan(20);
  });
});
