/** The user guide's schedule: retry 1..5 after 1 min, 5 min, 30 min, 2 h, 12 h. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [60_000, 300_000, 1_800_000, 7_200_000, 43_200_000];

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** Parses one duration such as `250ms`, `1s`, `5m`, `2h`. Throws on anything else. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration (a number followed by ms, s, m or h)`);
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
