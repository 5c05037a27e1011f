/** A place at an endpoint: admitted (call `leave` once the request is done), or turned away. */
export type GateEntry = { kind: "admitted"; leave: () => void } | { kind: "turned-away" };

type Waiting = (entry: GateEntry) => void;

/**
 * Bounds deliveries in flight, in total and per endpoint, so a slow endpoint only slows
 * itself. Work for a busy endpoint waits in that endpoint's own queue, in the order it
 * entered. Once an endpoint is slow (its oldest running request is older than
 * `slowAfterMs`) and the gate is at least half full (or `shortOfRoom` says so), its queue
 * is cut to `maxQueuedWhenSlow` and the excess is turned away (the dispatcher defers it to
 * the first retry tier), so a hanging endpoint cannot fill the shared capacity while a
 * fast one may queue a burst of any size the total allows. Below half full nobody is
 * short of room, so nothing is turned away: a merely sluggish endpoint (or a busy
 * machine) must not turn into minutes of delay.
 */
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

  /** Accepted entries (running or queued). */
  get size(): number {
    return this.accepted;
  }

  /** Whether another entry would wait for capacity. */
  get isFull(): boolean {
    return this.accepted >= this.limits.maxTotal;
  }

  /** Resolves once another entry can be accepted. */
  async waitForCapacity(): Promise<void> {
    while (this.isFull) await new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
  }

  /** Resolves when every accepted entry has left. */
  async drain(): Promise<void> {
    while (this.accepted > 0) await new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
  }

  isSlow(key: string): boolean {
    const starts = this.running.get(key);
    return starts !== undefined && starts.length > 0 && this.now() - starts[0]! > this.limits.slowAfterMs;
  }

  /**
   * Takes a place at `key` now, in order behind those already waiting there; resolves when
   * a slot is free, or as soon as the entry is turned away.
   */
  enter(key: string): Promise<GateEntry> {
    return new Promise<GateEntry>((resolve) => {
      const starts = this.running.get(key) ?? [];
      if (starts.length < this.limits.maxPerKey) {
        this.accepted++;
        resolve(this.admit(key));
        return;
      }
      const queue = this.queued.get(key) ?? [];
      if (this.isSlow(key) && (this.accepted * 2 >= this.limits.maxTotal || this.limits.shortOfRoom?.())) {
        // Shed what a slow endpoint would otherwise sit on, oldest kept first.
        while (queue.length > this.limits.maxQueuedWhenSlow) this.shed(queue.pop()!);
        if (queue.length >= this.limits.maxQueuedWhenSlow) {
          resolve({ kind: "turned-away" });
          return;
        }
      }
      queue.push(resolve);
      this.queued.set(key, queue);
      this.accepted++;
    });
  }

  private shed(waiting: Waiting): void {
    this.accepted--;
    waiting({ kind: "turned-away" });
    this.wakeWaiters();
  }

  private admit(key: string): GateEntry {
    const startedAt = this.now();
    const starts = this.running.get(key) ?? [];
    starts.push(startedAt);
    this.running.set(key, starts);
    let left = false;
    return {
      kind: "admitted",
      leave: () => {
        if (left) return;
        left = true;
        this.left(key, startedAt);
      },
    };
  }

  private left(key: string, startedAt: number): void {
    this.accepted--;
    const starts = this.running.get(key)!;
    starts.splice(starts.indexOf(startedAt), 1);
    if (starts.length === 0) this.running.delete(key);
    const queue = this.queued.get(key);
    const next = queue?.shift();
    if (queue?.length === 0) this.queued.delete(key);
    if (next !== undefined) next(this.admit(key));
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    const waiters = this.capacityWaiters;
    this.capacityWaiters = [];
    for (const wake of waiters) wake();
  }
}
