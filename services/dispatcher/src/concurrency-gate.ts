type Task = () => Promise<void>;

/**
 * Bounds deliveries in flight, in total and per endpoint, so a slow endpoint only
 * slows itself. Work for a busy endpoint waits in its own small queue; when that queue
 * is full the caller is told `overflow` and parks the job elsewhere instead of letting
 * one endpoint fill the shared capacity.
 */
export class ConcurrencyGate {
  private readonly running = new Map<string, number>();
  private readonly queued = new Map<string, Task[]>();
  private accepted = 0;
  private capacityWaiters: Array<() => void> = [];

  constructor(private readonly limits: { maxTotal: number; maxPerKey: number; maxQueuedPerKey: number }) {}

  /** Accepted tasks (running or queued). */
  get size(): number {
    return this.accepted;
  }

  runningFor(key: string): number {
    return this.running.get(key) ?? 0;
  }

  /** Resolves once another task can be accepted. */
  async waitForCapacity(): Promise<void> {
    while (this.accepted >= this.limits.maxTotal) {
      await new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
    }
  }

  /** Resolves when every accepted task has finished. */
  async drain(): Promise<void> {
    while (this.accepted > 0) await new Promise<void>((resolve) => this.capacityWaiters.push(resolve));
  }

  submit(key: string, task: Task): "accepted" | "overflow" {
    const running = this.running.get(key) ?? 0;
    if (running < this.limits.maxPerKey) {
      this.accepted++;
      this.start(key, task);
      return "accepted";
    }
    const queue = this.queued.get(key) ?? [];
    if (queue.length >= this.limits.maxQueuedPerKey) return "overflow";
    queue.push(task);
    this.queued.set(key, queue);
    this.accepted++;
    return "accepted";
  }

  private start(key: string, task: Task): void {
    this.running.set(key, (this.running.get(key) ?? 0) + 1);
    // Tasks handle their own errors; a rejection here would be a bug, not an outcome.
    task()
      .catch(() => undefined)
      .finally(() => this.finished(key));
  }

  private finished(key: string): void {
    this.accepted--;
    const next = this.queued.get(key)?.shift();
    if (this.queued.get(key)?.length === 0) this.queued.delete(key);
    const running = (this.running.get(key) ?? 1) - 1;
    if (running === 0) this.running.delete(key);
    else this.running.set(key, running);
    if (next) this.start(key, next);
    const waiters = this.capacityWaiters;
    this.capacityWaiters = [];
    for (const wake of waiters) wake();
  }
}
