import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dispatcherCounts, dispatcherProgress, mergeCounts, metricValue, readMetrics, sinceWarmUp, usageSummary } from "./sampling.js";

// A real scrape of the dispatcher's /metrics, taken 2 s after the load of a `failing` run
// (`--duration 5`): outcomes, labelled histograms, delivery-log writes, GC by kind.
const scrape = readFileSync(join(import.meta.dirname, "fixtures/dispatcher-metrics.txt"), "utf8");

describe("reading the dispatcher's /metrics", () => {
  it("keeps every sample with its own labels, histograms' label sets apart", () => {
    const metrics = readMetrics(scrape);
    const sampleLines = scrape.split("\n").filter((l) => l && !l.startsWith("#"));
    expect(metrics).toHaveLength(sampleLines.length);
    const fastest = metrics.filter((m) => m.name === "webhook_attempt_duration_seconds_bucket" && m.labels.le === "0.005");
    expect(fastest).toEqual([
      { name: "webhook_attempt_duration_seconds_bucket", labels: { le: "0.005", service: "dispatcher", result: "success" }, value: 2167 },
      { name: "webhook_attempt_duration_seconds_bucket", labels: { le: "0.005", service: "dispatcher", result: "failure" }, value: 449 },
    ]);
    expect(metrics.find((m) => m.name === "nodejs_version_info")?.labels).toEqual({ version: "v20.20.2", major: "20", minor: "20", patch: "2", service: "dispatcher" });
  });

  it("takes the first sample of a name, whatever its labels", () => {
    const metrics = readMetrics(scrape);
    expect(metricValue(metrics, "nodejs_heap_size_used_bytes")).toBe(42247592);
    // Three GC kinds; the first listed is minor.
    expect(metricValue(metrics, "nodejs_gc_duration_seconds_sum")).toBe(0.2824074070001953);
    expect(metricValue(metrics, "no_such_metric")).toBeUndefined();
  });

  it("sums up the dispatcher's own account of the run", () => {
    expect(dispatcherCounts(readMetrics(scrape))).toEqual({
      succeeded: 6406,
      retrying: 760,
      dead_lettered: 105,
      // Successful attempts only.
      "attempts<=0.005s": 2167,
      "attempts<=0.01s": 3133,
      "attempts<=0.025s": 4184,
      "attempts<=0.05s": 5144,
      "attempts<=0.1s": 5970,
      "attempts<=0.25s": 6406,
      "attempts<=0.5s": 6406,
      "attempts<=1s": 6406,
      "attempts<=2.5s": 6406,
      "attempts<=5s": 6406,
      "attempts<=10s": 6406,
      "attempts<=30s": 6406,
      "attempts<=+Infs": 6406,
      "log:deliveries/inserts:seconds": 15.351766714,
      "log:deliveries/inserts:commands": 679,
      "log:delivery_attempts/inserts:seconds": 2.564650306999995,
      "log:delivery_attempts/inserts:commands": 161,
      "log:deliveries/with_updates:seconds": 3.8907593230000033,
      "log:deliveries/with_updates:commands": 162,
      "log:webhooks/with_updates:seconds": 0.05616007399999216,
      "log:webhooks/with_updates:commands": 6,
      "log:dead_letters/with_updates:seconds": 0.49653470799999555,
      "log:dead_letters/with_updates:commands": 26,
      "log:deliveries/inserts:operations": 6183,
      "log:delivery_attempts/inserts:operations": 713,
      "log:deliveries/with_updates:operations": 1088,
      "log:webhooks/with_updates:operations": 8,
      "log:dead_letters/with_updates:operations": 105,
      "produce:seconds": 2.0339426070000037,
      "produce:batches": 180,
      nodejs_eventloop_lag_p99_seconds: 0.017940479,
      nodejs_eventloop_lag_max_seconds: 0.044859391,
      nodejs_gc_duration_seconds_sum: 0.2824074070001953,
      "attempts:success": 6406,
      "attempts:failure": 865,
    });
  });

  it("reads endpoint health: open circuits, parked and released deliveries, probes, rate-limit waits, notifications", () => {
    // The endpoint-health families as the dispatcher writes them (this fixture predates them).
    const health = [
      "# TYPE webhook_circuits_open gauge",
      'webhook_circuits_open{service="dispatcher"} 2',
      "# TYPE webhook_deliveries_parked_total counter",
      'webhook_deliveries_parked_total{event="parked",service="dispatcher"} 812',
      'webhook_deliveries_parked_total{event="released",service="dispatcher"} 790',
      "# TYPE webhook_circuit_probes_total counter",
      'webhook_circuit_probes_total{result="failure",service="dispatcher"} 7',
      'webhook_circuit_probes_total{result="success",service="dispatcher"} 3',
      "# TYPE webhook_rate_limited_waits_total counter",
      'webhook_rate_limited_waits_total{service="dispatcher"} 40',
      "# TYPE webhook_notifications_total counter",
      'webhook_notifications_total{type="webhook.failing",service="dispatcher"} 5',
      'webhook_notifications_total{type="webhook.recovered",service="dispatcher"} 3',
      "",
    ].join("\n");
    expect(dispatcherCounts(readMetrics(health))).toEqual({
      circuitsOpen: 2,
      "parked:parked": 812,
      "parked:released": 790,
      "probes:failure": 7,
      "probes:success": 3,
      rateLimitedWaits: 40,
      "notifications:webhook.failing": 5,
      "notifications:webhook.recovered": 3,
    });
  });

  it("writes the progress line's part from it", () => {
    expect(dispatcherProgress(readMetrics(scrape))).toBe("heap=40MB rss=142MB inFlight=0 unrecorded=0 succeeded=6406 retrying=760 dead_lettered=105");
  });

  it("reads nothing from an unreachable or empty endpoint", () => {
    expect(readMetrics("")).toEqual([]);
    expect(dispatcherCounts([])).toEqual({});
    expect(dispatcherProgress([])).toBe("");
  });
});

