import { systemClock, type Clock } from "./clock.js";

/** How `retryUntil` repeats a call. */
export type RetryPolicy = {
  /** The first wait after a failure; each later wait doubles, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Asked before every try: true ends the retries (shutdown, a lost partition). */
  giveUp?: () => boolean;
  /** After this many ms from the first try, the last failure ends the retries. Unset: no limit. */
  timeoutMs?: number;
  /** Asked of each failure: false ends the retries with it (poison: trying again cannot help). Unset: every failure is retried. */
  isRetryable?: (err: unknown) => boolean;
  /** Told of each failure that will be retried, before the wait (log it here). */
  onFailure?: (err: unknown) => void;
  /** Runs after each wait, before the next try (a consumer's heartbeat). */
  afterWait?: () => Promise<void>;
  /** Reads the time and waits; the system's unless a test passes a `ManualClock`. */
  clock?: Clock;
};

/**
 * The waits for an outage of the broker or the database: 200 ms, doubling to 5 s, so a
 * short blip costs little and a long one is asked about every 5 s.
 */
export const OUTAGE_RETRY = { initialDelayMs: 200, maxDelayMs: 5_000 } as const satisfies Pick<RetryPolicy, "initialDelayMs" | "maxDelayMs">;

/** `retryable: false`: the classifier said no, so the error is final whatever the policy. */
export type RetryResult<T> = { ok: true; value: T } | { ok: false; error: unknown; retryable: boolean };

/**
 * Calls `fn` until it resolves, waiting with doubling delays between failures; ends
 * without a value when `giveUp` says so, `timeoutMs` has passed, or `isRetryable` says a
 * failure cannot be helped by another try. The one place that repeats a call: a MongoDB
 * or broker outage is waited out, not turned into a loss.
 */
export async function retryUntil<T>(fn: () => Promise<T>, policy: RetryPolicy): Promise<RetryResult<T>> {
  const clock = policy.clock ?? systemClock;
  const deadline = policy.timeoutMs === undefined ? Infinity : clock.now() + policy.timeoutMs;
  // Made only when needed: an Error captures a stack trace, and this runs for every job
  // (6 % of the dispatcher's CPU when it was made up front).
  let error: { thrown: unknown } | undefined;
  for (let delay = policy.initialDelayMs; !policy.giveUp?.(); delay = Math.min(delay * 2, policy.maxDelayMs)) {
    try {
      return { ok: true, value: await fn() };
    } catch (err) {
      if (policy.isRetryable && !policy.isRetryable(err)) return { ok: false, error: err, retryable: false };
      error = { thrown: err };
      if (clock.now() >= deadline) break;
      policy.onFailure?.(err);
      await clock.sleep(delay);
      await policy.afterWait?.();
    }
  }
  return { ok: false, error: error ? error.thrown : new Error("gave up before the first try"), retryable: true };
}
