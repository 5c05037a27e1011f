import { EVENT_CATALOGUE, eventDataJsonSchema } from "@agiletune/shared";
import { buildOpenApiDocument } from "../openapi.js";
import type { EventTypeList } from "../views.js";
import { authenticated, type AppRouter, type RouteDeps } from "./context.js";

/** The event catalogue (any valid token) and the OpenAPI document (public: it holds no data). */
export function registerCatalogueRoutes(router: AppRouter, deps: RouteDeps): void {
  const eventTypes = {
    items: EVENT_CATALOGUE.map((e) => ({ event: e.event, description: e.description, schema: eventDataJsonSchema(e.event), example: e.example })),
    nextCursor: null,
  } satisfies EventTypeList;
  router.get("/v1/event-types", authenticated(deps), (ctx) => {
    ctx.body = eventTypes;
  });

  const document = buildOpenApiDocument();
  router.get("/v1/openapi.json", (ctx) => {
    ctx.body = document;
  });
}
