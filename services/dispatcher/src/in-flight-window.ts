/** One taking of one offset: finishing or handing back a superseded taking changes nothing. */
export type Taking = { readonly offset: bigint };

const HANDED_BACK = Symbol("handed back");

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
  /**
   * Offsets taken and not finished, in ascending order of first taking (Kafka order), each
   * with its current taking, or HANDED_BACK when it was handed back unsent: the next read of
   * it takes it again.
   */
  private readonly open = new Map<bigint, Taking | typeof HANDED_BACK>();
  private highestTaken: bigint | null = null;
  private lastCommitted: bigint | null = null;

  /** Takes an offset; null when this window already took it (in flight, or finished). */
  take(offset: string): Taking | null {
    const value = BigInt(offset);
    if (this.tookValue(value)) return null;
    const taking: Taking = { offset: value };
    // Setting an open key again keeps its place: a handed-back offset stays in order.
    this.open.set(value, taking);
    if (this.highestTaken === null || value > this.highestTaken) this.highestTaken = value;
    return taking;
  }

  /** Whether `take` would refuse this offset. */
  took(offset: string): boolean {
    return this.tookValue(BigInt(offset));
  }

  private tookValue(value: bigint): boolean {
    return this.highestTaken !== null && value <= this.highestTaken && this.open.get(value) !== HANDED_BACK;
  }

  finish(taking: Taking): void {
    if (this.open.get(taking.offset) === taking) this.open.delete(taking.offset);
  }

  /** Not sent after all: stays unfinished, so no commit passes it, and is taken again when read again. */
  handBack(taking: Taking): void {
    if (this.open.get(taking.offset) === taking) this.open.set(taking.offset, HANDED_BACK);
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
