import { deliveriesCollection, type DeliveryDoc, type DeliveryJob } from "@agiletune/shared";
import type { Db } from "mongodb";

/**
 * Marks a delivery known before any attempt (a ping), leaving an existing log untouched.
 *
 * Same contract as shared `recordPendingDelivery`, but an insert that tolerates a duplicate
 * key instead of an upsert with `$setOnInsert`: FerretDB v1 drops the empty-array and null
 * values of a `$setOnInsert` upsert (`attempts: []`, `nextAttemptAt: null` vanish), which
 * this shape keeps on both servers.
 */
export async function recordPendingDelivery(db: Db, job: DeliveryJob, now: Date): Promise<void> {
  const doc: DeliveryDoc = {
    _id: job.deliveryId,
    webhookId: job.webhookId,
    organizationId: job.organizationId,
    eventId: job.eventId,
    event: job.event,
    status: "pending",
    attempts: [],
    nextAttemptAt: null,
    statusReason: null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await deliveriesCollection(db).insertOne(doc);
  } catch (err) {
    // Already logged (the dispatcher got there first): that log wins.
    if ((err as { code?: number }).code !== 11000) throw err;
  }
}
