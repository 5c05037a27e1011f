import type { AnyBulkWriteOperation, Db, Document, Filter, UpdateFilter } from "mongodb";
import { encodeDeliveryJob, type DeliveryJob } from "../delivery-job.js";
import { COLLECTIONS, isDuplicateKey } from "../mongo.js";
import { storeProfile, type StoreProfile } from "../store-profile.js";
import { LogWriter, type LogCommand } from "./batched-writer.js";
import {
  createdAtOf,
  deliveriesCollection,
  newDeliveryEntry,
  parkedCollection,
  storedAttempts,
  storedPayloadOf,
  type AttemptDoc,
  type AttemptRecord,
  type DeadLetterDoc,
  type DeliveryDoc,
  type DeliveryStatus,
  type ParkedDoc,
} from "./documents.js";
import { entriesById, jobOfParkedDoc, speaksFor, staleParkedFilter } from "./parked.js";

/** Parked documents ended (cancelled or failed) per read, at most (each holds its event), and reads at most per call. */
const END_PARKED_PAGE = 50;
const END_PARKED_MAX_PAGES = 10_000;

/** One attempt as logged: `id` is fixed before the recording, which may be repeated. */
export type LoggedAttempt = { id: string; record: AttemptRecord };

/** What an attempt decided about its delivery; null leaves the status as it is (a failed redelivery). */
export type StatusChange = { status: DeliveryStatus; nextAttemptAt: Date | null; statusReason: string | null };

/**
 * The dispatcher's writes to the delivery log, batched (see LogWriter). Every promise
 * settles when its write is acknowledged: only then may the job's offset be committed.
 */
export class DeliveryLogWriter {
  private readonly writes: LogWriter;
  private readonly now: () => number;

  private readonly profile: StoreProfile | undefined;

  constructor(
    private readonly db: Db,
    opts: { now?: () => number; onCommand?: (command: LogCommand) => void; profile?: StoreProfile } = {},
  ) {
    // Parked deliveries go in one lane, lingering 250 ms: a parking may wait (it only holds
    // its job's offset), and every command is a transaction for FerretDB's single writer,
    // which parking's small commands of ~10 took from the deliveries' inserts (bench "dead").
    this.writes = new LogWriter(db, { onCommand: opts.onCommand, collections: { [COLLECTIONS.parked]: { lanes: 1, lingerMs: 250 } } });
    this.now = opts.now ?? Date.now;
    this.profile = opts.profile;
  }

  /** The store's profile: given, or asked of the server once (see `storeProfile`). */
  private async upsertStrategy(): Promise<StoreProfile["upsert"]> {
    return (this.profile ?? (await storeProfile(this.db))).upsert;
  }

