import type { Principal } from "../auth.js";
import type { Me } from "../views.js";
import { authenticated, principalOf, type AppRouter, type RouteDeps } from "./context.js";

/**
 * Who a token is (beyond docs/openapi.json): the operator, or an organization's API key and
 * which organization. The settings page signs in with it, so a pasted key is all it needs.
 */
export function registerMeRoutes(router: AppRouter, deps: RouteDeps): void {
  router.get("/v1/me", authenticated(deps), (ctx) => {
    const principal = principalOf(ctx);
    ctx.body = meView(principal);
  });
}

function meView(principal: Principal): Me {
  switch (principal.kind) {
    case "operator":
      return { kind: "operator" };
    case "organization":
      return { kind: "organization", organizationId: principal.organizationId };
    case "portal":
      return { kind: "portal", organizationId: principal.organizationId, user: principal.user, readOnly: principal.readOnly, expiresAt: principal.expiresAt.toISOString() };
  }
}
