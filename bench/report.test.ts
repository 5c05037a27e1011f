import { describe, expect, it } from "vitest";
import type { DeadStats } from "./receiver.js";
import {
  arrivalsPerInterval,
  cpuPerDelivery,
  deadLine,
  deadSummary,
  healthyEndpointsKept,
  latencyBySecond,
  latencySummary,
  percentile,
  percentOfCeiling,
  retryLateness,
  scenarioLines,
  type Result,
} from "./report.js";

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
    dispatcher: { peakRssMb: 180, rssEvery10sMb: [170], avgCpuPercent: 60, cpuSeconds: 12, rssStartMb: 120, rssEndMb: 175 },
    fanout: { peakRssMb: 140, rssEvery10sMb: [130], avgCpuPercent: 20, cpuSeconds: 4, rssStartMb: 110, rssEndMb: 135 },
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

describe("cpuPerDelivery", () => {
  const usage = (cpuSeconds: number) => ({ peakRssMb: 0, rssEvery10sMb: [], avgCpuPercent: 0, cpuSeconds, rssStartMb: 0, rssEndMb: 0 });
  it("divides each process's CPU time by the deliveries, in ms", () => {
    expect(cpuPerDelivery({ dispatcher: usage(12), ferretdb: usage(8) }, 20_000)).toEqual({ dispatcher: 0.6, ferretdb: 0.4 });
  });
  it("adds up the dispatcher instances when there are several", () => {
    expect(cpuPerDelivery({ dispatcher: usage(7), "dispatcher#2": usage(6), fanout: usage(2) }, 20_000)).toEqual({ dispatcher: 0.35, "dispatcher#2": 0.3, fanout: 0.1, dispatchers: 0.65 });
  });
});