  /**
   * Logs an attempt (docs/openapi.json shows each one). A delivery's first attempt usually
   * creates its entry, with the attempt inside it: one insert. Any other attempt is
   * inserted apart, under its id, and the entry updated to name it; the entry then stays
   * small, which keeps its updates cheap (see DeliveryDoc). The attempt is stored before
   * the entry names it, so a crash in between leaves at most an unnamed attempt.
   */
  async recordAttempt(job: DeliveryJob, attempt: LoggedAttempt, change: StatusChange | null): Promise<void> {
    const at = new Date(this.now());
    const { record } = attempt;
    const payload = storedPayloadOf(job);
    const lastAttempt = { startedAt: record.startedAt, responseStatus: record.response?.status ?? null };
    const set: Partial<DeliveryDoc> = change ? { ...change } : {};
    if (job.attempt === 0 && job.source === "event" && change) {
      const document = newDeliveryEntry(job, createdAtOf(job, at), { ...set, attempts: storedAttempts([record]), firstAttemptId: attempt.id, lastAttempt, payload, updatedAt: at });
      try {
        await this.writes.write<DeliveryDoc>(COLLECTIONS.deliveries, { insertOne: { document } });
        return;
      } catch (err) {
        // Logged before: a parked or repeated job, or a repeat of this very recording
        // (which readers recognise by `firstAttemptId`). The attempt goes apart, like a retry.
        if (!isDuplicateKey(err)) throw err;
      }
    }
    const attemptDoc: AttemptDoc = { _id: attempt.id, deliveryId: job.deliveryId, webhookId: job.webhookId, organizationId: job.organizationId, ...record };
    // A repeated recording finds its attempt already stored.
    await this.writes.write<AttemptDoc>(COLLECTIONS.attempts, { insertOne: { document: attemptDoc } }).catch((err: unknown) => {
      if (!isDuplicateKey(err)) throw err;
    });
    // Fields an attempt does not decide start as a pending delivery's, dated at its creation
    // (an entry made here by a manual attempt of a delivery parked before any must not outrank
    // the parking); the status follows below.
    const createdAt = createdAtOf(job, at);
    const onInsert: Partial<DeliveryDoc> = { webhookId: job.webhookId, organizationId: job.organizationId, eventId: job.eventId, event: job.event, createdAt, status: "pending", updatedAt: createdAt };
    await this.writes.write<DeliveryDoc>(COLLECTIONS.deliveries, {
      updateOne: { filter: { _id: job.deliveryId }, update: { $setOnInsert: onInsert, $set: { payload }, $addToSet: { attemptIds: attempt.id } }, upsert: true },
    });
    // What the attempt decided, never over a success (NOT_SUCCEEDED); a plain update,
    // never an error: FerretDB 1.24 stops an update command at its first failing statement,
    // whatever `ordered` says, and the other deliveries' updates in it would be lost. Only a
    // decision moves `updatedAt`: a parking is shown while it is newer (parked.ts), and a
    // manual attempt (no decision, e.g. a failed redelivery of a parked delivery) must not
    // end it. A manual attempt still shows as the latest one.
    const decided: Filter<DeliveryDoc> = change ? { _id: job.deliveryId, ...NOT_SUCCEEDED } : { _id: job.deliveryId };
    await this.writes.write<DeliveryDoc>(COLLECTIONS.deliveries, { updateOne: { filter: decided, update: { $set: { ...set, lastAttempt, ...(change && { updatedAt: at }) } } } });
  }

  /**
   * The delivery will not be attempted: its webhook is gone or inactive. A succeeded entry
   * stays succeeded. The payload is kept, so a recover can send it later.
   */
  async cancel(job: DeliveryJob, reason: string): Promise<void> {
    await this.writeWithoutAttempt(job, "cancelled", { status: "cancelled", statusReason: reason, nextAttemptAt: null, payload: storedPayloadOf(job) }, { status: { $ne: "succeeded" } });
  }

  /**
   * Holds the delivery while its endpoint's circuit is open (docs/endpoint-health.md): kept with its
   * payload and its place on the ladder, attempt count unchanged, in `parked_deliveries`
   * (see parked.ts). One batched insert; its entry, if it has one, is left as it is, and
   * readers show it parked while the parking is the newer of the two. Parked again (its
   * retry came back while the circuit is still open): the document takes the newer job.
   */
  async park(job: DeliveryJob, reason: string): Promise<void> {
    const parkedAt = new Date(this.now());
    const held = { organizationId: job.organizationId, eventId: job.eventId, event: job.event, parkedAt, reason, job: encodeDeliveryJob(job).toString(), attempt: job.attempt };
    // Sorted and paged by the delivery's createdAt. A first attempt's is its enqueue time
    // (createdAtOf); a retry, replay or recover has an entry whose createdAt may be older
    // than its job's enqueue time, so that one is read (rare: a retry parked, a replay).
    const logged = job.attempt > 0 || job.source !== "event" ? await deliveriesCollection(this.db).findOne({ _id: job.deliveryId }, { projection: { createdAt: 1 } }) : null;
    const document: ParkedDoc = { _id: job.deliveryId, webhookId: job.webhookId, createdAt: logged?.createdAt ?? createdAtOf(job, parkedAt), ...held };
    const { op, fallback } = createOrUpdate(await this.upsertStrategy(), { document, set: held });
    await this.writes.write<ParkedDoc>(COLLECTIONS.parked, op, fallback);
  }

