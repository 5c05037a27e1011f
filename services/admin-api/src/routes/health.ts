import { ApiError } from "../errors.js";
import type { AppRouter, RouteDeps } from "./context.js";

const READY_TIMEOUT_MS = 3_000;

function withTimeout(check: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    check(),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Liveness, readiness (MongoDB and Kafka answer) and Prometheus metrics; no auth, no /v1. */
export function registerHealthRoutes(router: AppRouter, deps: RouteDeps): void {
  const log = deps.logger.child({ component: "health" });

  router.get("/healthz", (ctx) => {
    ctx.body = { status: "ok" };
  });

  router.get("/readyz", async (ctx) => {
    const names = ["mongo", "kafka"] as const;
    const results = await Promise.allSettled(names.map((name) => withTimeout(deps.checks[name])));
    const failed = names.flatMap((name, i) => {
      const r = results[i]!;
      return r.status === "rejected" ? [{ field: name, message: `not reachable: ${(r.reason as Error)?.message ?? String(r.reason)}`.slice(0, 300) }] : [];
    });
    if (failed.length) {
      log.warn({ failed: failed.map((f) => f.field) }, "not ready");
      throw new ApiError("unavailable", "not ready", failed);
    }
    ctx.body = { status: "ready", checks: { mongo: "ok", kafka: "ok" } };
  });

  router.get("/metrics", async (ctx) => {
    ctx.type = deps.registry.contentType;
    ctx.body = await deps.registry.metrics();
  });
}
