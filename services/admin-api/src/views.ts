import { attemptCountOf, type AttemptRecord, type DeadLetterDoc, type DeliveryDoc, type WebhookDoc } from "@agiletune/shared";

/**
 * The response shapes of CONTRACT §5, built from stored documents. Each view lists its
 * fields explicitly, so a field added to a document (a sealed secret, a payload) never
 * reaches a response by accident.
 */

export type WebhookView = {
  id: string;
  organizationId: string;
  url: string;
  contentType: "json" | "form";
  events: string[];
  active: boolean;
  health: "healthy" | "failing";
  description: string;
  createdAt: string;
  updatedAt: string;
  secretHint: string;
};

export function webhookView(doc: WebhookDoc): WebhookView {
  return {
    id: doc._id,
    organizationId: doc.organizationId,
    url: doc.url,
    contentType: doc.contentType,
    events: doc.events,
    active: doc.active,
    health: doc.health,
    description: doc.description,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
    secretHint: doc.secretHint,
  };
}

export function attemptView(a: AttemptRecord) {
  return {
    attempt: a.attempt,
    source: a.source,
    startedAt: new Date(a.startedAt).toISOString(),
    durationMs: a.durationMs,
    outcome: a.outcome,
    request: { url: a.request.url, headers: a.request.headers },
    response: a.response && { status: a.response.status, headers: a.response.headers, body: a.response.body, bodyTruncated: a.response.bodyTruncated },
    error: a.error && { code: a.error.code, message: a.error.message },
  };
}

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

/** What the list and the single view of a delivery both show. */
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
export function deliverySummaryView(doc: DeliveryDoc) {
  const last = doc.lastAttempt;
  return {
    ...deliveryBase(doc),
    attemptCount: attemptCountOf(doc),
    lastAttemptAt: last ? iso(last.startedAt) : null,
    lastResponseStatus: last?.responseStatus ?? null,
  };
}

/** `attempts`: every attempt of the delivery, oldest first (see `loadAttempts`). */
export function deliveryView(doc: DeliveryDoc, attempts: AttemptRecord[]) {
  return {
    ...deliveryBase(doc),
    attempts: attempts.map(attemptView),
  };
}

/** A dead letter for operators: where it came from and why it died, not the event data. */
export function deadLetterView(doc: DeadLetterDoc) {
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