  /**
   * Removes parked documents found stale (see `oldestParked`), through the parked lane:
   * after any parking of the same delivery this dispatcher queued first, so a delivery
   * parked again meanwhile (a later `parkedAt` than any read) keeps its document.
   */
  async dropStaleParked(stale: ParkedDoc[]): Promise<void> {
    if (stale.length) await this.writes.write<ParkedDoc>(COLLECTIONS.parked, { deleteMany: { filter: staleParkedFilter(stale) } });
  }

  /**
   * Says why nothing was attempted yet and when it will be, so a late delivery is
   * explainable. Only a waiting entry takes it, and keeps its status (`pending` or
   * `retrying`): written before the job is parked, so the attempt that follows always has
   * the last word.
   */
  async noteWaiting(job: DeliveryJob, until: Date, reason: string): Promise<void> {
    await this.writeWithoutAttempt(job, "pending", { statusReason: reason, nextAttemptAt: until }, { status: { $in: ["pending", "retrying"] } });
  }

  /** The job exhausted its ladder: kept for the DLQ routes, replayable again even if it was replayed before. */
  async recordDeadLetter(job: DeliveryJob, reason: string): Promise<void> {
    const fresh: Omit<DeadLetterDoc, "_id" | "replayCount"> = {
      organizationId: job.organizationId,
      webhookId: job.webhookId,
      event: job.event,
      eventId: job.eventId,
      job,
      lastError: reason,
      deadLetteredAt: new Date(this.now()),
      replayedAt: null,
    };
    await this.writes.write<DeadLetterDoc>(COLLECTIONS.deadLetters, {
      updateOne: { filter: { _id: job.deliveryId }, update: { $set: fresh, $setOnInsert: { replayCount: 0 } }, upsert: true },
    });
  }

  /** Every waiting delivery of a webhook ends `cancelled` (410 Gone deactivated it). Jobs still in Kafka are cancelled when they arrive. */
  async cancelWaiting(webhookId: string, reason: string): Promise<void> {
    // Parked ones first: cancelling their entries first would make the parkings look stale.
    await this.endParked(webhookId, "cancelled", reason);
    await deliveriesCollection(this.db).updateMany(
      { webhookId, status: { $in: ["pending", "retrying"] } },
      { $set: { status: "cancelled", statusReason: reason, nextAttemptAt: null, updatedAt: new Date(this.now()) } },
    );
  }

  /** A disabled webhook's parked deliveries end `failed`; a recover sends them again. */
  async failParked(webhookId: string, reason: string): Promise<void> {
    await this.endParked(webhookId, "failed", reason);
  }

  /**
   * Ends every delivery of the webhook that is parked: its entry (written now if it had
   * none, with the payload, so a recover can send it) takes `status`, and the parked
   * documents go, a page at a time (a webhook disabled after days down has many). Each
   * document is deleted only as it was read, so one parked again meanwhile is read again.
   */
  private async endParked(webhookId: string, status: "cancelled" | "failed", reason: string): Promise<void> {
    // Parkings decided before the webhook was disabled may still be on their way (no new
    // ones are decided after): let them land first, or they would stay parked for good.
    await this.writes.written();
    // Each page is one command of inserts or updates.
    const pageSize = Math.min(END_PARKED_PAGE, (this.profile ?? (await storeProfile(this.db))).updatesPerCommand);
    for (let pass = 0; pass < END_PARKED_MAX_PAGES; pass++) {
      const page = await parkedCollection(this.db).find({ webhookId }).sort({ createdAt: 1, _id: 1 }).limit(pageSize).toArray();
      if (page.length === 0) return;
      const entries = await entriesById(
        this.db,
        page.map((p) => p._id),
        { _id: 1, status: 1, updatedAt: 1 },
      );
      const ended = { status, statusReason: reason, nextAttemptAt: null, updatedAt: new Date(this.now()) };
      const writes = page.flatMap((p): AnyBulkWriteOperation<DeliveryDoc>[] => {
        const job = jobOfParkedDoc(p);
        const entry = entries.get(p._id);
        if (!job || !speaksFor(p, entry)) return [];
        const payload = storedPayloadOf(job);
        if (entry) return [{ updateOne: { filter: { _id: p._id, status: { $ne: "succeeded" } }, update: { $set: { ...ended, payload } } } }];
        return [{ insertOne: { document: newDeliveryEntry(job, p.createdAt, { ...ended, payload }) } }];
      });
      if (writes.length) {
        await deliveriesCollection(this.db)
          .bulkWrite(writes, { ordered: false })
          .catch((err: unknown) => {
            // Logged meanwhile (released a moment ago): that entry stands. Anything else is an error.
            const errors = (err as { writeErrors?: Array<{ code?: number }> }).writeErrors;
            if (!Array.isArray(errors) || errors.some((e) => e.code !== 11000)) throw err;
          });
      }
      await parkedCollection(this.db).bulkWrite(
        page.map((p) => ({ deleteOne: { filter: { _id: p._id, parkedAt: p.parkedAt } } })),
        { ordered: false },
      );
    }
  }

