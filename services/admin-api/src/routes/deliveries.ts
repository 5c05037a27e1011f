import { findDelivery as findLoggedDelivery, forgetPendingDelivery, listDeliveries, loadAttempts, recordPendingDelivery, type DeliveryDoc, type WebhookDoc } from "@agiletune/shared";
import { readJsonBody } from "../body.js";
import { decodeCursor, page } from "../cursor.js";
import { buildPingJob, jobFromStoredDelivery, storedPayload } from "../delivery-jobs.js";
import { ApiError, inactiveWebhook, notFound } from "../errors.js";
import { recoverDeliveries } from "../recover.js";
import { deliveriesQuerySchema, emptyBodySchema, parseOr422, parseQuery, parseRecover } from "../schemas.js";
import { deliverySummaryView, deliveryView, type DeliveryList, type RecoverResult } from "../delivery-views.js";
import type { Accepted } from "../views.js";
import { audit, authenticated, organizationScoped, pathId, produceJob, type AppRouter, type Ctx, type RouteDeps } from "./context.js";
import { findWebhook } from "./webhooks.js";

const BASE = "/v1/organizations/:orgId/webhooks/:webhookId";

/** Routes that take no input still refuse a body with fields in it (422, unknown field). */
async function noInput(ctx: Ctx): Promise<void> {
  parseOr422(emptyBodySchema, (await readJsonBody(ctx)) ?? {});
}

/** Ping, delivery log, redelivery and recover. */
export function registerDeliveryRoutes(router: AppRouter, deps: RouteDeps): void {
  const guard = [authenticated(deps), organizationScoped] as const;
  const log = deps.logger.child({ component: "deliveries" });

  router.post(`${BASE}/ping`, ...guard, async (ctx) => {
    await noInput(ctx);
    const webhook = await findWebhook(deps, ctx);
    if (!webhook.active) throw inactiveWebhook();
    const now = deps.clock();
    const job = buildPingJob(webhook, now);
    // Known to the log before the dispatcher can see it, so GET finds it as `pending`.
    await recordPendingDelivery(deps.db, job, now);
    try {
      await produceJob(deps, job);
    } catch (err) {
      // Nothing half-done: the pending entry of a ping that was never queued goes away again.
      await forgetPendingDelivery(deps.db, job.deliveryId).catch((cleanupErr: unknown) => log.warn({ err: cleanupErr, deliveryId: job.deliveryId }, "could not remove the pending ping"));
      throw err;
    }
    log.info({ webhookId: webhook._id, deliveryId: job.deliveryId }, "ping queued");
    await audit(deps, ctx, { action: "webhook.pinged", target: { type: "webhook", id: webhook._id } });
    ctx.status = 202;
    ctx.body = { deliveryId: job.deliveryId } satisfies Accepted;
  });

  router.get(`${BASE}/deliveries`, ...guard, async (ctx) => {
    const query = parseQuery(deliveriesQuerySchema, ctx.query);
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const webhook = await findWebhook(deps, ctx);
    const docs = await listDeliveries(deps.db, { organizationId: webhook.organizationId, webhookId: webhook._id, status: query.status, event: query.event, after: cursor, limit: query.limit + 1 });
    const { items, nextCursor } = page(docs, query.limit, (d) => ({ at: d.createdAt, id: d._id }));
    ctx.body = { items: items.map(deliverySummaryView), nextCursor } satisfies DeliveryList;
  });

  async function findDelivery(ctx: Ctx, webhook: WebhookDoc): Promise<DeliveryDoc> {
    const id = pathId(ctx, "deliveryId", "delivery");
    const doc = await findLoggedDelivery(deps.db, { organizationId: webhook.organizationId, webhookId: webhook._id, deliveryId: id });
    if (!doc) throw notFound("delivery");
    return doc;
  }

  router.get(`${BASE}/deliveries/:deliveryId`, ...guard, async (ctx) => {
    const delivery = await findDelivery(ctx, await findWebhook(deps, ctx));
    ctx.body = deliveryView(delivery, await loadAttempts(deps.db, delivery));
  });

  router.post(`${BASE}/deliveries/:deliveryId/redeliver`, ...guard, async (ctx) => {
    await noInput(ctx);
    const webhook = await findWebhook(deps, ctx);
    const delivery = await findDelivery(ctx, webhook);
    if (!webhook.active) throw inactiveWebhook();
    const payload = storedPayload(delivery);
    if (!payload) {
      throw new ApiError("conflict", "this delivery has no stored payload to send again (it has not been attempted yet, or was logged before payloads were kept)");
    }
    const job = jobFromStoredDelivery(delivery, payload, { as: "redeliver", now: deps.clock() });
    await produceJob(deps, job);
    log.info({ webhookId: webhook._id, deliveryId: job.deliveryId, attempt: job.attempt }, "redelivery queued");
    await audit(deps, ctx, { action: "delivery.redelivered", target: { type: "delivery", id: job.deliveryId } });
    ctx.status = 202;
    ctx.body = { deliveryId: job.deliveryId } satisfies Accepted;
  });

  // docs/endpoint-health.md: every failed or cancelled delivery since a time, again, with a fresh ladder.
  router.post(`${BASE}/recover`, ...guard, async (ctx) => {
    const { since } = parseRecover(await readJsonBody(ctx), deps.clock());
    const webhook = await findWebhook(deps, ctx);
    // The response stays `{matched}` (docs/endpoint-health.md); what was skipped is in the log.
    const { matched } = await recoverDeliveries(deps, webhook, since);
    await audit(deps, ctx, { action: "webhook.recovered", target: { type: "webhook", id: webhook._id } });
    ctx.status = 202;
    ctx.body = { matched } satisfies RecoverResult;
  });
}
