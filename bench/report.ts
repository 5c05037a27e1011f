// What a run reports: each scenario's result, its summary line, and the run written to
// bench/results/ (JSON, history.jsonl, and a chart).
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { drawChart } from "./chart.js";
import type { Ceilings } from "./ceilings.js";
import type { ServiceUsage } from "./sampling.js";
import type { Scenario } from "./scenarios.js";

export type Latency = { p50: number | null; p95: number | null; p99: number | null; max: number | null; count: number };

export type Result = {
  scenario: Scenario;
  offeredEventsPerSecond: number;
  webhooks: number;
  produced: number;
  deliveries: number;
  deliveriesPerSecond: number;
  healthyDeliveriesPerSecond: number;
  /**
   * Deliveries per second per healthy endpoint: what `slow` compares with `healthy`. The
   * slow scenario's healthy endpoints are 45 of 50, so with perfect isolation they keep
   * their own rate, not the 50 endpoints' total.
   */
  perHealthyEndpointPerSecond: number;
  /** slow only, when healthy ran first in the same run: its per-endpoint rate as a % of healthy's. */
  healthyEndpointsKeptPercent?: number;
  latencyMs: Latency;
  /**
   * Latency of the events produced after the first 5 s, when the first seconds' JIT and
   * start-up queueing are behind. Telling only below capacity (paced, failing): in a
   * saturated run it drops the least-queued events and so measures the backlog.
   */
  steadyLatencyMs: Latency;
  /** webhook_deliveries_total by outcome and the attempt-duration buckets, from the dispatcher's /metrics. */
  dispatcherOutcomes: Record<string, number>;
  /**
   * paced only: for the events produced in each second of the run, the p99 of the whole
   * latency and of its first stage (produce to fanout's planning of the job, from the
   * job's `enqueuedAt` on the deliveries topic). The rest is the dispatcher's part.
   */
  latencyBySecond?: LatencyBySecond;
  retryLatenessMs?: RetryLateness;
  services: Record<string, ServiceUsage>;
  /** Deliveries per second as a percentage of each ceiling of the same run. */
  percentOfCeiling?: { http: number; kafkaProduce: number; kafkaConsume: number; databaseLogInserts: number };
};

export type LatencyBySecond = Array<{ second: number; deliveries: number; p99Ms: number | null; fanoutP99Ms: number | null }>;
export type RetryLateness = { p50: number | null; p99: number | null; max: number | null; retries: number; withinOneSecond: number };

export type Run = {
  at: string;
  commit: string;
  command: string;
  machine: { cores: number; cpu: string; memGiB: number; loadAvgAtStart: number | undefined };
  durationS: number;
  ceilings: Ceilings | null;
  results: Result[];
};

export const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]! : null);

export function latencySummary(latenciesMs: number[]): Latency {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? null, count: sorted.length };
}

export function percentOfCeiling(deliveriesPerSecond: number, ceilings: Ceilings): NonNullable<Result["percentOfCeiling"]> {
  const pct = (x: number) => Math.round((deliveriesPerSecond / x) * 1000) / 10;
  return {
    http: pct(ceilings.httpRequestsPerSecond),
    kafkaProduce: pct(ceilings.kafka.produce),
    kafkaConsume: pct(ceilings.kafka.consume),
    databaseLogInserts: pct(ceilings.databaseLogInsertsPerSecond),
  };
}

/**
 * The p99 of the events produced in each second since `began`: of the whole latency, and of
 * produce-to-fanout (`fanoutLags`, by the same second).
 */
export function latencyBySecond(producedAt: number[], latenciesMs: number[], began: number, fanoutLags: Map<number, number[]>): LatencyBySecond {
  const total = new Map<number, number[]>();
  for (const [i, at] of producedAt.entries()) {
    const second = Math.floor((at - began) / 1000);
    if (second < 0) continue;
    const list = total.get(second) ?? [];
    list.push(latenciesMs[i]!);
    total.set(second, list);
  }
  const p99 = (xs: number[] | undefined) =>
    xs
      ? percentile(
          [...xs].sort((a, b) => a - b),
          99,
        )
      : null;
  return [...total.keys()].sort((a, b) => a - b).map((second) => ({ second, deliveries: total.get(second)!.length, p99Ms: p99(total.get(second)), fanoutP99Ms: p99(fanoutLags.get(second)) }));
}

