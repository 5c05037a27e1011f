import type { AnyBulkWriteOperation, Db, Filter } from "mongodb";
import { encodeDeliveryJob, type DeliveryJob } from "../delivery-job.js";
import { COLLECTIONS, isDuplicateKey } from "../mongo.js";
import { LogWriter, type LogCommand, type WriteApplied } from "./batched-writer.js";
import {
  createdAtOf,
  deliveriesCollection,
  newDeliveryEntry,
  parkedCollection,
  type AttemptDoc,
  type AttemptRecord,
  type DeadLetterDoc,
  type DeliveryDoc,
  type DeliveryStatus,
  type ParkedDoc,
} from "./documents.js";
import { entriesById, jobOfParkedDoc, speaksFor } from "./parked.js";
import { REPLAY_BATCH_SIZE } from "./reader.js";

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
    const payload = payloadOf(job);
    const lastAttempt = { startedAt: record.startedAt, responseStatus: record.response?.status ?? null };
    const set: Partial<DeliveryDoc> = change ? { ...change } : {};
    if (job.attempt === 0 && job.source === "event" && change) {
      const document = newDeliveryEntry(job, createdAtOf(job, at), { ...set, attempts: [record], firstAttemptId: attempt.id, lastAttempt, payload, updatedAt: at });
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
    // One update names the attempt and applies its decision: FerretDB commits each update
    // statement on its own, at ~5 inserts' cost (bench/README.md, "dead"), and a retried or
    // released delivery used to take two. The decision may not apply (see `stillDecidedBy`):
    // the upsert's filter then fails on an existing entry, its insert meets the entry's
    // _id, and the duplicate key sends the fallback, which only names the attempt.
    // Fields an attempt does not decide start as a pending delivery's (an entry this creates
    // lacked its first log write, which cannot happen unless the log was cleared).
    const named = { $set: { updatedAt: at, payload }, $addToSet: { attemptIds: attempt.id } };
    const onInsert: Partial<DeliveryDoc> = {
      webhookId: job.webhookId,
      organizationId: job.organizationId,
      eventId: job.eventId,
      event: job.event,
      createdAt: createdAtOf(job, at),
      ...(!change && { status: "pending" }),
    };
    const decided: Filter<DeliveryDoc> = { _id: job.deliveryId, ...(change && stillDecidedBy(job, change)) };
    await this.writes.write<DeliveryDoc>(
      COLLECTIONS.deliveries,
      { updateOne: { filter: decided, update: { $setOnInsert: onInsert, $set: { ...named.$set, ...set, lastAttempt }, $addToSet: named.$addToSet }, upsert: true } },
      { updateOne: { filter: { _id: job.deliveryId }, update: named } },
    );
  }

  /**
   * The delivery will not be attempted: its webhook is gone or inactive. A succeeded entry
   * stays succeeded. The payload is kept, so a recover can send it later.
   */
  async cancel(job: DeliveryJob, reason: string): Promise<void> {
    await this.writeWithoutAttempt(job, "cancelled", { status: "cancelled", statusReason: reason, nextAttemptAt: null, payload: payloadOf(job) }, { status: { $ne: "succeeded" } });
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
    await this.writes.write<ParkedDoc>(
      COLLECTIONS.parked,
      { insertOne: { document: { _id: job.deliveryId, webhookId: job.webhookId, createdAt: createdAtOf(job, parkedAt), ...held } } },
      { updateOne: { filter: { _id: job.deliveryId }, update: { $set: held } } },
    );
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
    await deliveriesCollection(this.db).updateMany(
      { webhookId, status: { $in: ["pending", "retrying", "parked"] } },
      { $set: { status: "cancelled", statusReason: reason, nextAttemptAt: null, updatedAt: new Date(this.now()) } },
    );
    await this.endParked(webhookId, "cancelled", reason);
  }

  /** A disabled webhook's parked deliveries end `failed`; a recover sends them again. */
  async failParked(webhookId: string, reason: string): Promise<void> {
    await deliveriesCollection(this.db).updateMany({ webhookId, status: "parked" }, { $set: { status: "failed", statusReason: reason, updatedAt: new Date(this.now()) } });
    await this.endParked(webhookId, "failed", reason);
  }

  /**
   * Ends every delivery of the webhook that is parked: its entry (written now if it had
   * none, with the payload, so a recover can send it) takes `status`, and the parked
   * documents go.
   */
  private async endParked(webhookId: string, status: "cancelled" | "failed", reason: string): Promise<void> {
    // Parkings decided before the webhook was disabled may still be on their way (no new
    // ones are decided after): let them land first, or they would stay parked for good.
    await this.writes.written();
    const at = new Date(this.now());
    const parked = await parkedCollection(this.db).find({ webhookId }).toArray();
    if (parked.length === 0) return;
    const entries = await entriesById(
      this.db,
      parked.map((p) => p._id),
      { _id: 1, status: 1, updatedAt: 1 },
    );
    const ended = { status, statusReason: reason, nextAttemptAt: null, updatedAt: at };
    const writes = parked.flatMap((p): AnyBulkWriteOperation<DeliveryDoc>[] => {
      const job = jobOfParkedDoc(p);
      const entry = entries.get(p._id);
      if (!job || !speaksFor(p, entry)) return [];
      const payload = payloadOf(job);
      if (entry) return [{ updateOne: { filter: { _id: p._id, status: { $ne: "succeeded" } }, update: { $set: { ...ended, payload } } } }];
      return [{ insertOne: { document: newDeliveryEntry(job, p.createdAt, { ...ended, payload }) } }];
    });
    // Under 100 statements a command: see REPLAY_BATCH_SIZE.
    for (let i = 0; i < writes.length; i += REPLAY_BATCH_SIZE) {
      await deliveriesCollection(this.db)
        .bulkWrite(writes.slice(i, i + REPLAY_BATCH_SIZE), { ordered: false })
        .catch((err: unknown) => {
          // Logged meanwhile (released a moment ago): that entry stands.
          if (!isDuplicateKey(err)) throw err;
        });
    }
    await parkedCollection(this.db).deleteMany({ webhookId, parkedAt: { $lte: at } });
    await parkedCollection(this.db).deleteMany({ webhookId, parkedAt: { $exists: false } });
  }

  /** Resolves when every write queued so far has settled. */
  drain(): Promise<void> {
    return this.writes.drain();
  }

  /**
   * A log entry with no attempt in it. Inserted whole when the delivery has no log yet,
   * because FerretDB v1 drops `[]` and `null` values from `$setOnInsert` (an upsert would
   * leave a partial document) with status `newStatus`; otherwise `fields` are set, only
   * while the entry matches `applyIf`. Says which happened, and when.
   */
  private async writeWithoutAttempt(job: DeliveryJob, newStatus: DeliveryStatus, fields: Partial<DeliveryDoc>, applyIf: Filter<DeliveryDoc>): Promise<{ applied: WriteApplied; at: Date }> {
    const updatedAt = new Date(this.now());
    const document = newDeliveryEntry(job, createdAtOf(job, updatedAt), { status: newStatus, ...fields, updatedAt });
    const applied = await this.writes.write<DeliveryDoc>(
      COLLECTIONS.deliveries,
      { insertOne: { document } },
      { updateOne: { filter: { _id: job.deliveryId, ...applyIf }, update: { $set: { ...fields, updatedAt } } } },
    );
    return { applied, at: updatedAt };
  }
}

/**
 * When an attempt's decision still applies to the entry. Never over a success: at-least-once
 * means a duplicate of an older attempt can be recorded after it. And a failure never over
 * a parking of a later attempt: the retry job a failed attempt produced (before its log
 * write) can come back and be parked before that log write lands, on a busy database or
 * when the write is repeated after a restart; `retrying` would then hide the parked
 * delivery from its release, with no job left anywhere to send it.
 */
function stillDecidedBy(job: DeliveryJob, change: StatusChange): Filter<DeliveryDoc> {
  if (change.status === "succeeded") return { status: { $ne: "succeeded" } };
  return { status: { $ne: "succeeded" }, $nor: [{ status: "parked", "parkedJob.attempt": { $gt: job.attempt } }] };
}

/** The body's content, kept so a redelivery, a parked release or a recover can resend it. */
function payloadOf(job: DeliveryJob): NonNullable<DeliveryDoc["payload"]> {
  return { event: job.event, timestamp: job.timestamp, data: job.data };
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
