import { dropChains, heldOfWebhook, type Clock, type Logger } from "@agiletune/shared";
import { deliverHeld, type DeliveryContext } from "../deliver.js";

const SWEEP_EVERY_MS = 5_000;
/**
 * A chain that has not moved for this long, with nothing of it being sent here, is read
 * again and taken up: longer than a request to a slow endpoint and its recording, so a
 * previous owner's last request is over before its chain is taken up here.
 */
const STALLED_AFTER_MS = 60_000;
/** Held deliveries sent at once when their webhook stops being ordered: the gate paces them. */
const PAGE = 500;

/**
 * Keeps held deliveries moving. Takes up chains that stalled (a delivery released by the
 * partition's previous owner as it lost it, an end a process could not record). Releases
 * what a webhook held once it is no longer ordered (switched off, deactivated or deleted):
 * nothing may stay held for an order nobody asks for. Sent as they come, or cancelled with
 * their webhook; its chains go, so ordering it again starts afresh.
 */
export class HeldSweeper {
  private stopTimer: (() => void) | null = null;
  private sweeping = false;
  private readonly log: Logger;

  constructor(private readonly opts: { ctx: DeliveryContext; clock: Clock; logger: Logger }) {
    this.log = opts.logger.child({ component: "ordering" });
  }

  start(): void {
    this.stopTimer = this.opts.clock.every(SWEEP_EVERY_MS, () => {
      if (this.sweeping) return;
      this.sweeping = true;
      void this.sweep()
        .catch((err: unknown) => this.log.warn({ err }, "releasing held deliveries of unordered webhooks failed; will try again"))
        .finally(() => (this.sweeping = false));
    });
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = null;
  }

  private async sweep(): Promise<void> {
    const { ctx } = this.opts;
    for (const job of await ctx.chains.restartStalled(STALLED_AFTER_MS))
      deliverHeld(job, ctx).catch((err: unknown) => this.log.warn({ err, deliveryId: job.deliveryId }, "resuming a held delivery failed; will try again"));
    for (const webhookId of ctx.chains.webhooksHolding()) {
      const webhook = await ctx.webhooks.get(webhookId);
      if (webhook?.doc.ordered && webhook.doc.active) continue;
      ctx.chains.forget(webhookId);
      await dropChains(ctx.db, webhookId);
      let before = "";
      for (let page = await heldOfWebhook(ctx.db, webhookId, PAGE); page.length && page[0]!.deliveryId !== before; page = await heldOfWebhook(ctx.db, webhookId, PAGE)) {
        // A page that did not move (its partition went elsewhere) is left to the next owner.
        before = page[0]!.deliveryId;
        await Promise.all(page.map((job) => deliverHeld(job, ctx)));
      }
      this.log.info({ webhookId }, "held deliveries released: the webhook is no longer ordered");
    }
  }
}
