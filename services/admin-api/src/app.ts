import { randomUUID } from "node:crypto";
import { Router } from "@koa/router";
import { CONFIG_DEFAULTS, createRegistry, mongoReachable, PendingWrites, type ReadinessCheck, type TopicNames } from "@agiletune/shared";
import Koa from "koa";
import type { Db } from "mongodb";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { createAuthenticator } from "./auth.js";
import { DEFAULT_CONSOLE_DIR, serveConsole } from "./console-assets.js";
import type { JobProducer } from "./dlq-replay.js";
import { ApiError, toApiError } from "./errors.js";
import { createHttpMetrics } from "./http-metrics.js";
import { IDEMPOTENCY_DEFAULTS, type IdempotencyOptions } from "./idempotency.js";
import { registerApiKeyRoutes } from "./routes/api-keys.js";
import { registerAuditLogRoutes } from "./routes/audit-log.js";
import { registerCatalogueRoutes } from "./routes/catalogue.js";
import type { AppRouter, AppState, RouteDeps } from "./routes/context.js";
import { registerDeliveryRoutes } from "./routes/deliveries.js";
import { registerDlqRoutes } from "./routes/dlq.js";
import { registerEventRoutes } from "./routes/events.js";
import { registerHealthRoutes } from "./routes/health.js";
import { registerMeRoutes } from "./routes/me.js";
import { registerPortalSessionRoutes } from "./routes/portal-sessions.js";
import { registerStatsRoutes } from "./routes/stats.js";
import { registerWebhookRoutes } from "./routes/webhooks.js";
import type { ResolveHost } from "./url-guard.js";

export type AppDeps = {
  db: Db;
  producer: JobProducer;
  topics: Pick<TopicNames, "deliveries" | "events">;
  config: {
    ADMIN_TOKEN?: string | undefined;
    SECRETS_ENCRYPTION_KEY?: string | undefined;
    ALLOW_PRIVATE_URLS: boolean;
    /** Portal links start with it (default http://localhost:<ADMIN_API_PORT>). */
    PUBLIC_URL?: string | undefined;
    ADMIN_API_PORT?: number;
    /** Origins that may frame the settings page (CSP frame-ancestors); none by default. */
    PORTAL_FRAME_ANCESTORS?: string[];
  };
  logger: Logger;
  clock?: () => Date;
  /** DNS for the private-address check; the system resolver by default. */
  resolveHost?: ResolveHost;
  /** Resolves when Kafka answers (readiness); MongoDB is pinged through `db`. */
  kafkaReady: ReadinessCheck;
  registry?: Registry;
  /** `Idempotency-Key` lifetimes for publishing; IDEMPOTENCY_DEFAULTS by default. */
  idempotency?: Partial<IdempotencyOptions>;
  /** Writes left running after their request was answered; the caller waits for them when it stops. */
  background?: PendingWrites;
  /** The built settings page (`pnpm build`); packages/console/dist by default. */
  consoleDir?: string;
};

/** Every route of the admin API on one router (also read by the OpenAPI drift test). */
export function createRouter(deps: RouteDeps): AppRouter {
  const router: AppRouter = new Router<AppState>();
  registerHealthRoutes(router, deps);
  registerCatalogueRoutes(router, deps);
  registerMeRoutes(router, deps);
  registerApiKeyRoutes(router, deps);
  registerWebhookRoutes(router, deps);
  registerDeliveryRoutes(router, deps);
  registerStatsRoutes(router, deps);
  registerDlqRoutes(router, deps);
  registerEventRoutes(router, deps);
  registerPortalSessionRoutes(router, deps);
  registerAuditLogRoutes(router, deps);
  return router;
}

