import type { Collection, Db } from "mongodb";
import type { DeliveryJob, JobSource } from "./delivery-job.js";
import { COLLECTIONS } from "./mongo.js";

export const DELIVERY_STATUSES = ["pending", "succeeded", "retrying", "failed", "cancelled"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Response bodies are kept up to this many bytes (CONTRACT §5: truncated). */
export const RESPONSE_BODY_LOG_LIMIT = 4096;
/** A delivery keeps its most recent attempts; older ones are dropped past this count. */
export const MAX_ATTEMPTS_LOGGED = 50;

export type AttemptRecord = {
  attempt: number;
  source: JobSource;
  startedAt: Date;
  durationMs: number;
  outcome: "succeeded" | "failed";
  request: { url: string; headers: Record<string, string> };
  response: { status: number; headers: Record<string, string>; body: string; bodyTruncated: boolean } | null;
  error: { code: string; message: string } | null;
};

export type DeliveryDoc = {
  _id: string;
  webhookId: string;
  organizationId: string;
  eventId: string;
  event: string;
  status: DeliveryStatus;
  attempts: AttemptRecord[];
  /** When the next retry is due, while `retrying`. */
  nextAttemptAt: Date | null;
  /** The body's content (`{event, timestamp, data}`), kept so a redelivery can resend it. */
  payload?: { event: string; timestamp: string; data: Record<string, unknown> };
  /** Why the delivery ended `cancelled` or `failed`, in words. */
  statusReason: string | null;
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

export function deadLettersCollection(db: Db): Collection<DeadLetterDoc> {
  return db.collection<DeadLetterDoc>(COLLECTIONS.deadLetters);
}

/**
 * Marks a delivery known before any attempt (a ping), leaving an existing log untouched.
 *
 * An insert that tolerates a duplicate key rather than an upsert with `$setOnInsert`: FerretDB v1 drops the empty-array and null
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
