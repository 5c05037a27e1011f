import { answerOps, OPS_PATHS } from "@agiletune/shared";
import type { AppRouter, RouteDeps } from "./context.js";

/**
 * Liveness, readiness (MongoDB and Kafka answer, each within 3 s) and Prometheus metrics;
 * no auth, no /v1. The answers are the worker services' (`answerOps`), on the API's port.
 */
export function registerHealthRoutes(router: AppRouter, deps: RouteDeps): void {
  const opts = { registry: deps.registry, checks: deps.checks, logger: deps.logger.child({ component: "health" }) };
  for (const path of OPS_PATHS) {
    router.get(path, async (ctx) => {
      const answer = await answerOps(path, opts);
      ctx.status = answer.status;
      ctx.type = answer.contentType;
      ctx.body = answer.body;
    });
  }
}
