import type { AnyBulkWriteOperation, Db, Filter } from "mongodb";
import type { DeliveryJob } from "../delivery-job.js";
import { afterPosition, type ListPosition } from "../mongo.js";
import {
  attemptsCollection,
  deadLettersCollection,
  deliveriesCollection,
  idsStoredApart,
  parkedCollection,
  type ParkedRef,
  type AttemptRecord,
  type DeadLetterDoc,
  type DeliveryDoc,
  type DeliveryStatus,
} from "./documents.js";

/** A page of a webhook's deliveries, newest first, without payloads (the list never shows them; a page of large events would be ~100 MB). */
export function listDeliveries(
  db: Db,
  query: { organizationId: string; webhookId: string; status?: DeliveryStatus | undefined; event?: string | undefined; after?: ListPosition | undefined; limit: number },
): Promise<Omit<DeliveryDoc, "payload">[]> {
  const filter: Filter<DeliveryDoc> = { webhookId: query.webhookId, organizationId: query.organizationId, ...afterPosition("createdAt", query.after) };
  if (query.status !== undefined) filter.status = query.status;
  if (query.event !== undefined) filter.event = query.event;
  return deliveriesCollection(db)
    .find(filter, { projection: { payload: 0 } })
    .sort({ createdAt: -1, _id: -1 })
    .limit(query.limit)
    .toArray();
}

/** One delivery of a webhook, or null. */
export function findDelivery(db: Db, key: { organizationId: string; webhookId: string; deliveryId: string }): Promise<DeliveryDoc | null> {
  return deliveriesCollection(db).findOne({ _id: key.deliveryId, webhookId: key.webhookId, organizationId: key.organizationId });
}

/** Every attempt of a delivery, oldest first: the one inside the entry and those stored apart. */
export async function loadAttempts(db: Db, doc: Pick<DeliveryDoc, "attempts" | "attemptIds" | "firstAttemptId">): Promise<AttemptRecord[]> {
  const ids = idsStoredApart(doc);
  // `_id: {$in}` uses the index on FerretDB only with infra/ferretdb/patches/0003.
  const later = ids.length
    ? await attemptsCollection(db)
        .find({ _id: { $in: ids } })
        .toArray()
    : [];
  const records: AttemptRecord[] = later.map(({ _id: _, deliveryId: _d, webhookId: _w, organizationId: _o, ...record }) => record);
  return [...(doc.attempts ?? []), ...records].sort((a, b) => new Date(a.startedAt).getTime() - new Date(b.startedAt).getTime() || a.attempt - b.attempt);
}

/** Which dead letters: `from` inclusive, `to` exclusive, both on `deadLetteredAt`. */
export type DeadLetterFilter = { organizationId?: string | undefined; webhookId?: string | undefined; event?: string | undefined; from?: Date | undefined; to?: Date | undefined };

export function deadLetterQuery(filter: DeadLetterFilter): Filter<DeadLetterDoc> {
  const query: Filter<DeadLetterDoc> = {};
  if (filter.organizationId !== undefined) query.organizationId = filter.organizationId;
  if (filter.webhookId !== undefined) query.webhookId = filter.webhookId;
  if (filter.event !== undefined) query.event = filter.event;
  if (filter.from !== undefined || filter.to !== undefined) {
    query.deadLetteredAt = { ...(filter.from && { $gte: filter.from }), ...(filter.to && { $lt: filter.to }) };
  }
  return query;
}

/** Dead letters newest first, without event data (a page of large events would be ~100 MB of it). */
export function listDeadLetters(db: Db, filter: DeadLetterFilter, page: { after?: ListPosition | undefined; limit: number }): Promise<DeadLetterDoc[]> {
  const query = page.after ? { $and: [deadLetterQuery(filter), afterPosition("deadLetteredAt", page.after)] } : deadLetterQuery(filter);
  return deadLettersCollection(db)
    .find(query, { projection: { "job.data": 0 } })
    .sort({ deadLetteredAt: -1, _id: -1 })
    .limit(page.limit)
    .toArray();
}

