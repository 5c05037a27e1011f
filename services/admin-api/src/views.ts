import {
  ALL_EVENTS,
  attemptCountOf,
  buildDeliveryBody,
  DELIVERY_STATUSES,
  EVENT_TYPES,
  JOB_SOURCES,
  WEBHOOK_CONTENT_TYPES,
  WEBHOOK_HEALTHS,
  type AttemptRecord,
  type DeadLetterDoc,
  type DeliveryDoc,
  type WebhookDoc,
} from "@agiletune/shared";
import { z } from "zod";
import { storedPayload } from "./delivery-jobs.js";
import { RATE_LIMIT_MAX, RATE_LIMIT_MIN } from "./schemas.js";
import { MAX_URL_LENGTH } from "./url-guard.js";

/**
 * The response shapes of docs/openapi.json as zod schemas, and the views that build them from
 * stored documents. The schemas are the one description of each response: the TypeScript
 * types below are inferred from them and the OpenAPI document is generated from them
 * (`.meta({ id })` names the component). Nothing parses responses at run time; the
 * integration tests check every response they receive against the document.
 *
 * Each view lists its fields explicitly, so a field added to a document (a sealed secret,
 * a payload) never reaches a response by accident, and its declared return type makes a
 * field added to a schema a compile error until the view fills it.
 */

/** What `Date.prototype.toISOString` writes. */
const isoDateTime = z.iso.datetime();
const count = z.int().nonnegative();

/** A list page: `{items, nextCursor}`, `nextCursor` null on the last page. */
function listOf<T extends z.ZodType>(item: T, id: string) {
  return z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() }).meta({ id });
}

export const healthSchema = z.strictObject({ status: z.literal("ok") }).meta({ id: "Health" });
export const readySchema = z.strictObject({ status: z.literal("ready"), checks: z.strictObject({ mongo: z.literal("ok"), kafka: z.literal("ok") }) }).meta({ id: "Ready" });
export const openApiDocumentSchema = z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }).meta({ id: "OpenApiDocument" });

const eventTypeSchema = z.strictObject({ event: z.string(), description: z.string() }).meta({ id: "EventType" });
export const eventTypeListSchema = listOf(eventTypeSchema, "EventTypeList");
export type EventTypeList = z.output<typeof eventTypeListSchema>;

export const apiKeySchema = z
  .strictObject({ id: z.string(), organizationId: z.string(), token: z.string().meta({ description: "shown only in this response" }), createdAt: isoDateTime })
  .meta({ id: "ApiKey" });
export type ApiKeyView = z.output<typeof apiKeySchema>;

export const webhookSchema = z
  .strictObject({
    id: z.string(),
    organizationId: z.string(),
    url: z.url().max(MAX_URL_LENGTH),
    contentType: z.enum(WEBHOOK_CONTENT_TYPES),
    events: z.array(z.enum([ALL_EVENTS, ...EVENT_TYPES])),
    active: z.boolean(),
    health: z.enum(WEBHOOK_HEALTHS),
    healthReason: z.string().nullable().meta({ description: "why it is failing or disabled (e.g. gone, failing-too-long); null when healthy" }),
    failingSince: isoDateTime.nullable().meta({ description: "start of the current run of failures; null when healthy" }),
    rateLimitPerSecond: z.int().min(RATE_LIMIT_MIN).max(RATE_LIMIT_MAX).nullable().meta({ description: "requests per second its URL may receive; null: no limit" }),
    description: z.string(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
    secretHint: z.string().meta({ description: "last four characters of the secret" }),
  })
  .meta({ id: "Webhook" });
export type WebhookView = z.output<typeof webhookSchema>;

/** The create and rotate responses: the only ones that show the secret. */
export const webhookWithSecretSchema = webhookSchema
  .extend({
    secret: z.string().meta({ description: "shown only in the create and rotate responses" }),
    previousSecretExpiresAt: isoDateTime.optional().meta({ description: "rotate only: until then the previous secret still signs webhook-signature" }),
  })
  .meta({ id: "WebhookWithSecret" });
export type WebhookWithSecretView = z.output<typeof webhookWithSecretSchema>;

export const webhookListSchema = listOf(webhookSchema, "WebhookList");
export type WebhookList = z.output<typeof webhookListSchema>;

/** Ping and redeliver: the job is queued under this delivery id. */
export const acceptedSchema = z.strictObject({ deliveryId: z.string() }).meta({ id: "Accepted" });
export type Accepted = z.output<typeof acceptedSchema>;

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

export const deadLetterSchema = z
  .strictObject({
    id: z.string(),
    deliveryId: z.string(),
    organizationId: z.string(),
    webhookId: z.string(),
    eventId: z.string(),
    event: z.string(),
    attempt: count,
    lastError: z.string(),
    deadLetteredAt: isoDateTime,
    replayedAt: isoDateTime.nullable(),
    replayCount: count,
  })
  .meta({ id: "DeadLetter" });
export type DeadLetterView = z.output<typeof deadLetterSchema>;
export const deadLetterListSchema = listOf(deadLetterSchema, "DeadLetterList");
export type DeadLetterList = z.output<typeof deadLetterListSchema>;

/** Recover: how many deliveries were sent again. */
export const recoverResultSchema = z.strictObject({ matched: count.meta({ description: "failed or cancelled deliveries sent again" }) }).meta({ id: "RecoverResult" });
export type RecoverResult = z.output<typeof recoverResultSchema>;

export const dlqReplayResultSchema = z.strictObject({ dryRun: z.boolean(), matched: count, replayed: count }).meta({ id: "DlqReplayResult" });
export type DlqReplayResult = z.output<typeof dlqReplayResultSchema>;

export function webhookView(doc: WebhookDoc): WebhookView {
  return {
    id: doc._id,
    organizationId: doc.organizationId,
    url: doc.url,
    contentType: doc.contentType,
    // Stored only after createWebhookSchema/updateWebhookSchema checked each entry.
    events: doc.events as WebhookView["events"],
    active: doc.active,
    health: doc.health,
    // Absent on webhooks stored before docs/endpoint-health.md.
    healthReason: doc.healthReason ?? null,
    failingSince: iso(doc.failingSince),
    rateLimitPerSecond: doc.rateLimitPerSecond ?? null,
    description: doc.description,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
    secretHint: doc.secretHint,
  };
}

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
  };
}

function iso(d: Date): string;
function iso(d: Date | null | undefined): string | null;
function iso(d: Date | null | undefined): string | null {
  return d ? new Date(d).toISOString() : null;
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

/** Who a token is (beyond docs/openapi.json): the settings page signs in with it. */
export const meSchema = z.union([z.strictObject({ kind: z.literal("operator") }), z.strictObject({ kind: z.literal("organization"), organizationId: z.string() })]).meta({ id: "Me" });
export type Me = z.output<typeof meSchema>;

/** A dead letter for operators: where it came from and why it died, not the event data. */
export function deadLetterView(doc: DeadLetterDoc): DeadLetterView {
  return {
    id: doc._id,
    deliveryId: doc.job.deliveryId,
    organizationId: doc.organizationId,
    webhookId: doc.webhookId,
    eventId: doc.eventId,
    event: doc.event,
    attempt: doc.job.attempt,
    lastError: doc.lastError,
    deadLetteredAt: iso(doc.deadLetteredAt),
    replayedAt: iso(doc.replayedAt),
    replayCount: doc.replayCount,
  };
}
