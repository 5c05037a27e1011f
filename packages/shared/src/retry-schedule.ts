/** The user guide's schedule: retry 1..5 after 1 min, 5 min, 30 min, 2 h, 12 h. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [60_000, 300_000, 1_800_000, 7_200_000, 43_200_000];

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses one duration such as `250ms`, `1s`, `5m`, `2h`, `5d`. Throws on anything else. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration (a number followed by ms, s, m, h or d)`);
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (!Number.isFinite(ms) || ms <= 0) throw new Error(`"${text}" must be greater than zero`);
  return Math.round(ms);
}

/** Parses `RETRY_DELAYS`, e.g. `1s,2s,3s,4s,5s`: exactly five positive durations. */
export function parseRetryDelays(text: string): number[] {
  const parts = text.split(",");
  if (parts.length !== DEFAULT_RETRY_DELAYS_MS.length) {
    throw new Error(`expected exactly ${DEFAULT_RETRY_DELAYS_MS.length} comma-separated durations, got ${parts.length}`);
  }
  return parts.map(parseDuration);
}

export type NextStep = { kind: "retry"; retry: number; tier: number; dueAt: number } | { kind: "dead-letter" };

/**
 * What follows a failed attempt. Attempt 0 is the first delivery; attempt n (1..5) is
 * retry n. A failed attempt n goes to tier n (0-based) and is due `delays[n]` after the
 * failure; a failed last retry is dead-lettered.
 */
export function nextStep(failedAttempt: number, failedAt: number, delaysMs: readonly number[]): NextStep {
  const delay = delaysMs[failedAttempt];
  if (delay === undefined) return { kind: "dead-letter" };
  return { kind: "retry", retry: failedAttempt + 1, tier: failedAttempt, dueAt: failedAt + delay };
}

/** The longest a receiver's `Retry-After` can push a retry back (docs/endpoint-health.md). */
export const MAX_RETRY_AFTER_MS = 12 * 3_600_000;

/**
 * A `Retry-After` value (RFC 9110: delay-seconds or an HTTP date) as a wait in ms from
 * `nowMs`, capped at 12 h; null when absent or unreadable (the ladder alone then decides).
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  let waitMs: number;
  if (/^\d+$/.test(text)) waitMs = Number(text) * 1_000;
  else {
    const at = Date.parse(text);
    // Only the HTTP-date forms: a bare number or ISO string is not one.
    if (Number.isNaN(at) || !/[a-z]{3}/i.test(text)) return null;
    waitMs = at - nowMs;
  }
  return Math.min(Math.max(0, waitMs), MAX_RETRY_AFTER_MS);
}

/**
 * A retry the receiver asked to come later: due at the later of the ladder's time and
 * `failedAt + retryAfterMs`, on the tier whose delay is the shortest that covers the wait
 * (tiers hand jobs back in order, so a job is never due later than those put behind it).
 * The job's own ladder position (`retry`) is unchanged.
 */
export function deferredBy(step: Extract<NextStep, { kind: "retry" }>, failedAt: number, retryAfterMs: number | null, delaysMs: readonly number[]): Extract<NextStep, { kind: "retry" }> {
  if (retryAfterMs === null || failedAt + retryAfterMs <= step.dueAt) return step;
  const covering = delaysMs.findIndex((delay, tier) => tier >= step.tier && delay >= retryAfterMs);
  return { ...step, tier: covering === -1 ? delaysMs.length - 1 : covering, dueAt: failedAt + retryAfterMs };
}
