/**
 * Writes under way that nobody awaits in line (a batched log write, a completion written
 * after its request was answered), tracked so that a caller can wait until every one
 * started so far has settled: before a commit, or before closing the client at a stop.
 * A failure is its writer's to report; here a write is only waited for.
 */
export class PendingWrites {
  private readonly pending = new Set<Promise<unknown>>();

  track(write: Promise<unknown>): void {
    const tracked: Promise<unknown> = write.catch(() => undefined).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /** Resolves when every write tracked before the call has settled, whatever was tracked since. */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
