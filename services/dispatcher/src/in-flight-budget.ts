/**
 * Jobs taken from Kafka whose effects are not durable yet (attempt running or queued,
 * recording not acknowledged), by count and by serialized bytes. Their offsets cannot be
 * committed, and the jobs sit in memory: intake stops taking more while either limit is
 * reached, so a slow database or a flood of large events cannot fill the heap.
 */
export class InFlightBudget {
  private readonly held = new Set<Promise<void>>();
  private heldBytes = 0;
  private releaseWaiters: Array<() => void> = [];

  constructor(private readonly limits: { maxJobs: number; maxBytes: number }) {}

  get jobs(): number {
    return this.held.size;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  /** Checked before each job is taken, so the bytes held may pass the limit by one job of any size. */
  isFull(): boolean {
    return this.held.size >= this.limits.maxJobs || this.heldBytes >= this.limits.maxBytes;
  }

  /** Half the bytes held: the concurrency gate starts shedding a slow endpoint's queue. */
  isHalfFullByBytes(): boolean {
    return this.heldBytes * 2 >= this.limits.maxBytes;
  }

  /**
   * Counts `work` (a job of `bytes`) until it settles. The returned promise settles the
   * same way, after the budget has released it.
   */
  hold(bytes: number, work: Promise<void>): Promise<void> {
    this.heldBytes += bytes;
    const release = () => {
      this.held.delete(done);
      this.heldBytes -= bytes;
      const waiters = this.releaseWaiters;
      this.releaseWaiters = [];
      for (const wake of waiters) wake();
    };
    const done = work.then(release, (err: unknown) => {
      release();
      throw err;
    });
    // Held for counting only; the caller handles the outcome.
    this.held.add(done);
    done.catch(() => undefined);
    return done;
  }

  /** Resolves at the next release. */
  nextRelease(): Promise<void> {
    return new Promise((resolve) => this.releaseWaiters.push(resolve));
  }

  /** Resolves when everything held now has settled. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.held]);
  }
}
