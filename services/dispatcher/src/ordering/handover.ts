import type { Clock } from "@agiletune/shared";

/** Beyond an attempt's timeout, for the previous owner's attempts to have ended. */
const GRACE_MS = 1_000;

/**
 * A partition changing hands: an attempt its previous owner started before losing it may
 * still be on its way for up to an attempt's timeout. A copy of that delivery sent here
 * meanwhile could end, and release the next delivery of its key, before that attempt
 * arrives; so a delivery this process did not start waits until then.
 */
export class Handover {
  private previousOwnerDoneAt = 0;

  /** `attemptTimeoutMs`: the longest an attempt can take (DELIVERY_TIMEOUT_MS). */
  constructor(private readonly opts: { clock: Clock; attemptTimeoutMs: number }) {}

  /** A new assignment: whatever came with it may have a previous owner still sending. */
  assigned(): void {
    this.previousOwnerDoneAt = this.opts.clock.now() + this.opts.attemptTimeoutMs + GRACE_MS;
  }

  /** Resolves once the previous owners' attempts have surely ended. */
  untilPreviousOwnerDone(): Promise<void> {
    return this.opts.clock.sleep(this.previousOwnerDoneAt - this.opts.clock.now());
  }
}
