import type { Me } from "../views.js";
import { authenticated, principalOf, type AppRouter, type RouteDeps } from "./context.js";

/**
 * Who a token is (beyond docs/openapi.json): the operator, or an organization's API key and
 * which organization. The settings page signs in with it, so a pasted key is all it needs.
 */
export function registerMeRoutes(router: AppRouter, deps: RouteDeps): void {
  router.get("/v1/me", authenticated(deps), (ctx) => {
    const principal = principalOf(ctx);
    ctx.body = (principal.kind === "operator" ? { kind: "operator" } : { kind: "organization", organizationId: principal.organizationId }) satisfies Me;
  });
}