/** How late each retry came: the gap since the attempt before it, less the delay configured for it. */
export function retryLateness(failedAttemptTimes: Record<string, number[]>, retryDelays: number[]): RetryLateness {
  const lateness: number[] = [];
  for (const times of Object.values(failedAttemptTimes)) for (let i = 1; i < times.length; i++) lateness.push(times[i]! - times[i - 1]! - retryDelays[i - 1]!);
  lateness.sort((a, b) => a - b);
  return {
    p50: percentile(lateness, 50),
    p99: percentile(lateness, 99),
    max: lateness.at(-1) ?? null,
    retries: lateness.length,
    withinOneSecond: lateness.filter((l) => l <= 1000 && l >= -50).length,
  };
}

/** slow's healthy endpoints' rate as a % of theirs in healthy of the same run; null for other scenarios or without healthy. */
export function healthyEndpointsKept(result: Result, results: Result[]): number | null {
  const healthy = results.find((r) => r.scenario === "healthy");
  return result.scenario === "slow" && healthy ? Math.round((result.perHealthyEndpointPerSecond / healthy.perHealthyEndpointPerSecond) * 1000) / 10 : null;
}

export function ceilingsLine(ceilings: Ceilings): string {
  return (
    `ceilings: raw HTTP ${ceilings.httpRequestsPerSecond} req/s, raw Kafka produce ${ceilings.kafka.produce} msg/s, consume ${ceilings.kafka.consume} msg/s, ` +
    `delivery-log inserts ${ceilings.databaseLogInsertsPerSecond} docs/s`
  );
}

/** The lines printed after a scenario: its summary and, for paced, the first seconds' p99s. */
export function scenarioLines(result: Result, isolation: number | null): string[] {
  const ratio = result.percentOfCeiling;
  const lines = [
    `${result.scenario}: ${result.deliveriesPerSecond} deliveries/s` +
      (isolation === null ? "" : ` (healthy endpoints: ${result.perHealthyEndpointPerSecond}/s each = ${isolation}% of their rate in healthy)`) +
      (ratio ? ` = ${ratio.http}% of raw HTTP, ${ratio.databaseLogInserts}% of log inserts, ${ratio.kafkaProduce}% of Kafka produce, ${ratio.kafkaConsume}% of consume` : "") +
      `; latency p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms${result.scenario === "paced" || result.scenario === "failing" ? ` (after the first 5 s: p99 ${result.steadyLatencyMs.p99} ms)` : ""}; peak RSS ` +
      Object.entries(result.services)
        .map(([n, v]) => `${n} ${v.peakRssMb} MB`)
        .join(", "),
  ];
  if (result.latencyBySecond) {
    const seconds = result.latencyBySecond.slice(0, 10).map((b) => `${b.second}s ${b.p99Ms}/${b.fanoutP99Ms}`);
    lines.push(`  p99 ms by second produced, whole / produce-to-fanout: ${seconds.join(", ")}`);
  }
  return lines;
}

/** Writes the run to `dir`: results/<time>-<commit>.json, and a line of history.jsonl. Returns the JSON file. */
export function writeRun(run: Run, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${run.at.replace(/[:.]/g, "-")}-${run.commit}.json`);
  writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
  appendFileSync(join(dir, "history.jsonl"), `${JSON.stringify(run)}\n`);
  return file;
}

/** The run's chart, next to its JSON file (same name, .png). */
export function drawRunChart(run: Run, file: string): Promise<string> {
  return drawChart(run, file.replace(/\.json$/, ".png"));
}
