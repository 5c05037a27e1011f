import { createHash } from "node:crypto";
import { z } from "zod";
import { describeZodError, type ParseResult } from "./events.js";
import { TRACEPARENT_PATTERN, TRACESTATE_MAX_LENGTH } from "./trace-context.js";

/** Why a job exists: fan-out of an event, a manual redelivery, a ping, or a dead-letter replay. */
export const JOB_SOURCES = ["event", "redeliver", "ping", "replay"] as const;
export type JobSource = (typeof JOB_SOURCES)[number];

export const deliveryJobSchema = z.object({
  deliveryId: z.string().min(1),
  webhookId: z.string().min(1),
  organizationId: z.string().min(1),
  eventId: z.string().min(1),
  event: z.string().min(1),
  timestamp: z.string().min(1),
  data: z.record(z.string(), z.unknown()),
  /** 0 for the first delivery, n for retry n. */
  attempt: z.number().int().min(0),
  source: z.enum(JOB_SOURCES),
  /** Epoch ms before which the job must not be attempted (set on retry tiers). */
  dueAt: z.number().int().optional(),
  /** Epoch ms when the job was first produced; end-to-end latency is measured from it. */
  enqueuedAt: z.number().int(),
  /** The event's ordering key, sent as X-AgileTune-Ordering-Key; an ordered webhook keeps each key's deliveries in order. */
  orderingKey: z.string().min(1).max(256).optional(),
  /** The event's offset on its partition of the events topic (one partition per organization): what "earlier" means for one key. */
  eventSequence: z.number().int().min(0).optional(),
  /** Set once the delivery has joined its key's order (an ordered webhook's): its retries keep their place in it. */
  inOrder: z.literal(true).optional(),
  /** W3C Trace Context its attempts descend from (docs/tracing.md): the event's, or a span of ours under it; absent, the delivery has a trace of its own. */
  traceparent: z.string().regex(TRACEPARENT_PATTERN).optional(),
  /** The event's `tracestate`, passed on unchanged. */
  tracestate: z.string().max(TRACESTATE_MAX_LENGTH).optional(),
});

export type DeliveryJob = z.infer<typeof deliveryJobSchema>;

/**
 * Deterministic: one (event id, webhook id) pair always yields the same delivery id, so a
 * re-fanned or replayed event is recognisable by receivers and by our log.
 */
export function deliveryIdFor(eventId: string, webhookId: string): string {
  const digest = createHash("sha256").update(eventId).update("\u0000").update(webhookId).digest("hex");
  return `dlv_${digest.slice(0, 32)}`;
}

export function encodeDeliveryJob(job: DeliveryJob): Buffer {
  return Buffer.from(JSON.stringify(job));
}

export function decodeDeliveryJob(bytes: Buffer | null): ParseResult<DeliveryJob> {
  if (!bytes || bytes.length === 0) return { ok: false, reason: "empty message value" };
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
  }
  const fast = wellFormedJob(value);
  if (fast) return { ok: true, value: fast };
  const result = deliveryJobSchema.safeParse(value);
  return result.success ? { ok: true, value: result.data } : { ok: false, reason: describeZodError(result.error) };
}

const nonEmpty = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const wholeNumber = (v: unknown): v is number => Number.isSafeInteger(v);
const isSource = (v: unknown): v is JobSource => (JOB_SOURCES as readonly unknown[]).includes(v);

/**
 * The job as `deliveryJobSchema` would give it (known fields only, in its order), when every
 * field is plainly what the schema asks; otherwise null, and the schema itself says what is
 * wrong. Every job the dispatcher and the retry tiers read passes here: a few type checks
 * cost it far less than the schema's general parse.
 */
function wellFormedJob(value: unknown): DeliveryJob | null {
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<keyof DeliveryJob, unknown>;
  const { data } = v;
  if (!nonEmpty(v.deliveryId) || !nonEmpty(v.webhookId) || !nonEmpty(v.organizationId) || !nonEmpty(v.eventId) || !nonEmpty(v.event) || !nonEmpty(v.timestamp)) return null;
  if (typeof data !== "object" || data === null || Array.isArray(data)) return null;
  if (!(wholeNumber(v.attempt) && v.attempt >= 0) || !isSource(v.source) || !wholeNumber(v.enqueuedAt)) return null;
  if (v.dueAt !== undefined && !wholeNumber(v.dueAt)) return null;
  if (v.orderingKey !== undefined && !(nonEmpty(v.orderingKey) && v.orderingKey.length <= 256)) return null;
  if (v.eventSequence !== undefined && !(wholeNumber(v.eventSequence) && v.eventSequence >= 0)) return null;
  if (v.inOrder !== undefined && v.inOrder !== true) return null;
  if (v.traceparent !== undefined && !(typeof v.traceparent === "string" && TRACEPARENT_PATTERN.test(v.traceparent))) return null;
  if (v.tracestate !== undefined && !(typeof v.tracestate === "string" && v.tracestate.length <= TRACESTATE_MAX_LENGTH)) return null;
  return {
    deliveryId: v.deliveryId,
    webhookId: v.webhookId,
    organizationId: v.organizationId,
    eventId: v.eventId,
    event: v.event,
    timestamp: v.timestamp,
    data: data as Record<string, unknown>,
    attempt: v.attempt,
    source: v.source,
    ...(v.dueAt !== undefined && { dueAt: v.dueAt }),
    enqueuedAt: v.enqueuedAt,
    ...(v.orderingKey !== undefined && { orderingKey: v.orderingKey }),
    ...(v.eventSequence !== undefined && { eventSequence: v.eventSequence }),
    ...(v.inOrder !== undefined && { inOrder: v.inOrder }),
    ...(v.traceparent !== undefined && { traceparent: v.traceparent }),
    ...(v.tracestate !== undefined && { tracestate: v.tracestate }),
  };
}

/**
 * The HTTP body of docs/delivery.md#the-request: exactly `{"event","timestamp","data"}` in that order.
 * Form content type wraps the same JSON as `payload=<url-encoded JSON>`.
 */
export function buildDeliveryBody(
  job: Pick<DeliveryJob, "event" | "timestamp" | "data">,
  contentType: "json" | "form",
): {
  body: string;
  contentTypeHeader: string;
} {
  const json = JSON.stringify({ event: job.event, timestamp: job.timestamp, data: job.data });
  if (contentType === "form") {
    return { body: `payload=${encodeURIComponent(json)}`, contentTypeHeader: "application/x-www-form-urlencoded" };
  }
  return { body: json, contentTypeHeader: "application/json" };
}
