import type { Collection, Db } from "mongodb";
import type { DeliveryJob, JobSource } from "../delivery-job.js";
import { COLLECTIONS } from "../mongo.js";

// The delivery log: every shape of its three collections, and every way the database's
// quirks shape them, is in this folder and nowhere else. Writers and readers elsewhere
// call the functions of ./index.ts.

export const DELIVERY_STATUSES = ["pending", "succeeded", "retrying", "parked", "held", "failed", "cancelled"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Response bodies are kept up to this many bytes (docs/openapi.json: truncated). */
export const RESPONSE_BODY_LOG_LIMIT = 4096;
/** What a delivery sends: its POST body's content, and the trace context its attempts descend from (docs/tracing.md). */
export type Payload = { event: string; timestamp: string; data: Record<string, unknown>; traceparent?: string; tracestate?: string };

export type AttemptRecord = {
  attempt: number;
  source: JobSource;
  startedAt: Date;
  durationMs: number;
  outcome: "succeeded" | "failed";
  request: { url: string; headers: Record<string, string> };
  response: { status: number; headers: Record<string, string>; body: string; bodyTruncated: boolean } | null;
  error: { code: string; message: string } | null;
  /** A 429's or 503's `Retry-After`, as sent: the next attempt waited for it (docs/endpoint-health.md). Absent on attempts logged before it was recorded. */
  retryAfter?: string | null;
};

/** A later attempt of a delivery, in its own document (see `DeliveryDoc.attemptIds`). */
export type AttemptDoc = AttemptRecord & { _id: string; deliveryId: string; webhookId: string; organizationId: string };

/**
 * A delivery's log entry. Its attempts are split for the database's sake: the attempt
 * that creates the entry is kept inside it, so the common delivery (one attempt, it
 * succeeds) costs one insert; every later attempt is inserted into `delivery_attempts`
 * and only its id is added here. Updating a document costs FerretDB in proportion to its
 * size, and a retried delivery's entry would otherwise grow with every attempt.
 */
export type DeliveryDoc = {
  _id: string;
  webhookId: string;
  organizationId: string;
  eventId: string;
  event: string;
  status: DeliveryStatus;
  /**
   * The attempt that created this entry, if one did, as JSON text (`storedAttempts`); absent
   * otherwise. Read it with `attemptsInside`.
   */
  attempts?: string;
  /** That attempt's id: a repeated recording of it may also have stored it apart. */
  firstAttemptId?: string;
  /** Every later attempt, by `delivery_attempts` id. */
  attemptIds: string[];
  /** For the list view, which shows no attempt detail. */
  lastAttempt?: { startedAt: Date; responseStatus: number | null } | null;
  /** When the next retry is due, while `retrying`. */
  nextAttemptAt: Date | null;
  /**
   * The body's content (`{event, timestamp, data}`) as JSON text, kept so a redelivery can
   * resend it. Read it with `payloadFrom`.
   */
  payload?: string;
  /** Why the delivery ended `cancelled` or `failed`, or is `parked` or `held`, in words. */
  statusReason: string | null;
  /** While `held`: the delivery of the same ordering key it waits for. */
  heldBehind?: string | null;
  createdAt: Date;
  updatedAt: Date;
};

export type DeadLetterDoc = {
  _id: string;
  organizationId: string;
  webhookId: string;
  event: string;
  eventId: string;
  job: DeliveryJob;
  lastError: string;
  deadLetteredAt: Date;
  /** Set when replayed; a replay only takes dead letters not replayed since they were dead-lettered. */
  replayedAt: Date | null;
  replayCount: number;
};

export function deliveriesCollection(db: Db): Collection<DeliveryDoc> {
  return db.collection<DeliveryDoc>(COLLECTIONS.deliveries);
}

export function attemptsCollection(db: Db): Collection<AttemptDoc> {
  return db.collection<AttemptDoc>(COLLECTIONS.attempts);
}

/** The ids of the attempts stored apart, once each, without a repeat of the one inside. */
export function idsStoredApart(doc: Pick<DeliveryDoc, "attemptIds" | "firstAttemptId">): string[] {
  return [...new Set(doc.attemptIds)].filter((id) => id !== doc.firstAttemptId);
}

/** Attempts made so far: the one inside the entry and those stored apart. */
export function attemptCountOf(doc: Pick<DeliveryDoc, "attempts" | "attemptIds" | "firstAttemptId">): number {
  return attemptsInside(doc).length + idsStoredApart(doc).length;
}

// The payload and the attempt inside an entry are only ever shown or sent again, never
// queried: stored as one string each, FerretDB inserts entries 1.6x as fast as with them as
// nested documents (bench:stored-format, bench/README.md "The delivery log").

/** An entry's attempts as stored: JSON text. */
export function storedAttempts(records: AttemptRecord[]): string {
  return JSON.stringify(records);
}

/** The attempt inside an entry, `startedAt` a Date again. */
export function attemptsInside(doc: Pick<DeliveryDoc, "attempts">): AttemptRecord[] {
  if (doc.attempts === undefined) return [];
  return (JSON.parse(doc.attempts) as Array<AttemptRecord & { startedAt: string }>).map((record) => ({ ...record, startedAt: new Date(record.startedAt) }));
}

/** An entry's payload as stored: JSON text. */
export function storedPayloadOf(job: Pick<DeliveryJob, "event" | "timestamp" | "data" | "traceparent" | "tracestate">): string {
  return JSON.stringify(payloadOf(job));
}

/** The payload of an entry, if it has one. */
export function payloadFrom(doc: Pick<DeliveryDoc, "payload">): Payload | undefined {
  return doc.payload === undefined ? undefined : (JSON.parse(doc.payload) as Payload);
}

export function deadLettersCollection(db: Db): Collection<DeadLetterDoc> {
  return db.collection<DeadLetterDoc>(COLLECTIONS.deadLetters);
}

/**
 * A whole log entry for a delivery not logged yet: pending, no attempt, with `fields`
 * over that. Every field is written, so both servers store the same shape.
 */
export function newDeliveryEntry(job: Pick<DeliveryJob, "deliveryId" | "webhookId" | "organizationId" | "eventId" | "event">, at: Date, fields: Partial<DeliveryDoc> = {}): DeliveryDoc {
  return {
    _id: job.deliveryId,
    webhookId: job.webhookId,
    organizationId: job.organizationId,
    eventId: job.eventId,
    event: job.event,
    status: "pending",
    attemptIds: [],
    lastAttempt: null,
    nextAttemptAt: null,
    statusReason: null,
    createdAt: at,
    updatedAt: at,
    ...fields,
  };
}

/**
 * A parked delivery (docs/endpoint-health.md), in `parked_deliveries`: the job that sends it again and
 * why it waits, keyed by delivery id. A collection of its own because FerretDB uses no
 * secondary index for queries, so finding a webhook's parked deliveries among all entries
 * scanned the whole log (measured: ~6 s a page with 20 000 entries); and because parking in
 * the entry itself cost two updates per delivery (see parked.ts). It speaks for the delivery
 * while it is newer than the entry (`speaksFor`), and is removed once found stale.
 */
export type ParkedDoc = {
  _id: string;
  webhookId: string;
  /** The delivery's `createdAt`, the release order (oldest first). */
  createdAt: Date;
  organizationId: string;
  eventId: string;
  event: string;
  /** When it was last parked: an entry written after this has moved the delivery on. */
  parkedAt: Date;
  reason: string;
  /** The DeliveryJob as JSON: one string field is far cheaper for FerretDB to store and read than the event's nested data. */
  job: string;
  /** The job's attempt: above 0, the delivery has failed before (a circuit's probe prefers one after a first attempt failed as the probe). */
  attempt?: number;
};

export function parkedCollection(db: Db): Collection<ParkedDoc> {
  return db.collection<ParkedDoc>(COLLECTIONS.parked);
}

/**
 * The body's content, kept so a redelivery, a parked release or a recover can resend it; with
 * the trace context, so what is sent again stays in the event's trace. Inside the payload's
 * text, as the body is never built from the stored payload as a whole but field by field.
 */
function payloadOf(job: Pick<DeliveryJob, "event" | "timestamp" | "data" | "traceparent" | "tracestate">): Payload {
  return {
    event: job.event,
    timestamp: job.timestamp,
    data: job.data,
    ...(job.traceparent !== undefined && { traceparent: job.traceparent }),
    ...(job.tracestate !== undefined && { tracestate: job.tracestate }),
  };
}

/**
 * When a delivery was created, for a new entry or a parking: when its job was enqueued, if
 * that is earlier than `now`. A delivery parked before its first attempt gets its entry only
 * when released, and must keep its place in the log's order.
 */
export function createdAtOf(job: Pick<DeliveryJob, "enqueuedAt">, now: Date): Date {
  return job.enqueuedAt < now.getTime() ? new Date(job.enqueuedAt) : now;
}
