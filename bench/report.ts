// What a run reports: each scenario's result, its summary line, and the run written to
// bench/results/ (JSON, history.jsonl, and a chart).
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { drawChart } from "./chart.js";
import type { Ceilings } from "./ceilings.js";
import { drainLine, type DrainMeasure } from "./drain-measure.js";
import type { OrderedSummary } from "./ordered.js";
import { oauth2Line, type OAuth2Summary } from "./oauth2-scenario.js";
import type { DeadStats, FlakyStats } from "./receiver.js";
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
  /** slow and dead, when healthy ran first in the same run: their per-endpoint rate as a % of healthy's. */
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
  /** The healthy endpoints' deliveries in each 5 s since the load began, by arrival: where their rate fell, if it did. */
  healthyArrivalsPer5s?: number[];
  retryLatenessMs?: RetryLateness;
  /** dead only: what the dead endpoints cost while down, and what reached them after. */
  dead?: DeadSummary;
  /** flaky only: what each live but failing endpoint got, and when. */
  flaky?: Record<string, FlakyEndpointSummary>;
  /** ordered only: its keys' throughput and order, the bystanders' lateness, memory with deliveries held. */
  ordered?: OrderedSummary;
  /** oauth2 only: what the token cache asked of the token server. */
  oauth2?: OAuth2Summary;
  /** drain only: the backlog's drain, measured as bench:svix measures Svix's. */
  drain?: DrainMeasure;
  services: Record<string, ServiceUsage>;
  /** Each process's CPU time over the measured window divided by the deliveries in it, in ms; `dispatchers` adds up every dispatcher instance. */
  cpuMsPerDelivery?: Record<string, number>;
  /** Deliveries per second as a percentage of each ceiling of the same run. */
  percentOfCeiling?: { http: number; kafkaProduce: number; kafkaConsume: number; databaseLogInserts: number };
};

/**
 * One flaky endpoint's account: deliveries it accepted of those produced, requests per
 * accepted delivery, and how long after the last event its last acceptance came; `health`
 * and `cancelled`, `failed` from the webhook and its delivery log at the end.
 */
export type FlakyEndpointSummary = {
  produced: number;
  accepted: number;
  requestsPerAccepted: number;
  lastAcceptedAfterLoadS: number | null;
  health: string;
  statuses: Record<string, number>;
};

/** Pure: a flaky endpoint's summary from the receiver's account of it. */
export function flakySummary(stats: FlakyStats | undefined, opts: { produced: number; loadEndedAt: number; health: string; statuses: Record<string, number> }): FlakyEndpointSummary {
  const accepted = Object.values(stats?.acceptedAt ?? {});
  const requests = Object.values(stats?.requests ?? {}).reduce((a, b) => a + b, 0);
  return {
    produced: opts.produced,
    accepted: accepted.length,
    requestsPerAccepted: accepted.length ? Math.round((requests / accepted.length) * 100) / 100 : 0,
    lastAcceptedAfterLoadS: accepted.length ? Math.round((Math.max(...accepted) - opts.loadEndedAt) / 100) / 10 : null,
    health: opts.health,
    statuses: opts.statuses,
  };
}

export type LatencyBySecond = Array<{ second: number; deliveries: number; p99Ms: number | null; fanoutP99Ms: number | null }>;
export type RetryLateness = { p50: number | null; p99: number | null; max: number | null; retries: number; withinOneSecond: number };

/** One dead endpoint's account. Times are from the endpoints' recovery. */
type DeadEndpointSummary = {
  path: string;
  connectionsWhileDown: number;
  /** Distinct deliveries that arrived, of those its events called for. */
  delivered: number;
  expected: number;
  duplicates: number;
  /** Deliveries whose log entry says they were parked. */
  parked: number;
  parkedDelivered: number;
  /** The first delivery after recovery: the probe that closed its circuit. */
  firstDeliveryAfterRecoveryMs: number | null;
  lastParkedDeliveryAfterRecoveryMs: number | null;
};

