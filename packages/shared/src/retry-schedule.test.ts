import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_DELAYS_MS, deferredBy, MAX_RETRY_AFTER_MS, nextStep, parseDuration, parseRetryAfter, parseRetryDelays } from "./retry-schedule.js";

describe("retry schedule", () => {
  it("defaults to the user guide's 1m, 5m, 30m, 2h, 12h", () => {
    expect(DEFAULT_RETRY_DELAYS_MS).toEqual([60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 12 * 3_600_000]);
  });

  it("sends failed attempt n to tier n, due delays[n] after the failure", () => {
    const failedAt = 1_000_000;
    expect(nextStep(0, failedAt, DEFAULT_RETRY_DELAYS_MS)).toEqual({ kind: "retry", retry: 1, tier: 0, dueAt: failedAt + 60_000 });
    expect(nextStep(4, failedAt, DEFAULT_RETRY_DELAYS_MS)).toEqual({ kind: "retry", retry: 5, tier: 4, dueAt: failedAt + 43_200_000 });
  });

  it("dead-letters when retry 5 fails: six attempts in all", () => {
    expect(nextStep(5, 0, DEFAULT_RETRY_DELAYS_MS)).toEqual({ kind: "dead-letter" });
    const attempts = [0, 1, 2, 3, 4, 5].map((a) => nextStep(a, 0, DEFAULT_RETRY_DELAYS_MS).kind);
    expect(attempts).toEqual(["retry", "retry", "retry", "retry", "retry", "dead-letter"]);
  });
});

describe("RETRY_DELAYS parsing", () => {
  it("accepts ms, s, m and h", () => {
    expect(parseRetryDelays("1s,2s,3s,4s,5s")).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(parseRetryDelays("250ms, 1m,1h,2h,0.5s")).toEqual([250, 60_000, 3_600_000, 7_200_000, 500]);
  });

  it("refuses anything but exactly five positive durations", () => {
    expect(() => parseRetryDelays("1s,2s,3s,4s")).toThrow(/exactly 5/);
    expect(() => parseRetryDelays("1s,2s,3s,4s,5s,6s")).toThrow(/exactly 5/);
    expect(() => parseRetryDelays("1s,2s,3s,4s,5")).toThrow(/"5" is not a duration/);
    expect(() => parseDuration("0s")).toThrow(/greater than zero/);
    expect(() => parseDuration("-1s")).toThrow(/not a duration/);
    expect(() => parseDuration("1w")).toThrow(/not a duration/);
  });
});

describe("Retry-After", () => {
  const now = Date.parse("2026-03-20T12:00:00Z");

  it("reads delay-seconds and HTTP dates, capped at 12 h, and ignores anything else", () => {
    expect(parseRetryAfter("3", now)).toBe(3_000);
    expect(parseRetryAfter(" 120 ", now)).toBe(120_000);
    expect(parseRetryAfter("Fri, 20 Mar 2026 12:00:05 GMT", now)).toBe(5_000);
    expect(parseRetryAfter("Fri, 20 Mar 2026 11:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("999999", now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter("-5", now)).toBeNull();
    expect(parseRetryAfter("2026-03-20T12:00:05Z", now)).toBeNull();
  });

  it("pushes a retry to the later of ladder and header, on the shortest tier that covers the wait", () => {
    const delays = [1_000, 2_000, 3_000, 4_000, 5_000];
    const step = nextStep(0, now, delays);
    if (step.kind !== "retry") throw new Error("expected a retry");
    expect(deferredBy(step, now, null, delays)).toEqual(step);
    expect(deferredBy(step, now, 500, delays)).toEqual(step);
    expect(deferredBy(step, now, 3_000, delays)).toEqual({ kind: "retry", retry: 1, tier: 2, dueAt: now + 3_000 });
    // Longer than every tier: the last tier, due when the header says.
    expect(deferredBy(step, now, 60_000, delays)).toEqual({ kind: "retry", retry: 1, tier: 4, dueAt: now + 60_000 });
  });
});
