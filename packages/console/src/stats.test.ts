import { describe, expect, it } from "vitest";
import type { StatsBucket } from "./api.js";
import { formatRate, statsQuery, statsSeries, summarize } from "./stats.js";

const bucket = (start: string, attempts: number, succeeded: number, p50: number, p95: number): StatsBucket => ({
  start,
  attempts,
  succeeded,
  failed: attempts - succeeded,
  byOutcome: { "2xx": succeeded, "3xx": 0, "4xx": 0, "5xx": attempts - succeeded, timeout: 0, connection: 0 },
  latencyMs: { p50, p95, p99: p95 },
});

describe("statistics on the page", () => {
  const now = Date.parse("2026-12-07T13:47:31Z");

  it("asks for the period's buckets up to the one holding now", () => {
    expect(statsQuery("hour", now)).toEqual({ interval: "minute", from: "2026-12-07T12:48:00.000Z", to: "2026-12-07T13:48:00.000Z" });
    expect(statsQuery("day", now)).toEqual({ interval: "hour", from: "2026-12-06T14:00:00.000Z", to: "2026-12-07T14:00:00.000Z" });
    expect(statsQuery("week", now)).toEqual({ interval: "hour", from: "2026-11-30T14:00:00.000Z", to: "2026-12-07T14:00:00.000Z" });
  });

  it("charts every bucket of the period, empty ones without a rate or latency", () => {
    const query = statsQuery("hour", now);
    const series = statsSeries([bucket("2026-12-07T12:50:00.000Z", 4, 3, 20, 90), bucket("2026-12-07T13:47:00.000Z", 1, 1, 5, 5)], query);
    expect(series).toHaveLength(60);
    expect(series[2]).toEqual({ start: Date.parse("2026-12-07T12:50:00Z"), attempts: 4, successRate: 0.75, p50: 20, p95: 90 });
    expect(series[59]!.successRate).toBe(1);
    expect(series.filter((p) => p.successRate === null)).toHaveLength(58);
  });

  it("sums a period: exact success rate, the attempt-weighted median p50, the highest p95", () => {
    expect(summarize([bucket("2026-12-07T12:50:00.000Z", 10, 9, 400, 900), bucket("2026-12-07T12:51:00.000Z", 30, 30, 20, 50)])).toEqual({
      attempts: 40,
      succeeded: 39,
      successRate: 39 / 40,
      p50: 20,
      p95Max: 900,
    });
    expect(summarize([])).toEqual({ attempts: 0, succeeded: 0, successRate: null, p50: null, p95Max: null });
    expect([formatRate(1), formatRate(0.975), formatRate(0.99999), formatRate(0)]).toEqual(["100 %", "97.5 %", "99.9 %", "0 %"]);
  });
});
