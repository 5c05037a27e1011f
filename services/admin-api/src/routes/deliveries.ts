import { buildDeliveryBody, deliveriesCollection, loadAttempts, recordPendingDelivery, type AttemptRecord, type DeliveryDoc, type WebhookDoc } from "@agiletune/shared";
import type { Filter } from "mongodb";
import { readJsonBody } from "../body.js";
import { afterCursor, decodeCursor, page } from "../cursor.js";
import { buildPingJob, buildRedeliverJob, storedPayload } from "../delivery-jobs.js";
import { ApiError, notFound } from "../errors.js";
import { deliveriesQuerySchema, emptyBodySchema, parseOr422, parseQuery } from "../schemas.js";

import { deliverySummaryView, deliveryView } from "../views.js";
import { authenticated, organizationScoped, pathId, produceJob, type AppRouter, type Ctx, type RouteDeps } from "./context.js";
import { findWebhook } from "./webhooks.js";

const BASE = "/v1/organizations/:orgId/webhooks/:webhookId";

/** Routes that take no input still refuse a body with fields in it (422, unknown field). */
async function noInput(ctx: Ctx): Promise<void> {
  parseOr422(emptyBodySchema, (await readJsonBody(ctx)) ?? {});
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

function inactive(): ApiError {
  return new ApiError("conflict", "the webhook is inactive; activate it (PATCH active: true) first");
}

/** Ping, delivery log and redelivery. */
export function registerDeliveryRoutes(router: AppRouter, deps: RouteDeps): void {
  const deliveries = () => deliveriesCollection(deps.db);
  const guard = [authenticated(deps), organizationScoped] as const;
  const log = deps.logger.child({ component: "deliveries" });

  router.post(`${BASE}/ping`, ...guard, async (ctx) => {
    await noInput(ctx);
    const webhook = await findWebhook(deps, ctx);
    if (!webhook.active) throw inactive();
    const now = deps.clock();
    const job = buildPingJob(webhook, now);
    // Known to the log before the dispatcher can see it, so GET finds it as `pending`.
    await recordPendingDelivery(deps.db, job, now);
    try {
      await produceJob(deps, job);
    } catch (err) {
      // Nothing half-done: the pending entry of a ping that was never queued goes away again.
      await deliveries()
        .deleteOne({ _id: job.deliveryId, status: "pending", attemptIds: { $size: 0 } })
        .catch((cleanupErr: unknown) => log.warn({ err: cleanupErr, deliveryId: job.deliveryId }, "could not remove the pending ping"));
      throw err;
    }
    log.info({ webhookId: webhook._id, deliveryId: job.deliveryId }, "ping queued");
    ctx.status = 202;
    ctx.body = { deliveryId: job.deliveryId };
  });

  router.get(`${BASE}/deliveries`, ...guard, async (ctx) => {
    const query = parseQuery(deliveriesQuerySchema, ctx.query);
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const webhook = await findWebhook(deps, ctx);
    const filter: Filter<DeliveryDoc> = { webhookId: webhook._id, organizationId: webhook.organizationId, ...afterCursor("createdAt", cursor) };
    if (query.status !== undefined) filter.status = query.status;
    if (query.event !== undefined) filter.event = query.event;
    const docs = await deliveries()
      // The list never shows the payload; a page of large events would be ~100 MB of it.
      .find(filter, { projection: { payload: 0 } })
      .sort({ createdAt: -1, _id: -1 })
      .limit(query.limit + 1)
      .toArray();
    const { items, nextCursor } = page(docs, query.limit, (d) => ({ at: d.createdAt, id: d._id }));
    ctx.body = { items: items.map(deliverySummaryView), nextCursor };
  });

  async function findDelivery(ctx: Ctx, webhook: WebhookDoc): Promise<DeliveryDoc> {
    const id = pathId(ctx, "deliveryId", "delivery");
    const doc = await deliveries().findOne({ _id: id, webhookId: webhook._id, organizationId: webhook.organizationId });
    if (!doc) throw notFound("delivery");
    return doc;
  }

  router.get(`${BASE}/deliveries/:deliveryId`, ...guard, async (ctx) => {
    const delivery = await findDelivery(ctx, await findWebhook(deps, ctx));
    const attempts = await loadAttempts(deps.db, delivery);
    ctx.body = { ...deliveryView(delivery, attempts), requestBody: requestBodyAsSent(delivery, attempts) };
  });

  router.post(`${BASE}/deliveries/:deliveryId/redeliver`, ...guard, async (ctx) => {
    await noInput(ctx);
    const webhook = await findWebhook(deps, ctx);
    const delivery = await findDelivery(ctx, webhook);
    if (!webhook.active) throw inactive();
    const payload = storedPayload(delivery);
    if (!payload) {
      throw new ApiError("conflict", "this delivery has no stored payload to send again (it has not been attempted yet, or was logged before payloads were kept)");
    }
    const job = buildRedeliverJob(delivery, payload, deps.clock());
    await produceJob(deps, job);
    log.info({ webhookId: webhook._id, deliveryId: job.deliveryId, attempt: job.attempt }, "redelivery queued");
    ctx.status = 202;
    ctx.body = { deliveryId: job.deliveryId };
  });
}
