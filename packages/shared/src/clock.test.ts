import { describe, expect, it } from "vitest";
import { ManualClock, systemClock } from "./clock.js";

describe("ManualClock", () => {
  it("fires sleeps in time order as it advances, and only those due", async () => {
    const clock = new ManualClock(1_000);
    const woke: string[] = [];
    void clock.sleep(300).then(() => woke.push(`b@${clock.now()}`));
    void clock.sleep(100).then(() => woke.push(`a@${clock.now()}`));
    void clock.sleep(900).then(() => woke.push("late"));
    await clock.advance(500);
    expect(woke).toEqual(["a@1100", "b@1300"]);
    expect(clock.now()).toBe(1_500);
    expect(clock.pending).toBe(1);
  });

  it("repeats an interval until stopped, and a sleep chained in a callback fires within the same advance", async () => {
    const clock = new ManualClock(0);
    const ticks: number[] = [];
    const stop = clock.every(100, () => ticks.push(clock.now()));
    let chained = -1;
    void clock.sleep(50).then(async () => {
      await clock.sleep(50);
      chained = clock.now();
    });
    await clock.advance(350);
    expect(ticks).toEqual([100, 200, 300]);
    expect(chained).toBe(100);
    stop();
    await clock.advance(1_000);
    expect(ticks).toHaveLength(3);
  });

  it("ends a sleep early when its signal aborts", async () => {
    const clock = new ManualClock(0);
    const abort = new AbortController();
    const slept = clock.sleep(10_000, abort.signal);
    abort.abort();
    await slept;
    expect(clock.now()).toBe(0);
    expect(clock.pending).toBe(0);
  });
});

describe("systemClock", () => {
  it("sleeps no less than asked, and a signal ends the sleep", async () => {
    const started = Date.now();
    await systemClock.sleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(19);
    const abort = new AbortController();
    const long = systemClock.sleep(60_000, abort.signal);
    abort.abort();
    await long;
  });
});
