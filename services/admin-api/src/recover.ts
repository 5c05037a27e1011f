import { encodeDeliveryJob, markRecovered, nextRecoverable, REPLAY_BATCH_SIZE, sendInChunks, type DeliveryDoc, type WebhookDoc } from "@agiletune/shared";
import { buildRecoverJob, storedPayload } from "./delivery-jobs.js";
import type { ReplayDeps } from "./dlq-replay.js";
import { inactiveWebhook } from "./errors.js";

export type RecoverDeps = ReplayDeps;

/** `matched`: deliveries sent again. `skipped`: matching ones without a stored payload, which cannot be. */
export type RecoverOutcome = { matched: number; skipped: number };

/**
 * Sends again every delivery of `webhook` created at or after `since` whose status is
 * `failed` or `cancelled` (CONTRACT §8): each with its delivery id, its stored payload and
 * a fresh retry ladder (attempt 0, source `replay`), keyed by webhook id on the deliveries
 * topic. Shared by `POST .../webhooks/:webhookId/recover` and `pnpm dlq -- recover`.
 *
 * The webhook must be active: the dispatcher would cancel every job of an inactive one
 * again (409, like redeliver).
 *
 * Oldest first by (createdAt, _id), in batches of at most REPLAY_BATCH_SIZE: produce the
 * batch (acknowledged by all in-sync replicas, in size-bounded requests), then mark it
 * (`markRecovered`: pending, "recovered at …"), so a second recover right after matches
 * none of them. A crash or broker failure between the two resends that batch next time:
 * at-least-once, like the rest of the pipeline, with the same delivery ids. Marking first
 * would lose them instead.
 *
 * A delivery with no stored payload (cancelled before any attempt, in data logged before
 * the dispatcher kept payloads on cancel) cannot be resent: it is skipped, counted in
 * `skipped`, logged by id, and left as it is.
 */
export async function recoverDeliveries(deps: RecoverDeps, webhook: Pick<WebhookDoc, "_id" | "organizationId" | "active">, since: Date, opts: { batchSize?: number } = {}): Promise<RecoverOutcome> {
  if (!webhook.active) throw inactiveWebhook();
  const log = deps.logger.child({ component: "recover", webhookId: webhook._id, organizationId: webhook.organizationId });
  const clock = deps.clock ?? (() => new Date());
  const batchSize = Math.min(opts.batchSize ?? REPLAY_BATCH_SIZE, REPLAY_BATCH_SIZE);
  const filter = { organizationId: webhook.organizationId, webhookId: webhook._id, since };
  let matched = 0;
  let skipped = 0;
  let after: { at: Date; id: string } | undefined;
  for (;;) {
    const batch = await nextRecoverable(deps.db, filter, after, batchSize);
    if (batch.length === 0) break;
    const now = clock();
    const sendable: Array<{ doc: DeliveryDoc; value: Buffer }> = [];
    const noPayload: string[] = [];
    for (const doc of batch) {
      const payload = storedPayload(doc);
      if (payload) sendable.push({ doc, value: encodeDeliveryJob(buildRecoverJob(doc, payload, now)) });
      else noPayload.push(doc._id);
    }
    if (noPayload.length) {
      skipped += noPayload.length;
      log.warn({ deliveryIds: noPayload }, "deliveries without a stored payload cannot be recovered; skipped");
    }
    if (sendable.length) {
      // In requests under the broker's size limit: fifty jobs of large events exceed it together.
      await sendInChunks(deps.producer, [{ topic: deps.topics.deliveries, messages: sendable.map((s) => ({ key: webhook._id, value: s.value })) }]);
      await markRecovered(
        deps.db,
        sendable.map((s) => s.doc),
        now,
      );
      matched += sendable.length;
      log.info({ batch: sendable.length, matched }, "deliveries recovered");
    }
    const last = batch[batch.length - 1]!;
    after = { at: last.createdAt, id: last._id };
    if (batch.length < batchSize) break;
  }
  log.info({ since: since.toISOString(), matched, skipped }, "recover done");
  return { matched, skipped };
}
