import { deliveryIdFor, orderingKeyOf, subscribes, TOPIC_MAX_MESSAGE_BYTES, type DeliveryJob, type DomainEvent, type TraceContext, type WebhookRoute } from "@agiletune/shared";

/** The largest delivery job fanout produces: the topic's limit less room for the record batch and its headers. */
export const MAX_JOB_BYTES = TOPIC_MAX_MESSAGE_BYTES - 64 * 1024;
/** What a job adds to its event's own fields, at most: ids, attempt, source, times, keys and the trace context (a tracestate alone may be 512 bytes). */
export const JOB_ENVELOPE_BYTES = 2048;

/**
 * Why an event cannot become delivery jobs, or null. A job carries its event, so an event
 * near the topic's limit makes jobs the broker refuses; producing them would be retried
 * for ever and hold up the partition. Only events of at least half the limit are measured.
 */
export function tooLargeForJobs(event: DomainEvent, eventBytes: number): string | null {
  if (eventBytes + JOB_ENVELOPE_BYTES <= MAX_JOB_BYTES / 2) return null;
  const jobBytes = Buffer.byteLength(JSON.stringify(event)) + JOB_ENVELOPE_BYTES;
  if (jobBytes <= MAX_JOB_BYTES) return null;
  return `event too large: its delivery jobs would be up to ${jobBytes} bytes, over the ${MAX_JOB_BYTES} a delivery job may have`;
}

/**
 * An event with its offset on the events topic (one organization's events share a partition,
 * so the offsets order them) and the trace context its jobs carry, if any (docs/tracing.md).
 */
export type SequencedEvent = { event: DomainEvent; sequence: number; trace?: TraceContext };

/**
 * One delivery job per (event, subscribed webhook), in event order, each carrying its
 * event's ordering key and sequence for ordered webhooks. Pure: the webhooks are the
 * active webhooks of the batch's organizations.
 */
export function planDeliveries({ events, webhooks, enqueuedAt }: { events: SequencedEvent[]; webhooks: WebhookRoute[]; enqueuedAt: number }): DeliveryJob[] {
  const byOrganization = new Map<string, typeof webhooks>();
  for (const webhook of webhooks) {
    const list = byOrganization.get(webhook.organizationId);
    if (list) list.push(webhook);
    else byOrganization.set(webhook.organizationId, [webhook]);
  }
  const jobs: DeliveryJob[] = [];
  for (const { event, sequence, trace } of events) {
    const orderingKey = orderingKeyOf(event);
    for (const webhook of byOrganization.get(event.organizationId) ?? []) {
      if (!subscribes(webhook, event.organizationId, event.event)) continue;
      jobs.push({
        deliveryId: deliveryIdFor(event.id, webhook._id),
        webhookId: webhook._id,
        organizationId: event.organizationId,
        eventId: event.id,
        event: event.event,
        timestamp: event.timestamp,
        data: event.data,
        attempt: 0,
        source: "event",
        enqueuedAt,
        ...(orderingKey !== undefined && { orderingKey, eventSequence: sequence }),
        ...trace,
      });
    }
  }
  return jobs;
}
