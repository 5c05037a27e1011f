/**
 * The offsets of one partition that have been taken but not finished. Deliveries finish
 * out of order; the committable offset is the lowest unfinished one (Kafka commits "the
 * next offset to read"), so a crash re-reads everything not yet finished and nothing
 * that was never started is skipped.
 */
export class InFlightWindow {
  /** Offsets started and not finished, in ascending order of start (Kafka order). */
  private readonly open = new Set<bigint>();
  private highestStarted: bigint | null = null;
  private lastCommitted: bigint | null = null;

  start(offset: string): void {
    const value = BigInt(offset);
    this.open.add(value);
    if (this.highestStarted === null || value > this.highestStarted) this.highestStarted = value;
  }

  finish(offset: string): void {
    this.open.delete(BigInt(offset));
  }

  get size(): number {
    return this.open.size;
  }

  /** The offset to commit now, or null when nothing new can be committed. */
  committable(): string | null {
    if (this.highestStarted === null) return null;
    let next = this.highestStarted + 1n;
    // Sets iterate in insertion order, and offsets are started in ascending order.
    for (const offset of this.open) {
      next = offset;
      break;
    }
    if (this.lastCommitted !== null && next <= this.lastCommitted) return null;
    return next.toString();
  }

  markCommitted(offset: string): void {
    const value = BigInt(offset);
    if (this.lastCommitted === null || value > this.lastCommitted) this.lastCommitted = value;
  }
}
