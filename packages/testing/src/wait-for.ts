export type WaitForOptions = {
  /** How long to keep trying, in ms (default 10 s). */
  timeout?: number;
  /** Pause between tries, in ms (default 25). */
  interval?: number;
  /** Says what was awaited, and may describe the state at the deadline (called once, then). */
  message?: string | (() => string | Promise<string>);
};

/**
 * Polls `condition` until it returns a truthy value, and returns that value. A condition
 * that throws counts as not met (the last error is reported at the deadline). Waiting for
 * what a test means, instead of sleeping for a guessed time, keeps it fast on a fast
 * machine and correct on a slow one.
 */
export async function waitFor<T>(condition: () => T | Promise<T>, opts: WaitForOptions = {}): Promise<NonNullable<T>> {
  const timeout = opts.timeout ?? 10_000;
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(opts.interval ?? 25, Math.max(0, deadline - Date.now())));
  }
  const what = typeof opts.message === "function" ? await opts.message() : (opts.message ?? "condition");
  const cause = lastError === undefined ? "" : `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
  throw new Error(`waitFor: ${what} not met within ${timeout} ms${cause}`, { cause: lastError });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
