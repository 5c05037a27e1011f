/**
 * Writes a request answered without waiting for (the completion of an idempotency claim):
 * tracked so that stopping the admin API waits for them before it closes the database client.
 */
export class BackgroundWrites {
  private readonly pending = new Set<Promise<void>>();

  track(write: Promise<void>): void {
    const tracked = write.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /** Resolves once every write tracked so far has settled (their failures are the tracker's to report). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
