import { attemptCountOf, buildDeliveryBody, DELIVERY_STATUSES, JOB_SOURCES, type AttemptRecord, type DeliveryDoc } from "@agiletune/shared";
import { z } from "zod";
import { storedPayload } from "./delivery-jobs.js";
import { count, iso, isoDateTime, listOf } from "./views.js";

/** The delivery log's responses (see views.ts): a delivery in the list, one with every attempt, and recover's answer. */

const headersSchema = z.record(z.string(), z.string());

const attemptSchema = z
  .strictObject({
    attempt: count,
    source: z.enum(JOB_SOURCES),
    startedAt: isoDateTime,
    durationMs: z.number(),
    outcome: z.enum(["succeeded", "failed"]),
    request: z.strictObject({ url: z.string(), headers: headersSchema }),
    response: z.strictObject({ status: z.int(), headers: headersSchema, body: z.string(), bodyTruncated: z.boolean() }).nullable(),
    error: z.strictObject({ code: z.string(), message: z.string() }).nullable(),
    retryAfter: z.string().nullable().meta({ description: "A 429's or 503's Retry-After header: the next attempt waited for it (docs/endpoint-health.md)" }),
    traceparent: z
      .string()
      .nullable()
      .meta({ description: "The W3C traceparent the attempt sent: the event's trace id and a span id of the attempt's own (docs/tracing.md); null for attempts logged before it was sent" }),
  })
  .meta({ id: "Attempt" });
type AttemptView = z.output<typeof attemptSchema>;

/** What the list and the single view of a delivery both show. */
const deliveryBaseShape = {
  id: z.string(),
  webhookId: z.string(),
  eventId: z.string(),
  event: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  nextAttemptAt: isoDateTime.nullable(),
  statusReason: z.string().nullable(),
  heldBehind: z.string().nullable().meta({ description: "while held: the delivery of the same ordering key it waits for; otherwise null" }),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
};

export const deliverySummarySchema = z
  .strictObject({ ...deliveryBaseShape, attemptCount: count, lastAttemptAt: isoDateTime.nullable(), lastResponseStatus: z.int().nullable() })
  .meta({ id: "DeliverySummary" });
export type DeliverySummaryView = z.output<typeof deliverySummarySchema>;
export const deliveryListSchema = listOf(deliverySummarySchema, "DeliveryList");
export type DeliveryList = z.output<typeof deliveryListSchema>;

export const deliverySchema = z
  .strictObject({
    ...deliveryBaseShape,
    attempts: z.array(attemptSchema),
    requestBody: z.string().nullable().meta({ description: "The body the latest attempt sent (the stored event, encoded for that attempt's content type); null before any attempt" }),
  })
  .meta({ id: "Delivery" });
export type DeliveryView = z.output<typeof deliverySchema>;

/** Recover: how many deliveries were sent again. */
export const recoverResultSchema = z.strictObject({ matched: count.meta({ description: "failed or cancelled deliveries sent again" }) }).meta({ id: "RecoverResult" });
export type RecoverResult = z.output<typeof recoverResultSchema>;

function attemptView(a: AttemptRecord): AttemptView {
  return {
    attempt: a.attempt,
    source: a.source,
    startedAt: new Date(a.startedAt).toISOString(),
    durationMs: a.durationMs,
    outcome: a.outcome,
    request: { url: a.request.url, headers: a.request.headers },
    response: a.response && { status: a.response.status, headers: a.response.headers, body: a.response.body, bodyTruncated: a.response.bodyTruncated },
    error: a.error && { code: a.error.code, message: a.error.message },
    retryAfter: a.retryAfter ?? null,
    // Recorded with the request's headers, so it costs the log nothing more.
    traceparent: a.request.headers.traceparent ?? null,
  };
}

function deliveryBase(doc: DeliveryDoc) {
  return {
    id: doc._id,
    webhookId: doc.webhookId,
    eventId: doc.eventId,
    event: doc.event,
    status: doc.status,
    nextAttemptAt: iso(doc.nextAttemptAt),
    statusReason: doc.statusReason ?? null,
    heldBehind: doc.status === "held" ? (doc.heldBehind ?? null) : null,
    createdAt: iso(doc.createdAt),
    updatedAt: iso(doc.updatedAt),
  };
}

/** A delivery in the list: everything but the attempts' detail, which only `GET one` shows. */
export function deliverySummaryView(doc: DeliveryDoc): DeliverySummaryView {
  const last = doc.lastAttempt;
  return {
    ...deliveryBase(doc),
    attemptCount: attemptCountOf(doc),
    lastAttemptAt: last ? iso(last.startedAt) : null,
    lastResponseStatus: last?.responseStatus ?? null,
  };
}

/** `attempts`: every attempt of the delivery, oldest first (see `loadAttempts`). */
export function deliveryView(doc: DeliveryDoc, attempts: AttemptRecord[]): DeliveryView {
  return {
    ...deliveryBase(doc),
    attempts: attempts.map(attemptView),
    requestBody: requestBodyAsSent(doc, attempts),
  };
}

/**
 * The body the latest attempt sent, for the settings page's delivery detail: the stored
 * event encoded for the content type that attempt's headers name (the webhook's may have
 * changed since). Null before any attempt.
 */
function requestBodyAsSent(delivery: DeliveryDoc, attempts: AttemptRecord[]): string | null {
  const payload = storedPayload(delivery);
  const latest = attempts[attempts.length - 1];
  if (!payload || !latest) return null;
  const form = /^application\/x-www-form-urlencoded/i.test(latest.request.headers["content-type"] ?? "");
  return buildDeliveryBody(payload, form ? "form" : "json").body;
}
