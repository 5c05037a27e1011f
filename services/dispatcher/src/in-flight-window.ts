/** One taking of one offset: finishing or handing back a superseded taking changes nothing. */
export type Taking = { readonly offset: bigint };

/**
 * The offsets of one partition that have been taken but not finished. Deliveries finish
 * out of order; the committable offset is the lowest unfinished one (Kafka commits "the
 * next offset to read"), so a crash re-reads everything not yet finished and nothing
 * that was never started is skipped.
 *
 * A window outlives a rebalance that leaves its partition with this member. The consumer
 * then reads again from the committed offset; `take` refuses what this window already
 * took, so work sent but not yet committed is not sent a second time by its own sender.
 */
export class InFlightWindow {
  /** Offsets taken and not finished, in ascending order of first taking (Kafka order). */
  private readonly open = new Map<bigint, Taking>();
  /** Open offsets handed back unsent: the next read of them takes them again. */
  private readonly handedBack = new Set<bigint>();
  private highestTaken: bigint | null = null;
  private lastCommitted: bigint | null = null;

  /** Takes an offset; null when this window already took it (in flight, or finished). */
  take(offset: string): Taking | null {
    if (this.took(offset)) return null;
    const value = BigInt(offset);
    this.handedBack.delete(value);
    const taking: Taking = { offset: value };
    // Setting an open key again keeps its place: a handed-back offset stays in order.
    this.open.set(value, taking);
    if (this.highestTaken === null || value > this.highestTaken) this.highestTaken = value;
    return taking;
  }

  /** Whether `take` would refuse this offset. */
  took(offset: string): boolean {
    const value = BigInt(offset);
    return this.highestTaken !== null && value <= this.highestTaken && !this.handedBack.has(value);
  }

  finish(taking: Taking): void {
    if (this.open.get(taking.offset) === taking && !this.handedBack.has(taking.offset)) this.open.delete(taking.offset);
  }

  /** Not sent after all: stays unfinished, so no commit passes it, and is taken again when read again. */
  handBack(taking: Taking): void {
    if (this.open.get(taking.offset) === taking) this.handedBack.add(taking.offset);
  }

  get size(): number {
    return this.open.size;
  }

  /** The offset to commit now, or null when nothing new can be committed. */
  committable(): string | null {
    if (this.highestTaken === null) return null;
    let next = this.highestTaken + 1n;
    // Maps iterate in insertion order, and offsets are first taken in ascending order.
    for (const offset of this.open.keys()) {
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
