import { describe, expect, it } from "vitest";
import { ManualClock } from "./clock.js";
import { InvalidInputError, isRetryable } from "./errors.js";
import { retryUntil } from "./retry-until.js";

describe("retryUntil", () => {
  it("repeats a failing call with doubling delays, capped, until it succeeds", async () => {
    const clock = new ManualClock(0);
    const calls: number[] = [];
    const failures: unknown[] = [];
    const result = retryUntil(
      async () => {
        calls.push(clock.now());
        if (calls.length < 5) throw new Error(`try ${calls.length}`);
        return "done";
      },
      { initialDelayMs: 10, maxDelayMs: 40, onFailure: (err) => failures.push(err), clock },
    );
    await clock.advance(1_000);
    expect(await result).toEqual({ ok: true, value: "done" });
    expect(failures.map((e) => (e as Error).message)).toEqual(["try 1", "try 2", "try 3", "try 4"]);
    // Waits of 10, 20, 40 and 40 ms (capped).
    expect(calls).toEqual([0, 10, 30, 70, 110]);
  });

  it("does not try again before the delay has passed", async () => {
    const clock = new ManualClock(0);
    let tries = 0;
    void retryUntil(
      async () => {
        tries++;
        throw new Error("down");
      },
      { initialDelayMs: 200, maxDelayMs: 5_000, clock, giveUp: () => tries >= 3 },
    );
    await clock.advance(199);
    expect(tries).toBe(1);
    await clock.advance(1);
    expect(tries).toBe(2);
    await clock.advance(400);
    expect(tries).toBe(3);
  });

  it("stops with the last error once giveUp says so, without another try", async () => {
    const clock = new ManualClock(0);
    let tries = 0;
    let stop = false;
    const result = retryUntil(
      async () => {
        tries++;
        stop = tries === 2;
        throw new Error(`try ${tries}`);
      },
      { initialDelayMs: 1, maxDelayMs: 1, giveUp: () => stop, clock },
    );
    await clock.advance(100);
    expect(tries).toBe(2);
    const settled = await result;
    expect(settled.ok).toBe(false);
    expect(!settled.ok && (settled.error as Error).message).toBe("try 2");
  });

  it("runs afterWait between tries and ends after timeoutMs", async () => {
    const clock = new ManualClock(0);
    let waits = 0;
    const result = retryUntil(() => Promise.reject(new Error("down")), { initialDelayMs: 5, maxDelayMs: 5, timeoutMs: 30, afterWait: async () => void waits++, clock });
    await clock.advance(100);
    expect((await result).ok).toBe(false);
    // Tries at 0, 5, ... 30; the one at 30 is past the deadline and ends it.
    expect(waits).toBe(6);
  });

  it("ends at once with an error its classifier says cannot be helped, without telling onFailure or waiting", async () => {
    const clock = new ManualClock(0);
    const failures: unknown[] = [];
    let tries = 0;
    const refused = new InvalidInputError("not an event");
    const result = retryUntil(
      async () => {
        tries++;
        throw tries === 1 ? new Error("blip") : refused;
      },
      { initialDelayMs: 50, maxDelayMs: 50, isRetryable, onFailure: (err) => failures.push(err), clock },
    );
    await clock.advance(50);
    expect(await result).toEqual({ ok: false, error: refused, retryable: false });
    expect(tries).toBe(2);
    expect(failures).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });
});