  /** Resolves when every write queued so far has settled. */
  drain(): Promise<void> {
    return this.writes.drain();
  }

  /**
   * A log entry with no attempt in it: written whole, with status `newStatus`, when the
   * delivery has no log yet; otherwise `fields` are set, only while the entry matches
   * `applyIf` (see `createOrUpdate`).
   */
  private async writeWithoutAttempt(job: DeliveryJob, newStatus: DeliveryStatus, fields: Partial<DeliveryDoc>, applyIf: Filter<DeliveryDoc>): Promise<void> {
    const updatedAt = new Date(this.now());
    const document = newDeliveryEntry(job, createdAtOf(job, updatedAt), { status: newStatus, ...fields, updatedAt });
    const { op, fallback } = createOrUpdate(await this.upsertStrategy(), { document, set: { ...fields, updatedAt }, applyIf });
    await this.writes.write<DeliveryDoc>(COLLECTIONS.deliveries, op, fallback);
  }
}

/** An attempt's decision never overrides a success: at-least-once means a duplicate of an older attempt can be recorded after it. */
const NOT_SUCCEEDED: Filter<DeliveryDoc> = { status: { $ne: "succeeded" } };

/**
 * A write that creates `document`, or else sets `set` on it while it matches `applyIf`, sent
 * the way the store profile says: one upsert (a document that exists but does not match
 * fails it with a duplicate key, and the fallback then finds nothing to update), or an
 * insert whose duplicate key falls back to the update (see StoreProfile.upsert).
 */
export function createOrUpdate<T extends { _id: string }>(
  strategy: StoreProfile["upsert"],
  write: { document: T; set: Partial<T>; applyIf?: Filter<T> },
): { op: AnyBulkWriteOperation<T>; fallback: AnyBulkWriteOperation<T> | undefined } {
  const filter = { _id: write.document._id, ...write.applyIf } as Filter<T>;
  const hasSet = Object.keys(write.set).length > 0;
  const fallback: AnyBulkWriteOperation<T> | undefined = hasSet ? { updateOne: { filter, update: { $set: write.set } as UpdateFilter<T> } } : undefined;
  if (strategy === "insert-then-update") return { op: { insertOne: { document: write.document } } as AnyBulkWriteOperation<T>, fallback };
  const onInsert: Document = Object.fromEntries(Object.entries(write.document).filter(([key]) => key !== "_id" && !(key in write.set)));
  const update = { $setOnInsert: onInsert, ...(hasSet && { $set: write.set }) } as UpdateFilter<T>;
  return { op: { updateOne: { filter, update, upsert: true } }, fallback };
}

/** Marks a delivery known before any attempt (a ping), leaving an existing log untouched. */
export async function recordPendingDelivery(db: Db, job: DeliveryJob, now: Date): Promise<void> {
  const { op } = createOrUpdate((await storeProfile(db)).upsert, { document: newDeliveryEntry(job, now), set: {} });
  try {
    await deliveriesCollection(db).bulkWrite([op]);
  } catch (err) {
    // Already logged (the dispatcher got there first): that log wins.
    if (!isDuplicateKey(err)) throw err;
  }
}

/** Undoes `recordPendingDelivery` for a ping that was never queued, unless it was attempted meanwhile. */
export async function forgetPendingDelivery(db: Db, deliveryId: string): Promise<void> {
  await deliveriesCollection(db).deleteOne({ _id: deliveryId, status: "pending", attemptIds: { $size: 0 } });
}
