import type { Clock } from "@agiletune/shared";

/**
 * The waits of a tier's held partitions: each until its head job is due on the clock.
 * A partition has at most one wait; holding it again ends the earlier one.
 */
export class PartitionHolds {
  private readonly waits = new Map<number, AbortController>();

  constructor(private readonly clock: Clock) {}

  /**
   * Waits until `dueAt` (epoch ms on the clock). `due` resolves true then, or false when the
   * wait was ended first (by `clear` or a later hold of the partition, which owns it now).
   */
  hold(partition: number, dueAt: number): { waitMs: number; due: Promise<boolean> } {
    this.waits.get(partition)?.abort();
    const wait = new AbortController();
    this.waits.set(partition, wait);
    const waitMs = Math.max(0, dueAt - this.clock.now());
    const due = this.clock.sleep(waitMs, wait.signal).then(() => {
      if (wait.signal.aborted) return false;
      this.waits.delete(partition);
      return true;
    });
    return { waitMs, due };
  }

  /** Ends every wait (a new assignment starts from committed offsets, or the consumer stops). */
  clear(): void {
    for (const wait of this.waits.values()) wait.abort();
    this.waits.clear();
  }
}
