import type { AnyBulkWriteOperation, Db, Filter } from "mongodb";
import type { DeliveryJob } from "../delivery-job.js";
import { afterPosition, type ListPosition } from "../mongo.js";
import { storeProfile } from "../store-profile.js";
import {
  attemptsCollection,
  attemptsInside,
  deadLettersCollection,
  deliveriesCollection,
  idsStoredApart,
  parkedCollection,
  type ParkedDoc,
  type AttemptDoc,
  type AttemptRecord,
  type DeadLetterDoc,
  type DeliveryDoc,
  type DeliveryStatus,
} from "./documents.js";
import { asParked, entriesById, jobOfParkedDoc, listParked, readUntilFull, speaksFor, staleParkedFilter, withParking } from "./parked.js";

/**
 * A page of a webhook's deliveries, newest first, without payloads (the list never shows
 * them; a page of large events would be ~100 MB), parked ones shown parked (see parked.ts).
 */
export async function listDeliveries(
  db: Db,
  query: { organizationId: string; webhookId: string; status?: DeliveryStatus | undefined; event?: string | undefined; after?: ListPosition | undefined; limit: number },
): Promise<Omit<DeliveryDoc, "payload">[]> {
  if (query.status === "parked") return (await listParked(db, query)).map(withoutPayload);
  const entries = await listEntries(db, query);
  if (query.status !== undefined) return entries;
  // Deliveries parked before any attempt have no entry yet: merged in by position. Below a
  // full page's oldest entry none can make the page, and reading them all cost a webhook's
  // busiest lists a read of every parked delivery it has, with their entries.
  const notBefore = entries.length >= query.limit ? entries.at(-1)!.createdAt : undefined;
  const notLogged = (await listParked(db, { ...query, withoutEntry: true, notBefore })).map(withoutPayload);
  if (notLogged.length === 0) return entries;
  const seen = new Set(entries.map((e) => e._id));
  return [...entries, ...notLogged.filter((p) => !seen.has(p._id))].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a._id < b._id ? 1 : a._id > b._id ? -1 : 0)).slice(0, query.limit);
}

/** The entries' own list, with parking laid over; under a status filter, those now parked drop out and the page reads on. */
async function listEntries(
  db: Db,
  query: { organizationId: string; webhookId: string; status?: DeliveryStatus | undefined; event?: string | undefined; after?: ListPosition | undefined; limit: number },
): Promise<Omit<DeliveryDoc, "payload">[]> {
  return readUntilFull(
    query,
    (after, wanted) => {
      const filter: Filter<DeliveryDoc> = { webhookId: query.webhookId, organizationId: query.organizationId, ...afterPosition("createdAt", after) };
      if (query.status !== undefined) filter.status = query.status;
      if (query.event !== undefined) filter.event = query.event;
      return deliveriesCollection(db)
        .find(filter, { projection: { payload: 0 } })
        .sort({ createdAt: -1, _id: -1 })
        .limit(wanted)
        .toArray();
    },
    async (page) => {
      const shown = await withParking(db, page);
      return query.status === undefined ? shown : shown.filter((d) => d.status === query.status);
    },
  );
}

function withoutPayload({ payload: _, ...rest }: DeliveryDoc): Omit<DeliveryDoc, "payload"> {
  return rest;
}

/** One delivery of a webhook, or null; shown parked while it is. */
export async function findDelivery(db: Db, key: { organizationId: string; webhookId: string; deliveryId: string }): Promise<DeliveryDoc | null> {
  const [entry, parked] = await Promise.all([
    deliveriesCollection(db).findOne({ _id: key.deliveryId, webhookId: key.webhookId, organizationId: key.organizationId }),
    parkedCollection(db).findOne({ _id: key.deliveryId, webhookId: key.webhookId }),
  ]);
  if (!parked || !speaksFor(parked, entry ?? undefined)) return entry;
  if (entry) return asParked(parked, entry);
  return parked.organizationId === key.organizationId ? asParked(parked, undefined) : null;
}

/**
 * How many of a webhook's deliveries are in each status, parked ones counted as parked.
 * Reads every entry of the webhook: for tests and tools, not for a request path.
 */
