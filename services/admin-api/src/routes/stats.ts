import { readStats, searchDeliveries } from "@agiletune/shared";
import { deliverySummaryView, type DeliveryList } from "../delivery-views.js";
import { parseQuery } from "../schemas.js";
import { deliverySearchQuerySchema, parseStatsQuery, statsBucketView, type EndpointStatsView } from "../stats-views.js";
import { authenticated, organizationScoped, type AppRouter, type RouteDeps } from "./context.js";
import { findWebhook } from "./webhooks.js";

/** docs/statistics.md: a webhook's endpoint statistics, and finding a delivery across the organization. */
export function registerStatsRoutes(router: AppRouter, deps: RouteDeps): void {
  const guard = [authenticated(deps), organizationScoped] as const;

  router.get("/v1/organizations/:orgId/webhooks/:webhookId/stats", ...guard, async (ctx) => {
    const query = parseStatsQuery(ctx.query, deps.clock());
    const webhook = await findWebhook(deps, ctx);
    const docs = await readStats(deps.db, { webhookId: webhook._id, organizationId: webhook.organizationId, ...query });
    ctx.body = { items: docs.map(statsBucketView) } satisfies EndpointStatsView;
  });

  router.get("/v1/organizations/:orgId/deliveries", ...guard, async (ctx) => {
    const query = parseQuery(deliverySearchQuerySchema, ctx.query);
    const docs = await searchDeliveries(deps.db, { organizationId: ctx.params.orgId!, ...query });
    ctx.body = { items: docs.map(deliverySummaryView), nextCursor: null } satisfies DeliveryList;
  });
}
