// The delivery log's earlier stored layouts, and the one-time rewrite into the current one.
// This file is the only place that knows them; readers and writers know the current layout.
//
// Earlier layouts:
// - entries whose `attempts` was an array of attempt documents (all of a delivery's attempts
//   before `delivery_attempts` existed, later only the first; empty when none), and whose
//   `payload` was a document; the current layout keeps both as JSON text, `attempts` absent
//   when the entry has none;
// - entries without `attemptIds` (logged before attempts were stored apart);
// - parking inside the entry: status `parked` with `parkedJob` ({attempt, source,
//   enqueuedAt}), and in `parked_deliveries` at most an index document {_id, webhookId,
//   createdAt}; the current layout keeps the whole job in `parked_deliveries` (ParkedDoc),
//   and an entry never says `parked`.
import type { AnyBulkWriteOperation, Db, Document } from "mongodb";
import type { DeliveryJob } from "../delivery-job.js";
import { encodeDeliveryJob } from "../delivery-job.js";
import type { Logger } from "../logger.js";
import { COLLECTIONS, isDuplicateKey } from "../mongo.js";
import { storeProfile } from "../store-profile.js";
import { parkedCollection, storedAttempts, type AttemptRecord, type DeliveryDoc, type Payload } from "./documents.js";

/** Marks the rewrite done (collection `store_migrations`), so later start-ups skip the scans. */
const MIGRATION_ID = "delivery-log-layout-2026-12";

/** An entry as any layout stored it. */
type StoredEntry = Omit<DeliveryDoc, "attempts" | "payload" | "attemptIds"> & {
  attempts?: AttemptRecord[] | string;
  payload?: Payload | string;
  attemptIds?: string[];
  parkedJob?: Pick<DeliveryJob, "attempt" | "source" | "enqueuedAt"> | null;
};

export type MigrationCounts = { entriesRewritten: number; parkingsMoved: number; parkingsUnsendable: number; staleParkedRemoved: number };

/**
 * Rewrites delivery log documents of the earlier layouts into the current one; run at
 * start-up, after the indexes. Idempotent: each step selects only documents still in an
 * earlier layout, so two services starting at once, or a run cut short and repeated, leave
 * the same result. Once a run completes it is marked, and later runs only read the mark.
 */
export async function migrateLegacyLayout(db: Db, logger?: Logger): Promise<MigrationCounts> {
  const counts: MigrationCounts = { entriesRewritten: 0, parkingsMoved: 0, parkingsUnsendable: 0, staleParkedRemoved: 0 };
  const migrations = db.collection<{ _id: string; completedAt: Date; counts: MigrationCounts }>(COLLECTIONS.migrations);
  if (await migrations.findOne({ _id: MIGRATION_ID })) return counts;
  const batch = (await storeProfile(db)).updatesPerCommand;
  await moveParkings(db, batch, counts);
  await rewriteEntries(db, batch, counts);
  await migrations.insertOne({ _id: MIGRATION_ID, completedAt: new Date(), counts }).catch((err: unknown) => {
    // Another service finished the same run first.
    if (!isDuplicateKey(err)) throw err;
  });
  if (Object.values(counts).some((n) => n > 0)) logger?.info({ migration: MIGRATION_ID, ...counts }, "delivery log documents of earlier layouts rewritten");
  return counts;
}

/**
 * Entries parked the earlier way become a parked document holding the job (parked just
 * after the entry was last written, so it speaks for the delivery) and an entry `retrying`
 * (parked between retries) or `pending` (before its first attempt), which the parked
 * document is shown over, as before. Index documents of deliveries no longer parked were
 * stale already and go.
 */
async function moveParkings(db: Db, batch: number, counts: MigrationCounts): Promise<void> {
  const entries = db.collection<StoredEntry>(COLLECTIONS.deliveries);
  for (;;) {
    const page = await entries.find({ status: "parked" }).limit(batch).toArray();
    if (page.length === 0) break;
    for (const entry of page) {
      const job = jobOfParkedEntry(entry);
      if (!job) {
        // Nothing to send it with: it ends failed, visibly, rather than parked for good.
        await entries.updateOne(
          { _id: entry._id, status: "parked" },
          { $set: { status: "failed", statusReason: "parked without its payload in an earlier layout: cannot be sent again" }, $unset: { parkedJob: "" } },
        );
        counts.parkingsUnsendable++;
        continue;
      }
      // Replaces an index document, or a parked document a run cut short left behind.
      await parkedCollection(db).deleteOne({ _id: entry._id });
      await parkedCollection(db)
        .insertOne({
          _id: entry._id,
          webhookId: entry.webhookId,
          createdAt: entry.createdAt,
          organizationId: entry.organizationId,
          eventId: entry.eventId,
          event: entry.event,
          parkedAt: new Date(entry.updatedAt.getTime() + 1),
          reason: entry.statusReason ?? "the endpoint's circuit is open",
          job: encodeDeliveryJob(job).toString(),
        })
        .catch((err: unknown) => {
          if (!isDuplicateKey(err)) throw err;
        });
      await entries.updateOne({ _id: entry._id, status: "parked" }, { $set: { status: job.attempt > 0 ? "retrying" : "pending" }, $unset: { parkedJob: "" } });
      counts.parkingsMoved++;
    }
  }
  const { deletedCount } = await parkedCollection(db).deleteMany({ $or: [{ job: { $exists: false } }, { parkedAt: { $exists: false } }] } as Document);
  counts.staleParkedRemoved += deletedCount;
}

/** The job that sends an entry parked the earlier way again, where it left its ladder; null without a payload or `parkedJob`. */
function jobOfParkedEntry(entry: StoredEntry): DeliveryJob | null {
  const payload = typeof entry.payload === "string" ? (JSON.parse(entry.payload) as Payload) : entry.payload;
  if (!payload || !entry.parkedJob) return null;
  return {
    deliveryId: entry._id,
    webhookId: entry.webhookId,
    organizationId: entry.organizationId,
    eventId: entry.eventId,
    event: entry.event,
    timestamp: payload.timestamp,
    data: payload.data,
    ...entry.parkedJob,
  };
}

/** Attempts and payloads as documents become JSON text; a missing `attemptIds` an empty list. */
async function rewriteEntries(db: Db, batch: number, counts: MigrationCounts): Promise<void> {
  const entries = db.collection<StoredEntry>(COLLECTIONS.deliveries);
  const earlier: Document = { $or: [{ attempts: { $type: "array" } }, { payload: { $type: "object" } }, { attemptIds: { $exists: false } }] };
  for (;;) {
    const page = await entries
      .find(earlier, { projection: { attempts: 1, payload: 1, attemptIds: 1 } })
      .limit(batch)
      .toArray();
    if (page.length === 0) break;
    const writes = page.map((entry): AnyBulkWriteOperation<StoredEntry> => {
      const set: Document = {};
      const unset: Document = {};
      if (Array.isArray(entry.attempts)) {
        if (entry.attempts.length) set.attempts = storedAttempts(entry.attempts);
        else unset.attempts = "";
      }
      if (entry.payload !== undefined && typeof entry.payload !== "string") set.payload = JSON.stringify(entry.payload);
      if (entry.attemptIds === undefined) set.attemptIds = [];
      return { updateOne: { filter: { _id: entry._id }, update: { ...(Object.keys(set).length && { $set: set }), ...(Object.keys(unset).length && { $unset: unset }) } } };
    });
    await entries.bulkWrite(writes, { ordered: false });
    counts.entriesRewritten += page.length;
  }
}
