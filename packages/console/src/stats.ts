import type { StatsBucket, StatsQuery } from "./api.js";

/** The periods the page charts (docs/statistics.md): the API's buckets each reads, and how many. */
export const STATS_PERIODS = {
  hour: { label: "Last hour", interval: "minute", bucketMs: 60_000, buckets: 60 },
  day: { label: "Last day", interval: "hour", bucketMs: 3_600_000, buckets: 24 },
  week: { label: "Last week", interval: "hour", bucketMs: 3_600_000, buckets: 168 },
} as const;
export type StatsPeriod = keyof typeof STATS_PERIODS;

/** The query for a period ending with the bucket that holds `now`. */
export function statsQuery(period: StatsPeriod, now: number): StatsQuery {
  const { interval, bucketMs, buckets } = STATS_PERIODS[period];
  const end = Math.floor(now / bucketMs) * bucketMs + bucketMs;
  return { interval, from: new Date(end - buckets * bucketMs).toISOString(), to: new Date(end).toISOString() };
}

/** One bucket of a period as charted: null rates and latencies where no attempt was made. */
export type StatsPoint = { start: number; attempts: number; successRate: number | null; p50: number | null; p95: number | null };

/** Every bucket of the period, oldest first, the API's (which leaves empty ones out) in place. */
export function statsSeries(items: StatsBucket[], query: StatsQuery): StatsPoint[] {
  const bucketMs = query.interval === "minute" ? 60_000 : query.interval === "hour" ? 3_600_000 : 86_400_000;
  const from = Date.parse(query.from!);
  const count = Math.round((Date.parse(query.to!) - from) / bucketMs);
  const byStart = new Map(items.map((b) => [Date.parse(b.start), b]));
  return Array.from({ length: count }, (_, i) => {
    const start = from + i * bucketMs;
    const b = byStart.get(start);
    if (!b || b.attempts === 0) return { start, attempts: 0, successRate: null, p50: null, p95: null };
    return { start, attempts: b.attempts, successRate: b.succeeded / b.attempts, p50: b.latencyMs.p50, p95: b.latencyMs.p95 };
  });
}

export type StatsSummary = { attempts: number; succeeded: number; successRate: number | null; p50: number | null; p95Max: number | null };

/**
 * A period in a few numbers: attempts and success rate (exact), the attempt-weighted median
 * of the buckets' p50 (percentiles of different buckets do not add up exactly), and the
 * highest p95 of any bucket.
 */
export function summarize(items: StatsBucket[]): StatsSummary {
  const attempts = items.reduce((n, b) => n + b.attempts, 0);
  const succeeded = items.reduce((n, b) => n + b.succeeded, 0);
  if (attempts === 0) return { attempts, succeeded, successRate: null, p50: null, p95Max: null };
  const byP50 = [...items].sort((a, b) => a.latencyMs.p50 - b.latencyMs.p50);
  let seen = 0;
  const median = byP50.find((b) => (seen += b.attempts) >= attempts / 2)!;
  return { attempts, succeeded, successRate: succeeded / attempts, p50: median.latencyMs.p50, p95Max: Math.max(...items.map((b) => b.latencyMs.p95)) };
}

/** "97.5 %", or "100 %" only when every attempt succeeded. */
export function formatRate(rate: number): string {
  const pct = rate * 100;
  return `${pct === 100 || pct === 0 ? pct.toFixed(0) : Math.min(99.9, Math.max(0.1, pct)).toFixed(1)} %`;
}