describe("arrivalsPerInterval", () => {
  it("counts deliveries by when they arrived (produced at + latency), from the start of the measured window", () => {
    const began = 10_000;
    // Arrivals at 9_999 (before the window: left out), 10_000 and 14_999 (first 5 s), 15_000 (next), none in 20-25 s, 27_000.
    const producedAt = [9_000, 9_990, 12_000, 14_000, 25_000];
    const latencies = [999, 10, 2_999, 1_000, 2_000];
    expect(arrivalsPerInterval(producedAt, latencies, began, 5)).toEqual([2, 1, 0, 1]);
    expect(arrivalsPerInterval([], [], began, 5)).toEqual([]);
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

  it("compares slow's and dead's healthy endpoints with healthy's of the same run, and nothing else", () => {
    const healthy = result({ perHealthyEndpointPerSecond: 22.7 });
    const slow = result({ scenario: "slow", perHealthyEndpointPerSecond: 20.7 });
    const dead = result({ scenario: "dead", perHealthyEndpointPerSecond: 23.1 });
    expect(healthyEndpointsKept(slow, [healthy, slow])).toBe(91.2);
    expect(healthyEndpointsKept(dead, [healthy, slow, dead])).toBe(101.8);
    expect(healthyEndpointsKept(slow, [slow])).toBeNull();
    expect(healthyEndpointsKept(healthy, [healthy])).toBeNull();
    expect(healthyEndpointsKept(result({ scenario: "failing" }), [healthy])).toBeNull();
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

describe("the dead scenario's account", () => {
  // Load began at 1000; the endpoints came back at 11_000.
  const began = 1_000;
  const dead: DeadStats = {
    revivedAt: 11_000,
    endpoints: [
      // Three deliveries, two of them parked; one arrived twice.
      { path: "/dead/0", port: 40001, connectionsWhileDown: 12, requests: 4, duplicates: 1, firstArrivalAt: { d1: 14_000, d2: 15_500, d3: 13_000 } },
      // One parked delivery never arrived, nor did its other one.
      { path: "/dead/1", port: 40002, connectionsWhileDown: 9, requests: 1, duplicates: 0, firstArrivalAt: { e1: 16_000 } },
    ],
  };
  const expected = { "/dead/0": 3, "/dead/1": 3 };
  const parked = { "/dead/0": ["d1", "d2"], "/dead/1": ["e1", "e2"] };
  const counts = {
    "parked:parked": 420,
    "parked:released": 410,
    "probes:failure": 4,
    "probes:success": 2,
    "attempts:failure": 21,
    circuitsOpen: 1,
    "notifications:webhook.failing": 2,
    "notifications:webhook.recovered": 1,
    succeeded: 5000,
  };

  it("adds up each endpoint: connections while down, distinct deliveries, duplicates, parked, times from recovery", () => {
    const summary = deadSummary(dead, expected, parked, counts, began);
    expect(summary.perEndpoint).toEqual([
      {
        path: "/dead/0",
        connectionsWhileDown: 12,
        delivered: 3,
        expected: 3,
        duplicates: 1,
        parked: 2,
        parkedDelivered: 2,
        firstDeliveryAfterRecoveryMs: 2_000,
        lastParkedDeliveryAfterRecoveryMs: 4_500,
      },
      {
        path: "/dead/1",
        connectionsWhileDown: 9,
        delivered: 1,
        expected: 3,
        duplicates: 0,
        parked: 2,
        parkedDelivered: 1,
        firstDeliveryAfterRecoveryMs: 5_000,
        lastParkedDeliveryAfterRecoveryMs: 5_000,
      },
    ]);
  });

  it("gives requests while down per parked delivery (the metric's count), and the slowest endpoint's times", () => {
    const { perEndpoint: _, ...summary } = deadSummary(dead, expected, parked, counts, began);
    expect(summary).toEqual({
      endpoints: 2,
      downForMs: 10_000,
      requestsWhileDown: 21,
      failedAttempts: 21,
      probes: { failure: 4, success: 2 },
      parked: 420,
      released: 410,
      requestsPerParked: 0.05,
      parkedInLog: 4,
      delivered: 4,
      expected: 6,
      duplicates: 1,
      firstDeliveryAfterRecoveryMs: 5_000,
      lastParkedDeliveryAfterRecoveryMs: 5_000,
      circuitsOpenAtEnd: 1,
      notifications: { "webhook.failing": 2, "webhook.recovered": 1 },
    });
  });

  it("has no ratio without parked deliveries, and no times while the endpoints are still down", () => {
    const stillDown = deadSummary({ ...dead, revivedAt: 0 }, expected, parked, {}, began);
    expect(stillDown.requestsPerParked).toBeNull();
    expect(stillDown.downForMs).toBe(0);
    expect(stillDown.firstDeliveryAfterRecoveryMs).toBeNull();
    expect(stillDown.lastParkedDeliveryAfterRecoveryMs).toBeNull();
    const nothingArrived = deadSummary({ revivedAt: 11_000, endpoints: [{ ...dead.endpoints[1]!, requests: 0, firstArrivalAt: {} }] }, expected, parked, counts, began);
    expect(nothingArrived.perEndpoint[0]).toMatchObject({ delivered: 0, parkedDelivered: 0, firstDeliveryAfterRecoveryMs: null, lastParkedDeliveryAfterRecoveryMs: null });
  });

  it("prints the cost, the deliveries and the recovery under dead's summary line", () => {
    const summary = deadSummary(dead, expected, parked, counts, began);
    const expectedLine =
      "  dead endpoints (2, down 10.0 s): 21 requests while down (dispatcher: 21 failed attempts, probes 4 failed / 2 succeeded) for 420 parked deliveries = 0.05 per parked (target ≤ 0.05); " +
      "4 of 6 delivered, 1 duplicates (4 had been parked, 410 releases); from recovery: first delivery 5.0 s (slowest endpoint), last parked delivery 5.0 s";
    expect(deadLine(summary)).toBe(expectedLine);
    const lines = scenarioLines(result({ scenario: "dead", dead: summary, healthyArrivalsPer5s: [5200, 4100, 0, 12] }), 97.5);
    expect(lines[0]).toContain("dead: 1000 deliveries/s (healthy endpoints: 20/s each = 97.5% of their rate in healthy); latency");
    expect(lines.slice(1)).toEqual([expectedLine, "  healthy endpoints' deliveries per 5 s since the load began: 5200 4100 0 12"]);
    // Only dead prints the series.
    expect(scenarioLines(result({ healthyArrivalsPer5s: [5200] }), null)).toHaveLength(1);
    expect(deadLine(deadSummary({ ...dead, revivedAt: 0 }, expected, parked, {}, began))).toContain(
      "= n/a per parked (target ≤ 0.05); 4 of 6 delivered, 1 duplicates (4 had been parked, 0 releases); from recovery: first delivery never (slowest endpoint), last parked delivery never",
    );
  });
});
