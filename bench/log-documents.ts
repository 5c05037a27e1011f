// Delivery-log documents of the dispatcher's shape, and inserting them as its log lanes do,
// for the benches that measure the database (ceilings, storage, index-cost, the big-log seed).
import type { Collection, Document } from "mongodb";
import { signatureHeaders, type DeadLetterDoc, type DeliveryJob } from "@agiletune/shared";

/** The request headers an attempt logs: the dispatcher's set, signed with `secret` at `at`. */
export function signedRequestHeaders(delivery: { deliveryId: string; event: string; body: string }, secret: string, at: Date): Record<string, string> {
  return {
    "content-type": "application/json",
    "user-agent": "AgileTune-Webhooks/0.1.0",
    "x-agiletune-event": delivery.event,
    "x-agiletune-delivery": delivery.deliveryId,
    ...signatureHeaders({ deliveryId: delivery.deliveryId, body: delivery.body, secret, nowSeconds: Math.floor(at.getTime() / 1000) }),
  };
}

/** A job's dead letter, dead-lettered now, never replayed. */
export function deadLetterOf(job: DeliveryJob, lastError: string): DeadLetterDoc {
  return {
    _id: job.deliveryId,
    organizationId: job.organizationId,
    webhookId: job.webhookId,
    event: job.event,
    eventId: job.eventId,
    job,
    lastError,
    deadLetteredAt: new Date(),
    replayedAt: null,
    replayCount: 0,
  };
}

/** Inserts `total` documents by two writers side by side in batches of 400, as the dispatcher's two log lanes write; documents a second. */
export async function insertedPerSecond(collection: Collection<Document>, total: number, document: (i: number) => object): Promise<number> {
  const t = Date.now();
  let next = 0;
  const writer = async () => {
    while (next < total) {
      const from = next;
      next += 400;
      await collection.insertMany(Array.from({ length: Math.min(400, total - from) }, (_, j) => document(from + j)) as never[], { ordered: false });
    }
  };
  await Promise.all([writer(), writer()]);
  return Math.round(total / ((Date.now() - t) / 1000));
}
