import { markRecovered, nextRecoverable, type WebhookDoc } from "@agiletune/shared";
import { jobFromStoredDelivery, storedPayload } from "./delivery-jobs.js";
import type { ReplayDeps } from "./dlq-replay.js";
import { inactiveWebhook } from "./errors.js";
import { resendInBatches } from "./resend-batches.js";

export type RecoverDeps = ReplayDeps;

/** `matched`: deliveries sent again. `skipped`: matching ones without a stored payload, which cannot be. */
export type RecoverOutcome = { matched: number; skipped: number };

/**
 * Sends again every delivery of `webhook` created at or after `since` whose status is
 * `failed` or `cancelled` (docs/endpoint-health.md): each with its delivery id, its stored payload and
 * a fresh retry ladder (attempt 0, source `replay`), keyed by webhook id on the deliveries
 * topic. Shared by `POST .../webhooks/:webhookId/recover` and `pnpm dlq -- recover`.
 *
 * The webhook must be active: the dispatcher would cancel every job of an inactive one
 * again (409, like redeliver).
 *
 * Oldest first by (createdAt, _id), in batches (`resendInBatches`): produce the batch,
 * then mark it (`markRecovered`: pending, "recovered at …"), so a second recover right
 * after matches none of them; a crash between the two resends that batch next time.
 *
 * A delivery with no stored payload (cancelled before any attempt, in data logged before
 * the dispatcher kept payloads on cancel) cannot be resent: it is skipped, counted in
 * `skipped`, logged by id, and left as it is.
 */
export async function recoverDeliveries(deps: RecoverDeps, webhook: Pick<WebhookDoc, "_id" | "organizationId" | "active">, since: Date, opts: { batchSize?: number } = {}): Promise<RecoverOutcome> {
  if (!webhook.active) throw inactiveWebhook();
  const log = deps.logger.child({ component: "recover", webhookId: webhook._id, organizationId: webhook.organizationId });
  const filter = { organizationId: webhook.organizationId, webhookId: webhook._id, since };
  let matched = 0;
  let skipped = 0;
  const batches = resendInBatches({
    ...deps,
    batchSize: opts.batchSize,
    next: (after, limit) => nextRecoverable(deps.db, filter, after, limit),
    positionOf: (delivery) => ({ at: delivery.createdAt, id: delivery._id }),
    jobOf: (delivery, now) => {
      const payload = storedPayload(delivery);
      return payload && jobFromStoredDelivery(delivery, payload, { as: "recover", now });
    },
    mark: (sent, now) => markRecovered(deps.db, sent, now),
  });
  for await (const batch of batches) {
    if (batch.skipped.length) {
      skipped += batch.skipped.length;
      log.warn({ deliveryIds: batch.skipped.map((d) => d._id) }, "deliveries without a stored payload cannot be recovered; skipped");
    }
    if (batch.sent.length) {
      matched += batch.sent.length;
      log.info({ batch: batch.sent.length, matched }, "deliveries recovered");
    }
  }
  log.info({ since: since.toISOString(), matched, skipped }, "recover done");
  return { matched, skipped };
}