/** Dead letters not replayed since they were dead-lettered: what a replay takes. */
function replayableQuery(filter: DeadLetterFilter): Filter<DeadLetterDoc> {
  return { ...deadLetterQuery(filter), replayedAt: null };
}

export function countReplayable(db: Db, filter: DeadLetterFilter): Promise<number> {
  return deadLettersCollection(db).countDocuments(replayableQuery(filter));
}

/**
 * The next `limit` replayable dead letters oldest first, strictly after `after` in
 * (deadLetteredAt, _id) order. A position rather than re-querying "not replayed", so a
 * dead letter whose mark did not apply cannot be taken forever.
 */
export function nextReplayable(db: Db, filter: DeadLetterFilter, after: ListPosition | undefined, limit: number): Promise<DeadLetterDoc[]> {
  const position: Filter<DeadLetterDoc> = afterPosition("deadLetteredAt", after, "asc");
  return deadLettersCollection(db)
    .find({ $and: [replayableQuery(filter), position] })
    .sort({ deadLetteredAt: 1, _id: 1 })
    .limit(limit)
    .toArray();
}

/**
 * Dead letters per replay batch, one bulk write of marks each: kept under 100 because
 * FerretDB v1.24.2 without infra/ferretdb/patches/0002 never answers an update command of
 * 100 or more statements, and deployments may run it unpatched.
 */
export const REPLAY_BATCH_SIZE = 50;

/**
 * Marks dead letters replayed at `at`. The mark only applies while the dead letter is
 * unchanged (same `deadLetteredAt`, still unreplayed), so a job that dead-letters again
 * meanwhile stays replayable.
 */
export async function markReplayed(db: Db, batch: Pick<DeadLetterDoc, "_id" | "deadLetteredAt">[], at: Date): Promise<void> {
  await deadLettersCollection(db).bulkWrite(
    batch.map((dl) => ({ updateOne: { filter: { _id: dl._id, replayedAt: null, deadLetteredAt: dl.deadLetteredAt }, update: { $set: { replayedAt: at }, $inc: { replayCount: 1 } } } })),
    { ordered: false },
  );
}

/**
 * A webhook's parked deliveries, oldest first, but for `exclude` (already being sent):
 * found through the parked index, read by `_id`, and the index's stale entries (no longer
 * parked) removed on the way.
 */
export async function oldestParked(db: Db, webhookId: string, limit: number, exclude: string[] = []): Promise<DeliveryDoc[]> {
  for (;;) {
    const filter: Filter<ParkedRef> = { webhookId };
    if (exclude.length) filter._id = { $nin: exclude };
    const refs = await parkedCollection(db).find(filter).sort({ createdAt: 1, _id: 1 }).limit(limit).toArray();
    if (refs.length === 0) return [];
    const docs = new Map(
      (
        await deliveriesCollection(db)
          .find({ _id: { $in: refs.map((r) => r._id) } })
          .toArray()
      ).map((d) => [d._id, d]),
    );
    const parked = refs.flatMap((r) => (docs.get(r._id)?.status === "parked" ? [docs.get(r._id)!] : []));
    const stale = refs.filter((r) => docs.get(r._id)?.status !== "parked");
    if (stale.length) await dropStale(db, stale);
    if (parked.length || stale.length === 0) return parked;
  }
}

/**
 * Removes index entries whose delivery was not parked when read. A delivery can be parked
 * again between that read and the delete (its retry job came back while its circuit was
 * open), after its own index upsert: those found parked now are put back, or nothing would
 * ever release them.
 */
async function dropStale(db: Db, stale: ParkedRef[]): Promise<void> {
  await parkedCollection(db).deleteMany({ _id: { $in: stale.map((r) => r._id) } });
  const parkedAgain = await deliveriesCollection(db)
    .find({ _id: { $in: stale.map((r) => r._id) }, status: "parked" }, { projection: { _id: 1 } })
    .toArray();
  if (parkedAgain.length === 0) return;
  const again = new Set(parkedAgain.map((d) => d._id));
  await parkedCollection(db).bulkWrite(
    stale.filter((r) => again.has(r._id)).map((r) => ({ updateOne: { filter: { _id: r._id }, update: { $set: { webhookId: r.webhookId, createdAt: r.createdAt } }, upsert: true } })),
  );
}

