/** How `retryUntil` repeats a call. */
export type RetryPolicy = {
  /** The first wait after a failure; each later wait doubles, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Asked before every try: true ends the retries (shutdown, a lost partition). */
  giveUp?: () => boolean;
  /** After this many ms from the first try, the last failure ends the retries. Unset: no limit. */
  timeoutMs?: number;
  /** Told of each failure before the wait (log it here). */
  onFailure?: (err: unknown) => void;
  /** Runs after each wait, before the next try (a consumer's heartbeat). */
  afterWait?: () => Promise<void>;
};

export type RetryResult<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Calls `fn` until it resolves, waiting with doubling delays between failures; ends
 * without a value only when `giveUp` says so or `timeoutMs` has passed. The one place
 * that repeats a call: a MongoDB or broker outage is waited out, not turned into a loss.
 */
export async function retryUntil<T>(fn: () => Promise<T>, policy: RetryPolicy): Promise<RetryResult<T>> {
  const deadline = policy.timeoutMs === undefined ? Infinity : Date.now() + policy.timeoutMs;
  // Made only when needed: an Error captures a stack trace, and this runs for every job
  // (6 % of the dispatcher's CPU when it was made up front).
  let error: { thrown: unknown } | undefined;
  for (let delay = policy.initialDelayMs; !policy.giveUp?.(); delay = Math.min(delay * 2, policy.maxDelayMs)) {
    try {
      return { ok: true, value: await fn() };
    } catch (err) {
      error = { thrown: err };
      if (Date.now() >= deadline) break;
      policy.onFailure?.(err);
      await new Promise((resolve) => setTimeout(resolve, delay));
      await policy.afterWait?.();
    }
  }
  return { ok: false, error: error ? error.thrown : new Error("gave up before the first try") };
}
