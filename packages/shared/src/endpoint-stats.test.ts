import { describe, expect, it } from "vitest";
import { addAttempt, bucketStart, emptyTally, LATENCY_BUCKET_NAMES, latencyPercentiles, mergeTally, outcomeClassOf, type OutcomeClass } from "./endpoint-stats.js";

describe("outcomeClassOf", () => {
  it("names a status by its hundreds, a timeout, or no answer; an unsigned attempt is not counted", () => {
    expect(outcomeClassOf({ status: 204, errorCode: null })).toBe("2xx");
    expect(outcomeClassOf({ status: 302, errorCode: "http_status" })).toBe("3xx");
    expect(outcomeClassOf({ status: 410, errorCode: "gone" })).toBe("4xx");
    expect(outcomeClassOf({ status: 503, errorCode: "http_status" })).toBe("5xx");
    expect(outcomeClassOf({ status: 600, errorCode: "http_status" })).toBe("5xx");
    expect(outcomeClassOf({ status: null, errorCode: "timeout" })).toBe("timeout");
    expect(outcomeClassOf({ status: null, errorCode: "connection_failed" })).toBe("connection");
    expect(outcomeClassOf({ status: null, errorCode: "dns_failed" })).toBe("connection");
    expect(outcomeClassOf({ status: null, errorCode: "unsignable" })).toBeNull();
  });
});

describe("tallies", () => {
  it("count attempts, successes, classes and latency buckets, and add up", () => {
    const a = emptyTally();
    const attempts: Array<[OutcomeClass, number]> = [
      ["2xx", 3],
      ["2xx", 10],
      ["5xx", 11],
      ["timeout", 30_001],
    ];
    for (const [outcome, durationMs] of attempts) addAttempt(a, { outcome, durationMs });
    expect(a).toMatchObject({ attempts: 4, succeeded: 2, byOutcome: { "2xx": 2, "5xx": 1, timeout: 1, "4xx": 0 }, maxMs: 30_001 });
    // 3 and 10 ms in le10 (bounds are inclusive), 11 in le25, 30 001 in the open bucket.
    expect(Object.fromEntries(LATENCY_BUCKET_NAMES.map((name, i) => [name, a.latency[i]]).filter(([, n]) => n))).toEqual({ le10: 2, le25: 1, over: 1 });
    const b = emptyTally();
    addAttempt(b, { outcome: "4xx", durationMs: 40 });
    mergeTally(b, a);
    expect(b).toMatchObject({ attempts: 5, succeeded: 2, byOutcome: { "4xx": 1, "2xx": 2 }, maxMs: 30_001 });
    expect(b.latency.reduce((x, y) => x + y, 0)).toBe(5);
  });
});

describe("latencyPercentiles", () => {
  it("falls in the bucket holding each rank, never above the slowest attempt", () => {
    const t = emptyTally();
    // 90 fast (le50), 9 at 400 ms (le500), 1 timeout at 31 s.
    for (let i = 0; i < 90; i++) addAttempt(t, { outcome: "2xx", durationMs: 30 });
    for (let i = 0; i < 9; i++) addAttempt(t, { outcome: "5xx", durationMs: 400 });
    addAttempt(t, { outcome: "timeout", durationMs: 31_000 });
    const { p50, p95, p99 } = latencyPercentiles(t.latency, t.maxMs);
    expect(p50).toBeGreaterThan(25);
    expect(p50).toBeLessThanOrEqual(50);
    expect(p95).toBeGreaterThan(250);
    expect(p95).toBeLessThanOrEqual(500);
    expect(p99).toBeGreaterThan(250);
    expect(p99).toBeLessThanOrEqual(500);
    expect(latencyPercentiles(t.latency, t.maxMs)).toEqual(latencyPercentiles([...t.latency], t.maxMs));
  });

  it("gives the slowest attempt's time for ranks in the open bucket, and zeros when empty", () => {
    const t = emptyTally();
    addAttempt(t, { outcome: "timeout", durationMs: 45_000 });
    expect(latencyPercentiles(t.latency, t.maxMs)).toEqual({ p50: 37_500, p95: 44_250, p99: 44_850 });
    const one = emptyTally();
    addAttempt(one, { outcome: "2xx", durationMs: 7 });
    expect(latencyPercentiles(one.latency, one.maxMs)).toEqual({ p50: 4, p95: 7, p99: 7 });
    expect(latencyPercentiles(emptyTally().latency, 0)).toEqual({ p50: 0, p95: 0, p99: 0 });
  });
});

describe("bucketStart", () => {
  it("floors to the UTC minute, hour and day", () => {
    const at = Date.parse("2026-12-07T13:47:31.250Z");
    expect(new Date(bucketStart(at, "minute")).toISOString()).toBe("2026-12-07T13:47:00.000Z");
    expect(new Date(bucketStart(at, "hour")).toISOString()).toBe("2026-12-07T13:00:00.000Z");
    expect(new Date(bucketStart(at, "day")).toISOString()).toBe("2026-12-07T00:00:00.000Z");
  });
});
