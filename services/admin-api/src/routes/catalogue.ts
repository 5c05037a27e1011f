import { EVENT_CATALOGUE } from "@agiletune/shared";
import { buildOpenApiDocument } from "../openapi.js";
import type { EventTypeList } from "../views.js";
import { authenticated, type AppRouter, type RouteDeps } from "./context.js";

/** The event catalogue (any valid token) and the OpenAPI document (public: it holds no data). */
export function registerCatalogueRoutes(router: AppRouter, deps: RouteDeps): void {
  router.get("/v1/event-types", authenticated(deps), (ctx) => {
    ctx.body = { items: EVENT_CATALOGUE.map((e) => ({ event: e.event, description: e.description })), nextCursor: null } satisfies EventTypeList;
  });

  const document = buildOpenApiDocument();
  router.get("/v1/openapi.json", (ctx) => {
    ctx.body = document;
  });
}
