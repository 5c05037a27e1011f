/**
 * Bounds deliveries in flight, in total and per endpoint, so a slow endpoint only slows
 * itself. Work for a busy endpoint waits in that endpoint's own queue. Once an endpoint
 * is slow (its oldest running request is older than `slowAfterMs`) and the gate is at
 * least half full (or `shortOfRoom` says so), its queue is cut to `maxQueuedWhenSlow` and the excess is
 * turned away (`{admitted: false}`: the dispatcher parks it on the first retry tier), so a hanging endpoint
 * cannot fill the shared capacity while a fast one may queue a burst of any size the
 * total allows. Below half full nobody is short of room, so nothing is parked: a merely
 * sluggish endpoint (or a busy machine) must not turn into minutes of delay.
 */
/** How a submitted task ended: run (with its value), or turned away without running. */
export type GateSlot<R> = { admitted: true; value: R } | { admitted: false };

type Waiting = { run: () => Promise<unknown>; settle: (slot: GateSlot<unknown>) => void; fail: (err: unknown) => void };

export class ConcurrencyGate {
  private readonly running = new Map<string, number[]>();
  private readonly queued = new Map<string, Waiting[]>();
  private accepted = 0;
  private capacityWaiters: Array<() => void> = [];

  constructor(
    private readonly limits: {
      maxTotal: number;
      maxPerKey: number;
      maxQueuedWhenSlow: number;
      slowAfterMs: number;
      /** Short of room by another measure (the dispatcher's bytes held), as if half full. */
      shortOfRoom?: () => boolean;
    },
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Accepted tasks (running or queued). */
  get size(): number {
    return this.accepted;
  }

  /** Resolves once another task can be accepted. */
  async waitForCapacity(): Promise<void> {
    while (this.accepted >= this.limits.maxTotal) await new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
  }

  /** Resolves when every accepted task has finished. */
  async drain(): Promise<void> {
    while (this.accepted > 0) await new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
  }

  isSlow(key: string): boolean {
    const starts = this.running.get(key);
    return starts !== undefined && starts.length > 0 && this.now() - starts[0]! > this.limits.slowAfterMs;
  }

  /**
   * Runs `run` when `key` has a free slot, and settles once it has finished (the slot is
   * free again by then), or as soon as the task is turned away. Rejects only if `run` does.
   */
  submit<R>(key: string, run: () => Promise<R>): Promise<GateSlot<R>> {
    return new Promise<GateSlot<R>>((resolve, reject) => {
      const item: Waiting = { run, settle: resolve as (slot: GateSlot<unknown>) => void, fail: reject };
      const starts = this.running.get(key) ?? [];
      if (starts.length < this.limits.maxPerKey) {
        this.accepted++;
        this.start(key, item);
        return;
      }
      const queue = this.queued.get(key) ?? [];
      if (this.isSlow(key) && (this.accepted * 2 >= this.limits.maxTotal || this.limits.shortOfRoom?.())) {
        // Shed what a slow endpoint would otherwise sit on, oldest kept first.
        while (queue.length > this.limits.maxQueuedWhenSlow) this.shed(queue.pop()!);
        if (queue.length >= this.limits.maxQueuedWhenSlow) {
          item.settle({ admitted: false });
          return;
        }
      }
      queue.push(item);
      this.queued.set(key, queue);
      this.accepted++;
    });
  }

  private shed(item: Waiting): void {
    this.accepted--;
    item.settle({ admitted: false });
    this.wakeWaiters();
  }

  private start(key: string, item: Waiting): void {
    const startedAt = this.now();
    const starts = this.running.get(key) ?? [];
    starts.push(startedAt);
    this.running.set(key, starts);
    item.run().then(
      (value) => {
        this.finished(key, startedAt);
        item.settle({ admitted: true, value });
      },
      (err: unknown) => {
        this.finished(key, startedAt);
        item.fail(err);
      },
    );
  }
  private finished(key: string, startedAt: number): void {
    this.accepted--;
    const starts = this.running.get(key)!;
    starts.splice(starts.indexOf(startedAt), 1);
    if (starts.length === 0) this.running.delete(key);
    const queue = this.queued.get(key);
    const next = queue?.shift();
    if (queue?.length === 0) this.queued.delete(key);
    if (next !== undefined) this.start(key, next);
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    const waiters = this.capacityWaiters;
    this.capacityWaiters = [];
    for (const wake of waiters) wake();
  }
}