export async function countByStatus(db: Db, webhookId: string): Promise<Partial<Record<DeliveryStatus, number>>> {
  const counts: Partial<Record<DeliveryStatus, number>> = {};
  const groups = await deliveriesCollection(db)
    .aggregate<{ _id: DeliveryStatus; n: number }>([{ $match: { webhookId } }, { $group: { _id: "$status", n: { $sum: 1 } } }])
    .toArray();
  for (const g of groups) counts[g._id] = g.n;
  const parked = await parkedCollection(db).find({ webhookId }).toArray();
  const entries = await entriesById(
    db,
    parked.map((p) => p._id),
    { _id: 1, status: 1, updatedAt: 1 },
  );
  for (const p of parked) {
    const entry = entries.get(p._id);
    if (!speaksFor(p, entry)) continue;
    if (entry) counts[entry.status] = (counts[entry.status] ?? 0) - 1;
    counts.parked = (counts.parked ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

/** Every attempt of a delivery, oldest first: the one inside the entry and those stored apart. */
export async function loadAttempts(db: Db, doc: Pick<DeliveryDoc, "attempts" | "attemptIds" | "firstAttemptId">): Promise<AttemptRecord[]> {
  const ids = idsStoredApart(doc);
  const later: AttemptDoc[] = [];
  const perRead = (await storeProfile(db)).lookupKeyLimit;
  for (let i = 0; i < ids.length; i += perRead)
    later.push(
      ...(await attemptsCollection(db)
        .find({ _id: { $in: ids.slice(i, i + perRead) } })
        .toArray()),
    );
  const records: AttemptRecord[] = later.map(({ _id: _, deliveryId: _d, webhookId: _w, organizationId: _o, ...record }) => record);
  return [...attemptsInside(doc), ...records].sort((a, b) => new Date(a.startedAt).getTime() - new Date(b.startedAt).getTime() || a.attempt - b.attempt);
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
 * Most dead letters or deliveries per replay or recover batch, one bulk write of marks each:
 * a page of large events stays in bounds, and the marks within every store profile's
 * `updatesPerCommand` (store-profile.test.ts holds them to it).
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
 * The jobs of a webhook's parked deliveries, oldest first, but for `exclude` (already
 * being sent); documents that no longer speak for their delivery (released and logged,
 * cancelled) are removed on the way.
 */
export async function oldestParked(
  db: Db,
  {
    webhookId,
    limit,
    exclude = [],
    failedBefore = false,
    drop = (stale) => dropStale(db, stale),
  }: {
    webhookId: string;
    limit: number;
    exclude?: string[];
    /** Only deliveries that have failed before (parked at a later attempt). */
    failedBefore?: boolean;
    /** How stale documents go (the dispatcher's writer, after the parkings it has queued). */
    drop?: (stale: ParkedDoc[]) => Promise<void>;
  },
): Promise<DeliveryJob[]> {
  // Bounded: a page of stale documents is dropped and read past, a few times at most.
  for (let read = 0; read < 20; read++) {
    const filter: Filter<ParkedDoc> = { webhookId };
    if (exclude.length) filter._id = { $nin: exclude };
    if (failedBefore) filter.attempt = { $gt: 0 };
    const refs = await parkedCollection(db).find(filter).sort({ createdAt: 1, _id: 1 }).limit(limit).toArray();
    if (refs.length === 0) return [];
    const entries = await entriesById(
      db,
      refs.map((r) => r._id),
      { _id: 1, status: 1, updatedAt: 1 },
    );
    const jobs: DeliveryJob[] = [];
    const stale: ParkedDoc[] = [];
    for (const ref of refs) {
      const job = speaksFor(ref, entries.get(ref._id)) ? jobOfParkedDoc(ref) : null;
      if (job) jobs.push(job);
      else stale.push(ref);
    }
    if (stale.length) await drop(stale);
    if (jobs.length || stale.length === 0) return jobs;
  }
  return [];
}

/**
 * Removes parked documents found stale, straight away (the dispatcher goes through its
 * writer instead: `DeliveryLogWriter.dropStaleParked`). One parked again since it was read
 * has a later `parkedAt` than any read here, and stays.
 */
async function dropStale(db: Db, stale: ParkedDoc[]): Promise<void> {
  await parkedCollection(db).deleteMany(staleParkedFilter(stale));
}

/** The ids of these webhooks' parked documents, stale ones included: for tools that watch parking (the bench). */
export async function parkedDeliveryIds(db: Db, webhookIds: string[]): Promise<Array<{ deliveryId: string; webhookId: string }>> {
  const refs: Array<{ deliveryId: string; webhookId: string }> = [];
  // One webhook at a time: an equality the webhookId index can narrow, where `$in` would scan.
  for (const webhookId of webhookIds) {
    for (const d of await parkedCollection(db)
      .find({ webhookId }, { projection: { _id: 1 } })
      .toArray())
      refs.push({ deliveryId: d._id, webhookId });
  }
  return refs;
}

/** What a recover sends again (docs/endpoint-health.md): deliveries that ended without success. */
const RECOVERABLE_STATUSES = ["failed", "cancelled"] as const satisfies readonly DeliveryStatus[];

/** A webhook's deliveries created at or after `since` (on `createdAt`). */
export type RecoverFilter = { organizationId: string; webhookId: string; since: Date };

/**
 * The next `limit` failed or cancelled deliveries of a webhook created since
 * `filter.since`, oldest first, strictly after `after` in (createdAt, _id) order, with
 * their payloads (the recover resends them). A position rather than re-querying the
 * status, so an entry whose mark did not apply, or that cannot be sent (no payload), is
 * taken once per run, never forever. Batches of at most REPLAY_BATCH_SIZE keep a page of
 * large payloads in bounds and the marks within the store's updates per command.
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
