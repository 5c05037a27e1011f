import type { AnyBulkWriteOperation, Db, Filter } from "mongodb";
import { encodeDeliveryJob, type DeliveryJob } from "../delivery-job.js";
import { COLLECTIONS, isDuplicateKey } from "../mongo.js";
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
import { dropStale } from "./reader.js";

/** Parked documents ended (cancelled or failed) per read (a command of fewer than 100 updates: see REPLAY_BATCH_SIZE), and reads at most per call. */
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

  constructor(
    private readonly db: Db,
    opts: { now?: () => number; onCommand?: (command: LogCommand) => void } = {},
  ) {
    // Parked deliveries go in one lane, lingering 250 ms: a parking may wait (it only holds
    // its job's offset), and every command is a transaction for FerretDB's single writer,
    // which parking's small commands of ~10 took from the deliveries' inserts (bench "dead").
    this.writes = new LogWriter(db, { onCommand: opts.onCommand, collections: { [COLLECTIONS.parked]: { lanes: 1, lingerMs: 250 } } });
    this.now = opts.now ?? Date.now;
  }

  /**
   * Logs an attempt (CONTRACT §5 shows each one). A delivery's first attempt usually
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
    // What the attempt decided, where it still applies (see `stillDecidedBy`); a plain update,
    // never an error: FerretDB 1.24 stops an update command at its first failing statement,
    // whatever `ordered` says, and the other deliveries' updates in it would be lost. Only a
    // decision moves `updatedAt`: a parking is shown while it is newer (parked.ts), and a
    // manual attempt (no decision, e.g. a failed redelivery of a parked delivery) must not
    // end it. A manual attempt still shows as the latest one.
    const decided: Filter<DeliveryDoc> = change ? { _id: job.deliveryId, ...stillDecidedBy(job, change) } : { _id: job.deliveryId };
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
   * Holds the delivery while its endpoint's circuit is open (CONTRACT §8): kept with its
   * payload and its place on the ladder, attempt count unchanged, in `parked_deliveries`
   * (see parked.ts). One batched insert; its entry, if it has one, is left as it is, and
   * readers show it parked while the parking is the newer of the two. Parked again (its
   * retry came back while the circuit is still open): the document takes the newer job.
   */
  async park(job: DeliveryJob, reason: string): Promise<void> {
    const parkedAt = new Date(this.now());
    const held = { organizationId: job.organizationId, eventId: job.eventId, event: job.event, parkedAt, reason, job: encodeDeliveryJob(job).toString() };
    // Sorted and paged by the delivery's createdAt. A first attempt's is its enqueue time
    // (createdAtOf); a retry, replay or recover has an entry whose createdAt may be older
    // than its job's enqueue time, so that one is read (rare: a retry parked, a replay).
    const logged = job.attempt > 0 || job.source !== "event" ? await deliveriesCollection(this.db).findOne({ _id: job.deliveryId }, { projection: { createdAt: 1 } }) : null;
    await this.writes.write<ParkedDoc>(
      COLLECTIONS.parked,
      { insertOne: { document: { _id: job.deliveryId, webhookId: job.webhookId, createdAt: logged?.createdAt ?? createdAtOf(job, parkedAt), ...held } } },
      { updateOne: { filter: { _id: job.deliveryId }, update: { $set: held } } },
    );
  }

  /**
   * Removes parked documents found stale (see `oldestParked`), through the parked lane:
   * after any parking of the same delivery this dispatcher queued first, so a delivery
   * parked again meanwhile (a later `parkedAt` than any read) keeps its document.
   */
  async dropStaleParked(stale: ParkedDoc[]): Promise<void> {
    const current = stale.filter((r) => r.parkedAt !== undefined);
    if (current.length) await this.writes.write<ParkedDoc>(COLLECTIONS.parked, { deleteMany: { filter: staleParkedFilter(current) } });
    const legacy = stale.filter((r) => r.parkedAt === undefined);
    if (legacy.length) await dropStale(this.db, legacy);
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
      { webhookId, status: { $in: ["pending", "retrying", "parked"] } },
      { $set: { status: "cancelled", statusReason: reason, nextAttemptAt: null, updatedAt: new Date(this.now()) } },
    );
  }

  /** A disabled webhook's parked deliveries end `failed`; a recover sends them again. */
  async failParked(webhookId: string, reason: string): Promise<void> {
    await this.endParked(webhookId, "failed", reason);
    await deliveriesCollection(this.db).updateMany({ webhookId, status: "parked" }, { $set: { status: "failed", statusReason: reason, updatedAt: new Date(this.now()) } });
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
    for (let pass = 0; pass < END_PARKED_MAX_PAGES; pass++) {
      const page = await parkedCollection(this.db).find({ webhookId }).sort({ createdAt: 1, _id: 1 }).limit(END_PARKED_PAGE).toArray();
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
        page.map((p) => ({ deleteOne: { filter: { _id: p._id, parkedAt: p.parkedAt ?? { $exists: false } } } })),
        { ordered: false },
      );
    }
  }

  /** Resolves when every write queued so far has settled. */
  drain(): Promise<void> {
    return this.writes.drain();
  }

  /**
   * A log entry with no attempt in it. Inserted whole when the delivery has no log yet,
   * because FerretDB v1 drops `[]` and `null` values from `$setOnInsert` (an upsert would
   * leave a partial document) with status `newStatus`; otherwise `fields` are set, only
   * while the entry matches `applyIf`.
   */
  private async writeWithoutAttempt(job: DeliveryJob, newStatus: DeliveryStatus, fields: Partial<DeliveryDoc>, applyIf: Filter<DeliveryDoc>): Promise<void> {
    const updatedAt = new Date(this.now());
    const document = newDeliveryEntry(job, createdAtOf(job, updatedAt), { status: newStatus, ...fields, updatedAt });
    await this.writes.write<DeliveryDoc>(
      COLLECTIONS.deliveries,
      { insertOne: { document } },
      { updateOne: { filter: { _id: job.deliveryId, ...applyIf }, update: { $set: { ...fields, updatedAt } } } },
    );
  }
}

/**
 * When an attempt's decision still applies to the entry. Never over a success: at-least-once
 * means a duplicate of an older attempt can be recorded after it. The second clause guards
 * entries parked in the earlier layout (status `parked` in the entry), where a failure's log
 * write landing after its retry was parked would have hidden the parked delivery; parkings
 * now live in `parked_deliveries` and are guarded by time instead (`speaksFor` in parked.ts).
 */
function stillDecidedBy(job: DeliveryJob, change: StatusChange): Filter<DeliveryDoc> {
  if (change.status === "succeeded") return { status: { $ne: "succeeded" } };
  return { status: { $ne: "succeeded" }, $nor: [{ status: "parked", "parkedJob.attempt": { $gt: job.attempt } }] };
}

/**
 * Marks a delivery known before any attempt (a ping), leaving an existing log untouched.
 * An insert that tolerates a duplicate key, not an upsert: see `writeWithoutAttempt`.
 */
export async function recordPendingDelivery(db: Db, job: DeliveryJob, now: Date): Promise<void> {
  try {
    await deliveriesCollection(db).insertOne(newDeliveryEntry(job, now));
  } catch (err) {
    // Already logged (the dispatcher got there first): that log wins.
    if (!isDuplicateKey(err)) throw err;
  }
}

/** Undoes `recordPendingDelivery` for a ping that was never queued, unless it was attempted meanwhile. */
export async function forgetPendingDelivery(db: Db, deliveryId: string): Promise<void> {
  await deliveriesCollection(db).deleteOne({ _id: deliveryId, status: "pending", attemptIds: { $size: 0 } });
}
