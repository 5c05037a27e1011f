import type { Clock } from "@agiletune/shared";

/** How often the sends of webhooks no longer sent to are forgotten. */
const PRUNE_EVERY_MS = 60_000;

/**
 * Requests per second per webhook (docs/endpoint-health.md `rateLimitPerSecond`): a sliding window of
 * the last sends, so no window of one second ever holds more than the limit — a token
 * bucket would allow twice the rate across a burst's edge. Jobs are keyed by webhook id,
 * so one dispatcher owns a webhook at a time; after a rebalance every webhook waits one
 * window (`holdAll`) so the previous owner's last second and ours never overlap.
 */
export class RateLimiter {
  private readonly sent = new Map<string, number[]>();
  private notBefore = 0;
  private prunedAt = 0;

  constructor(
    private readonly opts: {
      clock: Clock;
      /** Added to the window: requests sent a second apart may arrive a little closer. */
      marginMs?: number;
      onWait?: (webhookId: string, ms: number) => void;
    },
  ) {}

  private get windowMs(): number {
    return 1_000 + (this.opts.marginMs ?? 50);
  }

  /** Webhooks whose recent sends are held (for tests and gauges). */
  get tracked(): number {
    return this.sent.size;
  }

  /** Resolves when one more request to `webhookId` fits `perSecond`, and counts it as sent. */
  async acquire(webhookId: string, perSecond: number | null): Promise<void> {
    const { clock } = this.opts;
    if (perSecond === null) return;
    if (clock.now() - this.prunedAt > PRUNE_EVERY_MS) this.prune();
    for (;;) {
      const at = clock.now();
      const times = (this.sent.get(webhookId) ?? []).filter((t) => t > at - this.windowMs);
      this.sent.set(webhookId, times);
      const wait = Math.max(this.notBefore - at, times.length < perSecond ? 0 : times[0]! + this.windowMs - at);
      if (wait <= 0) {
        times.push(at);
        return;
      }
      this.opts.onWait?.(webhookId, wait);
      await clock.sleep(wait);
    }
  }

  /** After a rebalance: nothing is sent to a rate-limited webhook for one window. */
  holdAll(): void {
    this.notBefore = this.opts.clock.now() + this.windowMs;
  }

  /** Forgets webhooks not sent to for a window, so the map does not grow with every webhook ever seen. */
  private prune(): void {
    const at = this.opts.clock.now();
    this.prunedAt = at;
    for (const [id, times] of this.sent) if (times.every((t) => t <= at - this.windowMs)) this.sent.delete(id);
  }
}