/** The job that sends a parked delivery again, where it left its ladder; null when the entry lacks what that takes. */
export function jobOfParked(doc: DeliveryDoc): DeliveryJob | null {
  if (!doc.payload || !doc.parkedJob) return null;
  return {
    deliveryId: doc._id,
    webhookId: doc.webhookId,
    organizationId: doc.organizationId,
    eventId: doc.eventId,
    event: doc.event,
    timestamp: doc.payload.timestamp,
    data: doc.payload.data,
    ...doc.parkedJob,
  };
}

/** What a recover sends again (CONTRACT §8): deliveries that ended without success. */
const RECOVERABLE_STATUSES = ["failed", "cancelled"] as const satisfies readonly DeliveryStatus[];

/** A webhook's deliveries created at or after `since` (on `createdAt`). */
export type RecoverFilter = { organizationId: string; webhookId: string; since: Date };

/**
 * The next `limit` failed or cancelled deliveries of a webhook created since
 * `filter.since`, oldest first, strictly after `after` in (createdAt, _id) order, with
 * their payloads (the recover resends them). A position rather than re-querying the
 * status, so an entry whose mark did not apply, or that cannot be sent (no payload), is
 * taken once per run, never forever. Batches of at most REPLAY_BATCH_SIZE keep a page of
 * large payloads in bounds and the marks under FerretDB's update limit.
 */
export function nextRecoverable(db: Db, filter: RecoverFilter, after: ListPosition | undefined, limit: number): Promise<DeliveryDoc[]> {
  const query: Filter<DeliveryDoc> = { webhookId: filter.webhookId, organizationId: filter.organizationId, status: { $in: [...RECOVERABLE_STATUSES] }, createdAt: { $gte: filter.since } };
  const position: Filter<DeliveryDoc> = afterPosition("createdAt", after, "asc");
  return deliveriesCollection(db)
    .find({ $and: [query, position] })
    .sort({ createdAt: 1, _id: 1 })
    .limit(Math.min(limit, REPLAY_BATCH_SIZE))
    .toArray();
}

/**
 * Marks deliveries a recover has just produced (after the broker acknowledged them):
 * each entry becomes `pending` with statusReason "recovered at <time>" and no due time,
 * so a second recover right after does not send it again; its dead letter, if it has one,
 * counts as replayed (`replayedAt`, `replayCount + 1`), so a DLQ replay does not send it
 * a third time.
 *
 * Each mark applies only while the entry is as it was read (same status and `updatedAt`):
 * if the dispatcher logged the resent job first (it may be that fast), what it logged
 * stays. A dead letter is marked only if it was dead-lettered before `at`, so one that
 * fails again after this recover stays replayable. A crash before the marks resends the
 * batch on the next recover: at-least-once, same delivery ids.
 */
export async function markRecovered(db: Db, batch: Pick<DeliveryDoc, "_id" | "status" | "updatedAt">[], at: Date): Promise<void> {
  if (batch.length === 0) return;
  const marks: AnyBulkWriteOperation<DeliveryDoc>[] = batch.map((d) => ({
    updateOne: {
      filter: { _id: d._id, status: d.status, updatedAt: d.updatedAt },
      update: { $set: { status: "pending", statusReason: `recovered at ${at.toISOString()}`, nextAttemptAt: null, updatedAt: at } },
    },
  }));
  await deliveriesCollection(db).bulkWrite(marks, { ordered: false });
  // One statement: `_id: {$in}` (dead letters are keyed by delivery id).
  await deadLettersCollection(db).updateMany({ _id: { $in: batch.map((d) => d._id) }, replayedAt: null, deadLetteredAt: { $lte: at } }, { $set: { replayedAt: at }, $inc: { replayCount: 1 } });
}
