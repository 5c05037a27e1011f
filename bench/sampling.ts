// What the harness reads from the processes while a scenario runs: CPU time and RSS from
// /proc, and the dispatcher's own account from its /metrics.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parse as parsePrometheusText } from "@platformatic/promotel";

// ---------- processes, from /proc ----------
const CLOCK_TICKS = 100;

export type ProcessSample = { cpuTicks: number; rssMb: number };

function sample(pid: number): ProcessSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuTicks: Number(stat[11]) + Number(stat[12]), rssMb: rssKb / 1024 };
  } catch {
    return null;
  }
}

/** The broker's and the database's pids, where they run on this machine: the FerretDB that listens on `mongoUrl`'s port. */
export function infraPids(mongoUrl?: string): Record<string, number> {
  const find = (pattern: string) => {
    try {
      return Number(execFileSync("pgrep", ["-f", "-o", pattern]).toString().trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  const found: Record<string, number> = {};
  const kafka = find("kafka\\.Kafka ");
  const port = mongoUrl ? new URL(mongoUrl).port || "27017" : undefined;
  const ferretdb = find(port ? `ferretdb .*--listen-addr [^ ]*:${port}( |$)` : "bin/ferretdb ");
  if (kafka) found.kafka = kafka;
  if (ferretdb) found.ferretdb = ferretdb;
  return found;
}

export type ServiceUsage = { peakRssMb: number; rssEvery10sMb: number[]; avgCpuPercent: number; cpuSeconds: number; rssStartMb: number; rssEndMb: number };

/** Per process: RSS at the start, at the end, its peak and every 10 s, and the CPU it used over `wallS`. */
export function usageSummary(
  start: Record<string, ProcessSample>,
  end: Record<string, ProcessSample | null>,
  peak: Record<string, number>,
  rssSeries: Record<string, number[]>,
  wallS: number,
): Record<string, ServiceUsage> {
  return Object.fromEntries(
    Object.keys(start).map((n) => [
      n,
      {
        peakRssMb: Math.round(peak[n]!),
        rssEvery10sMb: rssSeries[n]!,
        rssStartMb: Math.round(start[n]!.rssMb),
        rssEndMb: Math.round(end[n]?.rssMb ?? 0),
        avgCpuPercent: Math.round((((end[n]?.cpuTicks ?? 0) - start[n]!.cpuTicks) / CLOCK_TICKS / wallS) * 100),
        cpuSeconds: ((end[n]?.cpuTicks ?? 0) - start[n]!.cpuTicks) / CLOCK_TICKS,
      },
    ]),
  );
}

/** Samples the given processes every 500 ms from `start()` on: peak RSS, and RSS every 10 s. */
export class ProcessSampler {
  private startSamples: Record<string, ProcessSample> = {};
  private readonly peak: Record<string, number>;
  // Every 10 s, to tell a plateau from growth over a long (soak) run.
  private readonly rssSeries: Record<string, number[]>;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pids: Record<string, number>) {
    this.peak = Object.fromEntries(Object.keys(pids).map((n) => [n, 0]));
    this.rssSeries = Object.fromEntries(Object.keys(pids).map((n) => [n, []]));
  }

  start(): void {
    this.startSamples = Object.fromEntries(Object.entries(this.pids).map(([n, pid]) => [n, sample(pid)!]));
    let samples = 0;
    this.timer = setInterval(() => {
      samples++;
      for (const [n, pid] of Object.entries(this.pids)) {
        const rss = sample(pid)?.rssMb ?? 0;
        this.peak[n] = Math.max(this.peak[n]!, rss);
        if (samples % 20 === 0) this.rssSeries[n]!.push(Math.round(rss));
      }
    }, 500);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Reads every process once more and sums up since `start()`; `wallS()` is read after that last reading. */
  finish(wallS: () => number): Record<string, ServiceUsage> {
    const end = Object.fromEntries(Object.entries(this.pids).map(([n, pid]) => [n, sample(pid)]));
    return usageSummary(this.startSamples, end, this.peak, this.rssSeries, wallS());
  }
}

// ---------- the dispatcher's /metrics ----------

/** One line of a scrape: its full name (with any `_bucket`, `_sum`, `_count`), labels and value. */
export type MetricSample = { name: string; labels: Record<string, string>; value: number };

// The parser's own labels, which say what the family and the histogram part of a series are.
const FAMILY_LABEL = "__metric_name";
const PART_LABEL = "__suffix";

/** A scrape's samples in the order they came; none when the text is empty or cannot be parsed. */
export function readMetrics(text: string): MetricSample[] {
  if (!text) return [];
  let parsed;
  try {
    parsed = parsePrometheusText(text);
  } catch {
    return [];
  }
  const samples: MetricSample[] = [];
  for (const series of parsed.timeseries ?? []) {
    const labels: Record<string, string> = {};
    let family = "";
    let part = "";
    for (const { name, value } of series.labels ?? []) {
      if (name === FAMILY_LABEL) family = value ?? "";
      else if (name === PART_LABEL) part = value ?? "";
      else if (name) labels[name] = value ?? "";
    }
    const name = part ? `${family}_${part}` : family;
    for (const s of series.samples ?? []) samples.push({ name, labels, value: Number(s.value) });
  }
  return samples;
}

/** The dispatcher's /metrics, read; none when it cannot be reached. */
export async function dispatcherMetrics(port: number | undefined): Promise<MetricSample[]> {
  if (!port) return [];
  try {
    return readMetrics(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  } catch {
    return [];
  }
}

/** One sample's value, whatever its labels (the first sample when there are several). */
export function metricValue(metrics: MetricSample[], name: string): number | undefined {
  return metrics.find((m) => m.name === name)?.value;
}

function outcomeCounts(metrics: MetricSample[]): Record<string, number> {
  return Object.fromEntries(metrics.filter((m) => m.name === "webhook_deliveries_total" && m.labels.outcome !== undefined).map((m) => [m.labels.outcome!, m.value]));
}

/** For the progress line: heap, RSS, in-flight count and outcomes. */
export function dispatcherProgress(metrics: MetricSample[]): string {
  if (!metrics.length) return "";
  const mb = (name: string) => Math.round((metricValue(metrics, name) ?? NaN) / 2 ** 20);
  const outcomes = Object.entries(outcomeCounts(metrics)).map(([outcome, n]) => `${outcome}=${n}`);
  return [
    `heap=${mb("nodejs_heap_size_used_bytes")}MB`,
    `rss=${mb("process_resident_memory_bytes")}MB`,
    `inFlight=${metricValue(metrics, "webhook_deliveries_in_flight")}`,
    `unrecorded=${metricValue(metrics, "webhook_deliveries_unrecorded")}`,
    ...outcomes,
  ].join(" ");
}

const LOG_WRITE_MEASURES: Record<string, string> = { webhook_log_write_seconds_sum: "seconds", webhook_log_write_seconds_count: "commands", webhook_log_write_operations_total: "operations" };

/** The dispatcher's own account: outcomes (succeeded, deferred, retrying...), attempts by duration, event-loop lag and GC. */
export function dispatcherCounts(metrics: MetricSample[]): Record<string, number> {
  const counts = outcomeCounts(metrics);
  for (const m of metrics) {
    if (m.name === "webhook_attempt_duration_seconds_bucket" && m.labels.result === "success" && m.labels.le !== undefined) counts[`attempts<=${m.labels.le}s`] = m.value;
  }
  // Where recording waits: delivery-log commands by collection and kind, and produces onward.
  for (const m of metrics) {
    const measure = LOG_WRITE_MEASURES[m.name];
    if (measure && m.labels.collection !== undefined && m.labels.kind !== undefined) counts[`log:${m.labels.collection}/${m.labels.kind}:${measure}`] = m.value;
  }
  for (const [suffix, label] of [
    ["sum", "seconds"],
    ["count", "batches"],
  ] as const) {
    const value = metricValue(metrics, `webhook_produce_seconds_${suffix}`);
    if (value !== undefined) counts[`produce:${label}`] = value;
  }
  for (const name of ["nodejs_eventloop_lag_p99_seconds", "nodejs_eventloop_lag_max_seconds", "nodejs_gc_duration_seconds_sum"]) {
    const value = metricValue(metrics, name);
    if (value !== undefined) counts[name] = value;
  }
  for (const m of metrics) {
    if (m.name === "webhook_attempt_duration_seconds_count" && m.labels.result !== undefined) counts[`attempts:${m.labels.result}`] = m.value;
  }
  // Endpoint health (docs/endpoint-health.md): circuits, parked and released deliveries, probes, rate-limit waits, notifications.
  for (const m of metrics) {
    const key = HEALTH_COUNTERS[m.name];
    if (!key) continue;
    const label = key.label ? m.labels[key.label] : "";
    if (label !== undefined) counts[label ? `${key.as}:${label}` : key.as] = m.value;
  }
  return counts;
}

const HEALTH_COUNTERS: Record<string, { as: string; label?: string }> = {
  webhook_circuits_open: { as: "circuitsOpen" },
  webhook_deliveries_parked_total: { as: "parked", label: "event" },
  webhook_circuit_probes_total: { as: "probes", label: "result" },
  webhook_rate_limited_waits_total: { as: "rateLimitedWaits" },
  webhook_notifications_total: { as: "notifications", label: "type" },
};

/** Gauges, read as they are at the end rather than as a difference. */
const isGauge = (name: string) => name.startsWith("nodejs_eventloop_lag") || name === "circuitsOpen";

/** Several processes' counts as one: counters added up, gauges the highest. */
export function mergeCounts(each: Array<Record<string, number>>): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const counts of each) for (const [name, value] of Object.entries(counts)) merged[name] = name in merged ? (isGauge(name) ? Math.max(merged[name]!, value) : merged[name]! + value) : value;
  return merged;
}

/** Counters less their values before measuring; the gauges (event-loop lag, open circuits) are as read. */
export function sinceWarmUp(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([name, value]) => [name, isGauge(name) ? value : Math.round((value - (before[name] ?? 0)) * 1000) / 1000]));
}

/**
 * Waits for a run to drain: until `check` says it is done, or its progress (any number that
 * grows as deliveries end) has not changed for `stallMs`, or `giveUpAt` has passed.
 */
export async function waitForDrain(opts: { check: () => Promise<{ done: boolean; progress: number }>; stallMs: number; giveUpAt: number; pollMs: number }): Promise<void> {
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const { done, progress } = await opts.check();
    if (done || Date.now() > opts.giveUpAt) return;
    if (progress !== last) stableSince = Date.now();
    else if (Date.now() - stableSince >= opts.stallMs) return;
    last = progress;
    await new Promise((r) => setTimeout(r, opts.pollMs));
  }
}
