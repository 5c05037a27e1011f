import { describe, expect, it } from "vitest";
import { healthyEndpointsKept, latencyBySecond, latencySummary, percentile, percentOfCeiling, retryLateness, scenarioLines, type Result } from "./report.js";

const result = (overrides: Partial<Result>): Result => ({
  scenario: "healthy",
  offeredEventsPerSecond: 4000,
  webhooks: 50,
  produced: 20_000,
  deliveries: 20_000,
  deliveriesPerSecond: 1000,
  healthyDeliveriesPerSecond: 1000,
  perHealthyEndpointPerSecond: 20,
  dispatcherOutcomes: {},
  latencyMs: { p50: 30, p95: 80, p99: 120, max: 200, count: 20_000 },
  steadyLatencyMs: { p50: 25, p95: 60, p99: 90, max: 150, count: 15_000 },
  services: {
    dispatcher: { peakRssMb: 180, rssEvery10sMb: [170], avgCpuPercent: 60, rssStartMb: 120, rssEndMb: 175 },
    fanout: { peakRssMb: 140, rssEvery10sMb: [130], avgCpuPercent: 20, rssStartMb: 110, rssEndMb: 135 },
  },
  ...overrides,
});

describe("latency summaries", () => {
  it("takes the nearest-rank percentile of sorted values, and null of none", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(51);
    expect(percentile(sorted, 99)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  it("sorts the latencies numerically, not as strings", () => {
    expect(latencySummary([100, 9, 20, 3])).toEqual({ p50: 20, p95: 100, p99: 100, max: 100, count: 4 });
    expect(latencySummary([])).toEqual({ p50: null, p95: null, p99: null, max: null, count: 0 });
  });

  it("splits latencies by the second their event was produced in, from the start of the measured window", () => {
    const began = 10_000;
    // One event from the warm-up (before `began`) is left out.
    const producedAt = [9_999, 10_000, 10_500, 10_999, 11_000, 12_400];
    const latencies = [999, 10, 30, 20, 40, 50];
    const fanoutLags = new Map([[0, [5, 7]]]);
    expect(latencyBySecond(producedAt, latencies, began, fanoutLags)).toEqual([
      { second: 0, deliveries: 3, p99Ms: 30, fanoutP99Ms: 7 },
      { second: 1, deliveries: 1, p99Ms: 40, fanoutP99Ms: null },
      { second: 2, deliveries: 1, p99Ms: 50, fanoutP99Ms: null },
    ]);
  });
});

describe("retryLateness", () => {
  it("measures each retry against the delay configured for it, and counts those within 1 s of due", () => {
    const delays = [1000, 2000, 3000];
    const times = {
      // Retries 100 ms and 300 ms late.
      dlv_a: [0, 1_100, 3_400],
      // 1.5 s late: not within 1 s.
      dlv_b: [0, 2_500],
      // 60 ms early: counted as not within (early by more than 50 ms).
      dlv_c: [0, 940],
      // Never retried: no lateness.
      dlv_d: [0],
    };
    expect(retryLateness(times, delays)).toEqual({ p50: 300, p99: 1500, max: 1500, retries: 4, withinOneSecond: 2 });
  });
});

describe("a scenario's summary", () => {
  const ceilings = { httpRequestsPerSecond: 8000, kafka: { produce: 40_000, consume: 200_000 }, databaseLogInsertsPerSecond: 2500 };

  it("gives the deliveries as a percentage of each ceiling, to a tenth", () => {
    expect(percentOfCeiling(1000, ceilings)).toEqual({ http: 12.5, kafkaProduce: 2.5, kafkaConsume: 0.5, databaseLogInserts: 40 });
  });

  it("compares slow's healthy endpoints with healthy's of the same run, and nothing else", () => {
    const healthy = result({ perHealthyEndpointPerSecond: 22.7 });
    const slow = result({ scenario: "slow", perHealthyEndpointPerSecond: 20.7 });
    expect(healthyEndpointsKept(slow, [healthy, slow])).toBe(91.2);
    expect(healthyEndpointsKept(slow, [slow])).toBeNull();
    expect(healthyEndpointsKept(healthy, [healthy])).toBeNull();
  });

  it("prints throughput, ceilings, latency and peak RSS on one line", () => {
    const lines = scenarioLines(result({ percentOfCeiling: percentOfCeiling(1000, ceilings) }), null);
    expect(lines).toEqual([
      "healthy: 1000 deliveries/s = 12.5% of raw HTTP, 40% of log inserts, 2.5% of Kafka produce, 0.5% of consume; latency p50 30 ms, p99 120 ms; peak RSS dispatcher 180 MB, fanout 140 MB",
    ]);
  });

  it("adds slow's isolation, paced's steady p99 and its first seconds", () => {
    expect(scenarioLines(result({ scenario: "slow" }), 91.2)[0]).toContain("slow: 1000 deliveries/s (healthy endpoints: 20/s each = 91.2% of their rate in healthy); latency");
    const paced = scenarioLines(
      result({
        scenario: "paced",
        latencyBySecond: [
          { second: 0, deliveries: 500, p99Ms: 140, fanoutP99Ms: 40 },
          { second: 1, deliveries: 500, p99Ms: 90, fanoutP99Ms: null },
        ],
      }),
      null,
    );
    expect(paced[0]).toContain("latency p50 30 ms, p99 120 ms (after the first 5 s: p99 90 ms); peak RSS");
    expect(paced[1]).toBe("  p99 ms by second produced, whole / produce-to-fanout: 0s 140/40, 1s 90/null");
  });
});
