import type { DeliveryJob } from "@agiletune/shared";

/** Deliveries remembered as succeeded: at about 100 bytes each, a few MB. */
const REMEMBERED_SUCCESSES = 50_000;

/**
 * Which delivery a job is. Every job of one event for one webhook is the same delivery (its
 * id is derived from the pair), whatever produced it; a redelivery, a replay or a ping is
 * one delivery of its own, so it is told apart by when it was asked for.
 */
function deliveryOf(job: DeliveryJob): string {
  return job.source === "event" ? job.deliveryId : `${job.deliveryId} ${job.source} ${job.enqueuedAt}`;
}

type Claim = "repeat" | "claimed";

/**
 * Stops a job that repeats a delivery this process has already made from being sent a
 * second time. Jobs repeat when fanout or the retry service read messages again past their
 * last commit (a crash, a broker failover), when a produce retried after a lost answer
 * wrote a job twice, and when an event was produced twice upstream: each would otherwise
 * reach the receiver again. A success is remembered once it is recorded, so a repeat
 * read after a crash of this process is still sent (at least once, never lost), as is a
 * repeat that reaches another instance; remembered are the last `capacity` successes.
 * Two copies under way at once are not sent side by side: the later waits for the first.
 */
export class RecentSuccesses {
  /** Oldest first: a Set keeps insertion order. */
  private readonly succeeded = new Set<string>();
  /** Deliveries being sent, with whoever waits for them (made only when someone does). */
  private readonly underWay = new Map<string, Array<() => void> | undefined>();

  constructor(private readonly capacity = REMEMBERED_SUCCESSES) {}

  /**
   * "repeat" if a copy of it succeeded here; otherwise it is under way until `release`.
   * Answers at once unless another copy is under way (no promise for every job): then
   * `beforeWaiting` runs, and the answer comes once that copy is released.
   */
  claim(job: DeliveryJob, beforeWaiting: () => void): Claim | Promise<Claim> {
    const delivery = deliveryOf(job);
    if (this.underWay.has(delivery)) return this.afterCopy(job, delivery, beforeWaiting);
    if (this.succeeded.has(delivery)) return "repeat";
    this.underWay.set(delivery, undefined);
    return "claimed";
  }

  /** Waits for the copy under way to be released, then claims again (another may have claimed first). */
  private async afterCopy(job: DeliveryJob, delivery: string, beforeWaiting: () => void): Promise<Claim> {
    beforeWaiting();
    await new Promise<void>((resolve) => {
      const waiting = this.underWay.get(delivery);
      if (waiting) waiting.push(resolve);
      else this.underWay.set(delivery, [resolve]);
    });
    return this.claim(job, beforeWaiting);
  }

  /** A claimed job is done with (recorded, or handed back): the next copy may go. */
  release(job: DeliveryJob): void {
    const delivery = deliveryOf(job);
    const waiting = this.underWay.get(delivery);
    this.underWay.delete(delivery);
    for (const wake of waiting ?? []) wake();
  }

  /** Its success is recorded: a later copy is a repeat. */
  succeededWith(job: DeliveryJob): void {
    const delivery = deliveryOf(job);
    this.succeeded.delete(delivery);
    this.succeeded.add(delivery);
    if (this.succeeded.size > this.capacity) this.succeeded.delete(this.succeeded.values().next().value!);
  }
}
