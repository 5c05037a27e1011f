// Endpoint statistics (docs/statistics.md): what one attempt adds to its webhook's
// buckets, and what a bucket's counts say. Pure: the dispatcher tallies with it, the
// delivery log stores the tallies, the admin API reads them.

export const STATS_INTERVALS = ["minute", "hour", "day"] as const;
export type StatsInterval = (typeof STATS_INTERVALS)[number];
export const INTERVAL_MS: Record<StatsInterval, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** How an attempt ended, as the statistics count it: the answer's status class, or why there was none. */
export const OUTCOME_CLASSES = ["2xx", "3xx", "4xx", "5xx", "timeout", "connection"] as const;
export type OutcomeClass = (typeof OUTCOME_CLASSES)[number];

/**
 * Upper bounds (ms, inclusive) of the latency histogram's buckets; one more bucket holds
 * everything slower. Fixed, so tallies from any instance and any time add up; percentiles
 * are estimated within a bucket (see `latencyPercentiles`).
 */
export const LATENCY_BOUNDS_MS = [10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000] as const;
/** The stored name of each histogram bucket, in LATENCY_BOUNDS_MS order, then the open one. */
export const LATENCY_BUCKET_NAMES = [...LATENCY_BOUNDS_MS.map((ms) => `le${ms}`), "over"];

/** What one bucket of one webhook counted. `latency` has one count per LATENCY_BUCKET_NAMES entry. */
export type Tally = { attempts: number; succeeded: number; byOutcome: Record<OutcomeClass, number>; latency: number[]; maxMs: number };

export function emptyTally(): Tally {
  return { attempts: 0, succeeded: 0, byOutcome: { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0, timeout: 0, connection: 0 }, latency: LATENCY_BUCKET_NAMES.map(() => 0), maxMs: 0 };
}

/**
 * The class of an attempt that reached the network: its status's hundreds (a status
 * outside 200-599 counts with the nearest), a timeout, or no answer at all. Null for an
 * attempt that sent nothing (its webhook's secret could not sign it): it says nothing about
 * the endpoint.
 */
export function outcomeClassOf(attempt: { status: number | null; errorCode: string | null }): OutcomeClass | null {
  if (attempt.status !== null) return `${Math.min(5, Math.max(2, Math.floor(attempt.status / 100)))}xx` as OutcomeClass;
  if (attempt.errorCode === "unsignable") return null;
  return attempt.errorCode === "timeout" ? "timeout" : "connection";
}

/** Adds one attempt to a tally; succeeded means a 2xx answer. */
export function addAttempt(tally: Tally, attempt: { outcome: OutcomeClass; durationMs: number }): void {
  tally.attempts++;
  if (attempt.outcome === "2xx") tally.succeeded++;
  tally.byOutcome[attempt.outcome]++;
  const index = LATENCY_BOUNDS_MS.findIndex((bound) => attempt.durationMs <= bound);
  tally.latency[index === -1 ? LATENCY_BOUNDS_MS.length : index]!++;
  tally.maxMs = Math.max(tally.maxMs, attempt.durationMs);
}

/** Adds `from` into `into` (a flush that failed goes back into the next one). */
export function mergeTally(into: Tally, from: Tally): void {
  into.attempts += from.attempts;
  into.succeeded += from.succeeded;
  for (const outcome of OUTCOME_CLASSES) into.byOutcome[outcome] += from.byOutcome[outcome];
  from.latency.forEach((n, i) => {
    into.latency[i]! += n;
  });
  into.maxMs = Math.max(into.maxMs, from.maxMs);
}

/** The start (epoch ms, UTC) of the bucket of `interval` that holds `atMs`. */
export function bucketStart(atMs: number, interval: StatsInterval): number {
  return Math.floor(atMs / INTERVAL_MS[interval]) * INTERVAL_MS[interval];
}

export type LatencyPercentiles = { p50: number; p95: number; p99: number };

/**
 * p50, p95 and p99 (ms) from histogram counts: the bucket holding each rank, and a linear
 * guess within it, never above the slowest attempt seen. Accurate to the bucket bounds, which
 * is what a fixed histogram can give; zeros for an empty histogram.
 */
export function latencyPercentiles(latency: readonly number[], maxMs: number): LatencyPercentiles {
  const total = latency.reduce((a, b) => a + b, 0);
  const at = (p: number): number => {
    if (total === 0) return 0;
    const rank = p * total;
    let below = 0;
    for (let i = 0; i < latency.length; i++) {
      const count = latency[i]!;
      if (count > 0 && below + count >= rank) {
        const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
        const upper = Math.min(LATENCY_BOUNDS_MS[i] ?? maxMs, maxMs);
        return Math.round(Math.max(lower, Math.min(upper, lower + ((rank - below) / count) * (upper - lower))));
      }
      below += count;
    }
    return maxMs;
  };
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}