describe("sinceWarmUp", () => {
  it("takes the counters' values before measuring off, and leaves the event-loop lag gauges as read", () => {
    const before = { succeeded: 5050, "log:deliveries/inserts:seconds": 10.1234, nodejs_eventloop_lag_p99_seconds: 0.5 };
    const after = { succeeded: 6406, retrying: 760, "log:deliveries/inserts:seconds": 15.351766714, nodejs_eventloop_lag_p99_seconds: 0.017940479 };
    expect(sinceWarmUp(after, before)).toEqual({ succeeded: 1356, retrying: 760, "log:deliveries/inserts:seconds": 5.228, nodejs_eventloop_lag_p99_seconds: 0.017940479 });
  });

  it("leaves the open circuits as read: a gauge, not a count since the warm-up", () => {
    expect(sinceWarmUp({ circuitsOpen: 0, "parked:parked": 900 }, { circuitsOpen: 3, "parked:parked": 100 })).toEqual({ circuitsOpen: 0, "parked:parked": 800 });
  });
});

describe("mergeCounts", () => {
  it("adds up two dispatchers' counters and keeps the higher of their gauges", () => {
    expect(
      mergeCounts([
        { succeeded: 100, nodejs_eventloop_lag_p99_seconds: 0.02, circuitsOpen: 1 },
        { succeeded: 50, retrying: 3, nodejs_eventloop_lag_p99_seconds: 0.05, circuitsOpen: 0 },
      ]),
    ).toEqual({ succeeded: 150, retrying: 3, nodejs_eventloop_lag_p99_seconds: 0.05, circuitsOpen: 1 });
  });
});

describe("usageSummary", () => {
  it("turns clock ticks over the wall time into CPU percent, and rounds RSS to MB", () => {
    // 1500 ticks of 10 ms in 20 s: 75 % of one core.
    expect(usageSummary({ dispatcher: { cpuTicks: 1000, rssMb: 120.4 } }, { dispatcher: { cpuTicks: 2500, rssMb: 175.6 } }, { dispatcher: 181.2 }, { dispatcher: [150, 170] }, 20)).toEqual({
      dispatcher: { peakRssMb: 181, rssEvery10sMb: [150, 170], rssStartMb: 120, rssEndMb: 176, avgCpuPercent: 75, cpuSeconds: 15 },
    });
  });
});
