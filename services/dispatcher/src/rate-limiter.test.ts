import type { Clock } from "@agiletune/shared";
import { describe, expect, it } from "vitest";
import { RateLimiter } from "./rate-limiter.js";

/** A clock whose sleeps pass at once: what the limiter decides, not how long it takes. */
function virtualClock(): Clock {
  let now = 0;
  return { now: () => now, sleep: async (ms: number) => void (now += ms), every: () => () => undefined };
}

describe("RateLimiter", () => {
  it("never lets more than the limit through in any window of one second", async () => {
    const clock = virtualClock();
    const limiter = new RateLimiter({ clock, marginMs: 0 });
    const sentAt: number[] = [];
    for (let i = 0; i < 23; i++) {
      await limiter.acquire("wh_1", 5);
      sentAt.push(clock.now());
    }
    for (const t of sentAt) expect(sentAt.filter((u) => u >= t && u < t + 1_000).length).toBeLessThanOrEqual(5);
    // And it does not wait longer than it must: 23 sends at 5/s take four full windows.
    expect(clock.now()).toBe(4_000);
  });

  it("limits each webhook on its own and lets an unlimited one through at once", async () => {
    const clock = virtualClock();
    const limiter = new RateLimiter({ clock, marginMs: 0 });
    for (let i = 0; i < 3; i++) await limiter.acquire("slow", 1);
    expect(clock.now()).toBe(2_000);
    const before = clock.now();
    for (let i = 0; i < 100; i++) await limiter.acquire("free", null);
    expect(clock.now()).toBe(before);
  });

  it("holds every limited webhook for one window after holdAll (a rebalance)", async () => {
    const clock = virtualClock();
    const waits: number[] = [];
    const limiter = new RateLimiter({ clock, marginMs: 50, onWait: (_id, ms) => waits.push(ms) });
    limiter.holdAll();
    await limiter.acquire("wh_1", 100);
    expect(clock.now()).toBe(1_050);
    expect(waits).toEqual([1_050]);
  });

  it("forgets webhooks it has not sent to for a while, so it holds only those in use", async () => {
    const clock = virtualClock();
    const limiter = new RateLimiter({ clock, marginMs: 0 });
    for (let i = 0; i < 50; i++) await limiter.acquire(`wh_${i}`, 5);
    expect(limiter.tracked).toBe(50);
    await clock.sleep(61_000);
    await limiter.acquire("wh_new", 5);
    expect(limiter.tracked).toBe(1);
  });
});