export type DeadSummary = {
  endpoints: number;
  downForMs: number;
  /** Connections the dead endpoints accepted and reset while down: every request sent to them then. */
  requestsWhileDown: number;
  /** The dispatcher's own count of failed attempts (all to dead endpoints in this scenario), to check the one above. */
  failedAttempts: number;
  probes: { failure: number; success: number };
  /** webhook_deliveries_parked_total: event=parked (a delivery parked twice counts twice) and event=released. */
  parked: number;
  released: number;
  /** requestsWhileDown / parked: what a parked delivery cost the dead endpoints. Target ≤ 0.05. */
  requestsPerParked: number | null;
  /** Distinct deliveries the delivery log says were parked. */
  parkedInLog: number;
  delivered: number;
  expected: number;
  duplicates: number;
  /** The slowest endpoint's first delivery after recovery (its successful probe). */
  firstDeliveryAfterRecoveryMs: number | null;
  /** The last delivery that had been parked to arrive, at any dead endpoint. */
  lastParkedDeliveryAfterRecoveryMs: number | null;
  circuitsOpenAtEnd: number;
  notifications: Record<string, number>;
  perEndpoint: DeadEndpointSummary[];
};

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

/** Deliveries by the `intervalS`-second interval since `began` they arrived in (produced at + latency); none before it. */
export function arrivalsPerInterval(producedAt: number[], latenciesMs: number[], began: number, intervalS: number): number[] {
  const counts: number[] = [];
  for (const [i, at] of producedAt.entries()) {
    const interval = Math.floor((at + latenciesMs[i]! - began) / (intervalS * 1000));
    if (interval < 0) continue;
    while (counts.length <= interval) counts.push(0);
    counts[interval]!++;
  }
  return counts;
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

/** slow's or dead's healthy endpoints' rate as a % of theirs in healthy of the same run; null for other scenarios or without healthy. */
export function healthyEndpointsKept(result: Result, results: Result[]): number | null {
  const healthy = results.find((r) => r.scenario === "healthy");
  return (result.scenario === "slow" || result.scenario === "dead") && healthy ? Math.round((result.perHealthyEndpointPerSecond / healthy.perHealthyEndpointPerSecond) * 1000) / 10 : null;
}

/**
 * The dead scenario's account: `dead` as the receiver saw it, `expected` deliveries per
 * endpoint path (from what was produced), `parkedIds` per path (deliveries the log says
 * were parked), `counts` the dispatcher's since the warm-up, `downSince` when the load began.
 */
export function deadSummary(dead: DeadStats, expected: Record<string, number>, parkedIds: Record<string, string[]>, counts: Record<string, number>, downSince: number): DeadSummary {
  const after = (at: number | undefined) => (at === undefined || !dead.revivedAt ? null : at - dead.revivedAt);
  const maxOf = (xs: Array<number | null>) => xs.reduce<number | null>((m, x) => (x === null ? m : m === null ? x : Math.max(m, x)), null);
  const perEndpoint = dead.endpoints.map((e): DeadEndpointSummary => {
    const arrivals = Object.values(e.firstArrivalAt);
    const parked = parkedIds[e.path] ?? [];
    const parkedArrivals = parked.flatMap((id) => e.firstArrivalAt[id] ?? []);
    return {
      path: e.path,
      connectionsWhileDown: e.connectionsWhileDown,
      delivered: arrivals.length,
      expected: expected[e.path] ?? 0,
      duplicates: e.duplicates,
      parked: parked.length,
      parkedDelivered: parkedArrivals.length,
      firstDeliveryAfterRecoveryMs: arrivals.length ? after(Math.min(...arrivals)) : null,
      lastParkedDeliveryAfterRecoveryMs: parkedArrivals.length ? after(Math.max(...parkedArrivals)) : null,
    };
  });
  const sum = (f: (e: DeadEndpointSummary) => number) => perEndpoint.reduce((n, e) => n + f(e), 0);
  const requestsWhileDown = sum((e) => e.connectionsWhileDown);
  const parked = counts["parked:parked"] ?? 0;
  return {
    endpoints: perEndpoint.length,
    downForMs: dead.revivedAt ? dead.revivedAt - downSince : 0,
    requestsWhileDown,
    failedAttempts: counts["attempts:failure"] ?? 0,
    probes: { failure: counts["probes:failure"] ?? 0, success: counts["probes:success"] ?? 0 },
    parked,
    released: counts["parked:released"] ?? 0,
    requestsPerParked: parked ? Math.round((requestsWhileDown / parked) * 1000) / 1000 : null,
    parkedInLog: sum((e) => e.parked),
    delivered: sum((e) => e.delivered),
    expected: sum((e) => e.expected),
    duplicates: sum((e) => e.duplicates),
    firstDeliveryAfterRecoveryMs: maxOf(perEndpoint.map((e) => e.firstDeliveryAfterRecoveryMs)),
    lastParkedDeliveryAfterRecoveryMs: maxOf(perEndpoint.map((e) => e.lastParkedDeliveryAfterRecoveryMs)),
    circuitsOpenAtEnd: counts.circuitsOpen ?? 0,
    notifications: Object.fromEntries(Object.entries(counts).flatMap(([k, v]) => (k.startsWith("notifications:") ? [[k.slice("notifications:".length), v]] : []))),
    perEndpoint,
  };
}

const inSeconds = (ms: number | null) => (ms === null ? "never" : `${(ms / 1000).toFixed(1)} s`);

/** dead's second summary line: the cost of the dead endpoints while down, and their deliveries after. */
export function deadLine(d: DeadSummary): string {
  return (
    `  dead endpoints (${d.endpoints}, down ${inSeconds(d.downForMs)}): ${d.requestsWhileDown} requests while down (dispatcher: ${d.failedAttempts} failed attempts, ` +
    `probes ${d.probes.failure} failed / ${d.probes.success} succeeded) for ${d.parked} parked deliveries = ${d.requestsPerParked ?? "n/a"} per parked (target ≤ 0.05); ` +
    `${d.delivered} of ${d.expected} delivered, ${d.duplicates} duplicates (${d.parkedInLog} had been parked, ${d.released} releases); ` +
    `from recovery: first delivery ${inSeconds(d.firstDeliveryAfterRecoveryMs)} (slowest endpoint), last parked delivery ${inSeconds(d.lastParkedDeliveryAfterRecoveryMs)}`
  );
}

/** CPU ms per delivery of each process, and of all dispatcher instances together. */
export function cpuPerDelivery(services: Record<string, ServiceUsage>, deliveries: number): Record<string, number> {
  const perDelivery = (cpuSeconds: number) => Math.round(((cpuSeconds * 1000) / Math.max(1, deliveries)) * 1000) / 1000;
  const result = Object.fromEntries(Object.entries(services).map(([name, usage]) => [name, perDelivery(usage.cpuSeconds)]));
  const dispatchers = Object.entries(services).filter(([name]) => name === "dispatcher" || name.startsWith("dispatcher#"));
  if (dispatchers.length > 1) result.dispatchers = perDelivery(dispatchers.reduce((sum, [, usage]) => sum + usage.cpuSeconds, 0));
  return result;
}

export function ceilingsLine(ceilings: Ceilings): string {
  return (
    `ceilings: raw HTTP ${ceilings.httpRequestsPerSecond} req/s, raw Kafka produce ${ceilings.kafka.produce} msg/s, consume ${ceilings.kafka.consume} msg/s, ` +
    `delivery-log inserts ${ceilings.databaseLogInsertsPerSecond} docs/s`
  );
}

/** The lines printed after a scenario: its summary and, for paced, the first seconds' p99s. */
export function scenarioLines(result: Result, isolation: number | null): string[] {
  if (result.drain) return drainLines(result, result.drain);
  const ratio = result.percentOfCeiling;
  const lines = [
    `${result.scenario}: ${result.deliveriesPerSecond} deliveries/s` +
      (isolation === null ? "" : ` (healthy endpoints: ${result.perHealthyEndpointPerSecond}/s each = ${isolation}% of their rate in healthy)`) +
      (ratio ? ` = ${ratio.http}% of raw HTTP, ${ratio.databaseLogInserts}% of log inserts, ${ratio.kafkaProduce}% of Kafka produce, ${ratio.kafkaConsume}% of consume` : "") +
      (result.cpuMsPerDelivery
        ? `; CPU ms/delivery ${Object.entries(result.cpuMsPerDelivery)
            .map(([n, ms]) => `${n} ${ms}`)
            .join(", ")}`
        : "") +
      `; latency p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms${result.scenario === "paced" || result.scenario === "failing" ? ` (after the first 5 s: p99 ${result.steadyLatencyMs.p99} ms)` : ""}; peak RSS ` +
      Object.entries(result.services)
        .map(([n, v]) => `${n} ${v.peakRssMb} MB`)
        .join(", "),
  ];
  if (result.dead) lines.push(deadLine(result.dead));
  if (result.ordered) lines.push(...orderedLines(result.ordered));
  if (result.oauth2) lines.push(oauth2Line(result.oauth2));
  if (result.dead && result.healthyArrivalsPer5s) lines.push(`  healthy endpoints' deliveries per 5 s since the load began: ${result.healthyArrivalsPer5s.join(" ")}`);
  if (result.latencyBySecond) {
    const seconds = result.latencyBySecond.slice(0, 10).map((b) => `${b.second}s ${b.p99Ms}/${b.fanoutP99Ms}`);
    lines.push(`  p99 ms by second produced, whole / produce-to-fanout: ${seconds.join(", ")}`);
  }
  return lines;
}

/** drain: its own line (its latency would measure how long the pipeline was stopped), then each process's share. */
function drainLines(result: Result, drain: DrainMeasure): string[] {
  const perProcess = Object.entries(result.cpuMsPerDelivery ?? {}).map(([n, ms]) => `${n} ${ms}`);
  const rss = Object.entries(result.services).map(([n, v]) => `${n} ${v.peakRssMb} MB`);
  return [drainLine("drain", drain), `  CPU ms/delivery by process: ${perProcess.join(", ")}; peak RSS ${rss.join(", ")}`];
}

function orderedLines(o: OrderedSummary): string[] {
  const lines = [
    `  ordered: ${o.keys} keys, ${o.accepted} deliveries accepted, ${o.acceptedPerSecondUnderLoad}/s under load, the last ${o.lastAcceptedAfterLoadS} s after it (${o.requests} requests, ${o.refused} refused, ${o.repeats} repeats); ` +
      `backwards ${o.backwards}, first requests backwards ${o.firstRequestBackwards}; held at most ${o.heldPeak}; log ${JSON.stringify(o.statuses)}`,
    `  keys that never fail: p50/p99 ${o.bystanderLatencyMs.p50}/${o.bystanderLatencyMs.p99} ms, the same events at the control webhooks ${o.controlLatencyMs.p50}/${o.controlLatencyMs.p99} ms, ` +
      `lateness p50/p95/p99 ${o.bystanderLatenessMs.p50}/${o.bystanderLatenessMs.p95}/${o.bystanderLatenessMs.p99} ms (${o.bystanderLatenessMs.count} events); failing keys p50/p99 ${o.failingKeyLatencyMs.p50}/${o.failingKeyLatencyMs.p99} ms`,
  ];
  if (o.held)
    lines.push(
      `  held: ${o.held.heldReached} of ${o.held.produced} held at ${o.held.holdsPerSecond}/s; dispatcher RSS ${o.held.dispatcherRssMb.before} MB before, peak ${o.held.dispatcherRssMb.peak} MB, ${o.held.dispatcherRssMb.end} MB at the end (heap ${o.held.dispatcherHeapMb} MB)`,
    );
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
