import { deliveryIdFor, subscribes, type DeliveryJob, type DomainEvent, type WebhookRoute } from "@agiletune/shared";

/**
 * One delivery job per (event, subscribed webhook), in event order. Pure: the webhooks
 * are the active webhooks of the batch's organizations.
 */
export function planDeliveries(events: DomainEvent[], webhooks: WebhookRoute[], enqueuedAt: number): DeliveryJob[] {
  const byOrganization = new Map<string, typeof webhooks>();
  for (const webhook of webhooks) {
    const list = byOrganization.get(webhook.organizationId);
    if (list) list.push(webhook);
    else byOrganization.set(webhook.organizationId, [webhook]);
  }
  const jobs: DeliveryJob[] = [];
  for (const event of events) {
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
      });
    }
  }
  return jobs;
}
