/**
 * Time as the services see it. Everything that waits or reads the time takes a `Clock`,
 * so tests advance a `ManualClock` instead of sleeping (graphile/worker's habit).
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`; early (without rejecting) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Calls `fn` every `ms` until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
}

/** The machine's clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    if (signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
    });
  },
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    return () => clearInterval(timer);
  },
};

type Timer = { at: number; fire: () => void; repeatMs: number | null; cancelled: boolean };

/**
 * A clock that moves only when told to. `advance` fires every timer due on the way, in
 * time order, letting the promises each one settles run before the next.
 */
export class ManualClock implements Clock {
  private timers: Timer[] = [];

  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = this.schedule(Math.max(0, ms), null, resolve);
      signal?.addEventListener(
        "abort",
        () => {
          timer.cancelled = true;
          resolve();
        },
        { once: true },
      );
    });
  }

  every(ms: number, fn: () => void): () => void {
    const timer = this.schedule(ms, ms, fn);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Timers waiting (sleeps and intervals). */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Sleeps waiting (intervals aside): someone is waiting for time to pass. */
  get sleeping(): number {
    return this.timers.filter((t) => !t.cancelled && t.repeatMs === null).length;
  }

  /** Moves time forward by `ms`, firing what falls due on the way. */
  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    // What was started just before (a call that fails, then sleeps) schedules its timer first.
    await settle();
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const next = this.timers.reduce<Timer | undefined>((soonest, t) => (t.at <= until && (!soonest || t.at < soonest.at) ? t : soonest), undefined);
      if (!next) break;
      this.current = Math.max(this.current, next.at);
      if (next.repeatMs === null) next.cancelled = true;
      else next.at += Math.max(1, next.repeatMs);
      next.fire();
      await settle();
    }
    this.current = until;
    await settle();
  }

  private schedule(ms: number, repeatMs: number | null, fire: () => void): Timer {
    const timer: Timer = { at: this.current + ms, fire, repeatMs, cancelled: false };
    this.timers.push(timer);
    return timer;
  }
}

/** Lets promise callbacks and immediates queued so far run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
