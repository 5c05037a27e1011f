import { attemptCountOf, deliveryIdFor, parseTraceContext, payloadFrom, type DeadLetterDoc, type DeliveryDoc, type DeliveryJob, type Payload, type WebhookDoc } from "@agiletune/shared";
import { newId } from "./credentials.js";

/**
 * The jobs the admin API puts on `agiletune.deliveries` (docs/topics-and-formats.md#topics): a ping, a manual
 * redelivery, a dead-letter replay and a recovered delivery. Pure: the routes and the CLI produce what these build.
 */

/** What the dispatcher records on a delivery so it can be redelivered (it has no `data` field of its own). */
export type StoredPayload = Payload;

export function storedPayload(doc: DeliveryDoc): StoredPayload | undefined {
  const payload = payloadFrom(doc);
  return payload && typeof payload.timestamp === "string" && typeof payload.data === "object" && payload.data !== null ? payload : undefined;
}

/** A ping: a fresh event id, so each ping is its own delivery. */
export function buildPingJob(webhook: Pick<WebhookDoc, "_id" | "organizationId">, now: Date): DeliveryJob {
  const eventId = newId("ping");
  return {
    deliveryId: deliveryIdFor(eventId, webhook._id),
    webhookId: webhook._id,
    organizationId: webhook.organizationId,
    eventId,
    event: "ping",
    timestamp: now.toISOString(),
    data: { webhookId: webhook._id },
    attempt: 0,
    source: "ping",
    enqueuedAt: now.getTime(),
  };
}

/** A dead letter back at attempt 0 with a fresh retry ladder: no due time, source `replay`. */
export function buildReplayJob(deadLetter: Pick<DeadLetterDoc, "job">, now: Date): DeliveryJob {
  const { dueAt: _dueAt, ...job } = deadLetter.job;
  return { ...job, attempt: 0, source: "replay", enqueuedAt: now.getTime() };
}

/**
 * Why a logged delivery is sent again: `redeliver`, one manual attempt (`attempt` = attempts
 * logged so far, source `redeliver`: the dispatcher makes exactly one, no retry ladder);
 * `recover` (docs/endpoint-health.md), attempt 0 with a fresh retry ladder and no due time, source
 * `replay` (the dispatcher treats it like a replayed dead letter).
 */
export type Resend = "redeliver" | "recover";

/** A job that sends a logged delivery again from its stored payload, under the same delivery id (receivers recognise it). */
export function jobFromStoredDelivery(
  delivery: Pick<DeliveryDoc, "_id" | "webhookId" | "organizationId" | "eventId" | "attempts" | "attemptIds" | "firstAttemptId">,
  payload: StoredPayload,
  opts: { as: Resend; now: Date },
): DeliveryJob {
  const [attempt, source]: [number, DeliveryJob["source"]] = opts.as === "redeliver" ? [attemptCountOf(delivery), "redeliver"] : [0, "replay"];
  return {
    deliveryId: delivery._id,
    webhookId: delivery.webhookId,
    organizationId: delivery.organizationId,
    eventId: delivery.eventId,
    event: payload.event,
    timestamp: payload.timestamp,
    data: payload.data,
    attempt,
    source,
    enqueuedAt: opts.now.getTime(),
    // Sent again in the event's trace (docs/tracing.md); a context that no longer parses starts the delivery's own.
    ...parseTraceContext(payload.traceparent, payload.tracestate),
  };
}