function routeDeps(deps: AppDeps): RouteDeps {
  const { ADMIN_TOKEN, SECRETS_ENCRYPTION_KEY } = deps.config;
  if (!ADMIN_TOKEN) throw new Error("ADMIN_TOKEN is required");
  if (!SECRETS_ENCRYPTION_KEY) throw new Error("SECRETS_ENCRYPTION_KEY is required");
  const clock = deps.clock ?? (() => new Date());
  return {
    db: deps.db,
    producer: deps.producer,
    topics: deps.topics,
    logger: deps.logger,
    clock,
    secretsKey: SECRETS_ENCRYPTION_KEY,
    publicUrl: deps.config.PUBLIC_URL ?? `http://localhost:${deps.config.ADMIN_API_PORT ?? CONFIG_DEFAULTS.ADMIN_API_PORT}`,
    allowPrivateUrls: deps.config.ALLOW_PRIVATE_URLS,
    resolveHost: deps.resolveHost,
    authenticate: createAuthenticator({ db: deps.db, adminToken: ADMIN_TOKEN, clock }),
    checks: { mongo: mongoReachable(deps.db), kafka: deps.kafkaReady },
    registry: deps.registry ?? createRegistry("admin-api"),
    idempotency: { ...IDEMPOTENCY_DEFAULTS, ...deps.idempotency },
    background: deps.background ?? new PendingWrites(),
  };
}

/**
 * The Koa app: metrics and request log outermost, then one error boundary that turns
 * everything into docs/openapi.json's error body, then the router, then 404/405 for what it
 * does not answer. Every response carries `Cache-Control: no-store` (some carry secrets).
 */
export function createApp(deps: AppDeps): Koa<AppState> {
  const rd = routeDeps(deps);
  const router = createRouter(rd);
  const metrics = createHttpMetrics(rd.registry);
  const httpLog = deps.logger.child({ component: "http" });
  const app = new Koa<AppState>();
  app.silent = true;
  app.on("error", (err: unknown) => httpLog.error({ err }, "koa error"));

  app.use(async (ctx, next) => {
    const started = process.hrtime.bigint();
    ctx.state.requestId = randomUUID();
    ctx.set("X-Request-Id", ctx.state.requestId);
    ctx.set("Cache-Control", "no-store");
    try {
      await next();
    } catch (err) {
      const apiError = toApiError(err);
      if (apiError.status >= 500) {
        // The cause may be a driver error; its message carries no request data of ours.
        httpLog.error({ err: apiError.cause ?? err, requestId: ctx.state.requestId }, "request failed");
      }
      ctx.status = apiError.status;
      ctx.body = apiError.toBody();
      if (apiError.code === "unauthorized") ctx.set("WWW-Authenticate", 'Bearer realm="agiletune"');
      const allow = (err as { allow?: string[] }).allow;
      if (allow) ctx.set("Allow", allow.join(", "));
    }
    const route = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
    const routeLabel = typeof route === "string" ? route : "unmatched";
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.observe({ method: ctx.method, route: routeLabel, status: ctx.status }, seconds);
    // Route template and ids only: never headers, bodies or query strings.
    httpLog.info({ requestId: ctx.state.requestId, method: ctx.method, route: routeLabel, status: ctx.status, ms: Math.round(seconds * 1000) }, "request");
  });

  // The settings page at / and /ui/: apart from the router, it is no API route.
  app.use(serveConsole({ dir: deps.consoleDir ?? DEFAULT_CONSOLE_DIR, frameAncestors: deps.config.PORTAL_FRAME_ANCESTORS ?? [] }));
  app.use(router.routes());

  // Nothing answered: 405 when the path exists with other methods, else 404.
  app.use((ctx) => {
    const methods = new Set(router.match(ctx.path, ctx.method).path.flatMap((layer) => layer.methods));
    if (methods.size > 0) {
      throw Object.assign(new ApiError("method_not_allowed", `${ctx.method} is not allowed on this path`), { allow: [...methods] });
    }
    throw new ApiError("not_found", `no route ${ctx.method} ${ctx.path}`);
  });
  return app;
}
