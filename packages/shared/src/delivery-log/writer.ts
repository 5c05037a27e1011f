import type { Db, Filter } from "mongodb";
import type { DeliveryJob } from "../delivery-job.js";
import { COLLECTIONS, isDuplicateKey } from "../mongo.js";
import { LogWriter, type LogCommand, type WriteApplied } from "./batched-writer.js";
import {
  deliveriesCollection,
  newDeliveryEntry,
  parkedCollection,
  type AttemptDoc,
  type AttemptRecord,
  type DeadLetterDoc,
  type DeliveryDoc,
  type DeliveryStatus,
  type ParkedRef,
} from "./documents.js";

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
    this.writes = new LogWriter(db, { onCommand: opts.onCommand });
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
      const document = newDeliveryEntry(job, at, { ...set, attempts: [record], firstAttemptId: attempt.id, lastAttempt, payload });
      try {
        await this.writes.write<DeliveryDoc>(COLLECTIONS.deliveries, { insertOne: { document } });
        return;
      } catch (err) {
        // Logged before: a parked or repeated job, or a repeat of this very recording
        // (which readers recognise by `firstAttemptId`). The attempt goes apart, like a retry.
        if (!isDuplicateKey(err)) throw err;
      }
    }
    // Fields an attempt does not decide start as a pending delivery's; the status follows below.
    const onInsert: Partial<DeliveryDoc> = { webhookId: job.webhookId, organizationId: job.organizationId, eventId: job.eventId, event: job.event, createdAt: at, status: "pending" };
    const attemptDoc: AttemptDoc = { _id: attempt.id, deliveryId: job.deliveryId, webhookId: job.webhookId, organizationId: job.organizationId, ...record };
    // A repeated recording finds its attempt already stored.
    await this.writes.write<AttemptDoc>(COLLECTIONS.attempts, { insertOne: { document: attemptDoc } }).catch((err: unknown) => {
      if (!isDuplicateKey(err)) throw err;
    });
    await this.writes.write<DeliveryDoc>(COLLECTIONS.deliveries, {
      updateOne: {
        filter: { _id: job.deliveryId },
        update: { $setOnInsert: onInsert, $set: { updatedAt: at, payload }, $addToSet: { attemptIds: attempt.id } },
        upsert: true,
      },
    });
    // A manual attempt (no change) still shows as the latest one.
    const decided: Filter<DeliveryDoc> = change ? { _id: job.deliveryId, ...stillDecidedBy(job, change) } : { _id: job.deliveryId };
    await this.writes.write<DeliveryDoc>(COLLECTIONS.deliveries, { updateOne: { filter: decided, update: { $set: { ...set, lastAttempt } } } });
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
   * payload and its place on the ladder, attempt count unchanged. Only a waiting entry is
   * parked; one that has ended stays as it is.
   */
  async park(job: DeliveryJob, reason: string): Promise<void> {
    const fields: Partial<DeliveryDoc> = {
      status: "parked",
      statusReason: reason,
      nextAttemptAt: null,
      payload: payloadOf(job),
      parkedJob: { attempt: job.attempt, source: job.source, enqueuedAt: job.enqueuedAt },
    };
    const written = await this.writeWithoutAttempt(job, "parked", fields, { status: { $in: ["pending", "retrying", "parked"] } });
    // Indexed under the entry's own createdAt, so releases go oldest first. A new entry's is
    // the time just written; an older one's is read back, and an entry that did not take the
    // parking (it had ended) is not indexed. Both writes are batched inserts: parking costs
    // about what a delivery does, not the extra query and upsert it cost per job before
    // (bench/README.md, "dead"). Written after the entry: see `dropStale` in reader.ts.
    let createdAt = written.at;
    if (written.applied === "fallback") {
      const entry = await deliveriesCollection(this.db).findOne({ _id: job.deliveryId }, { projection: { createdAt: 1, status: 1 } });
      if (entry?.status !== "parked") return;
      createdAt = entry.createdAt;
    }
    // Already indexed (parked again): the entry's createdAt has not changed.
    await this.writes.write<ParkedRef>(COLLECTIONS.parked, { insertOne: { document: { _id: job.deliveryId, webhookId: job.webhookId, createdAt } } }).catch((err: unknown) => {
      if (!isDuplicateKey(err)) throw err;
    });
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
  }

  /** A disabled webhook's parked deliveries end `failed`; a recover sends them again. */
  async failParked(webhookId: string, reason: string): Promise<void> {
    await deliveriesCollection(this.db).updateMany({ webhookId, status: "parked" }, { $set: { status: "failed", statusReason: reason, updatedAt: new Date(this.now()) } });
    await parkedCollection(this.db).deleteMany({ webhookId });
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
    const document = newDeliveryEntry(job, updatedAt, { status: newStatus, ...fields });
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
