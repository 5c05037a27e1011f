import { readJsonBody } from "../body.js";
import { ApiError, notFound } from "../errors.js";
import { createPortalSessionSchema, exchangePortalLinkSchema, PORTAL_TTL_SECONDS } from "../portal-audit-schemas.js";
import type { PortalSessionView, PortalSignIn } from "../portal-audit-views.js";
import { createPortalSession, endPortalSession, exchangePortalLink, type PortalUser } from "../portal-sessions.js";
import { parseOr422 } from "../schemas.js";
import { audit, authenticated, operatorOnly, organizationScoped, pathId, type AppRouter, type RouteDeps } from "./context.js";

const BASE = "/v1/organizations/:orgId/portal-sessions";

/** Where the page picks the link up: the secret goes in the fragment, which no request (and so no access log) carries. */
const PORTAL_PAGE_PATH = "/ui/portal";

/**
 * Portal sessions (docs/portal-and-audit.md): AgileTune's backend, as the operator, opens the
 * settings page for one user of one organization; the page trades the link for a token.
 */
export function registerPortalSessionRoutes(router: AppRouter, deps: RouteDeps): void {
  const guard = [authenticated(deps), operatorOnly, organizationScoped] as const;
  const log = deps.logger.child({ component: "portal-sessions" });

  router.post(BASE, ...guard, async (ctx) => {
    const input = parseOr422(createPortalSessionSchema, await readJsonBody(ctx));
    const user: PortalUser = { id: input.user.id, ...(input.user.name !== undefined && { name: input.user.name }), ...(input.user.email !== undefined && { email: input.user.email }) };
    const { doc, linkSecret } = await createPortalSession(deps.db, {
      organizationId: ctx.params.orgId!,
      user,
      readOnly: input.readOnly ?? false,
      ttlSeconds: input.ttlSeconds ?? PORTAL_TTL_SECONDS.default,
      now: deps.clock(),
    });
    log.info({ organizationId: doc.organizationId, sessionId: doc._id, readOnly: doc.readOnly }, "portal session created");
    const changes = { user: { to: user }, readOnly: { to: doc.readOnly }, expiresAt: { to: doc.expiresAt.toISOString() } };
    await audit(deps, ctx, { action: "portal_session.created", target: { type: "portal-session", id: doc._id }, changes });
    ctx.status = 201;
    ctx.body = { id: doc._id, url: `${deps.publicUrl}${PORTAL_PAGE_PATH}#${linkSecret}`, expiresAt: doc.expiresAt.toISOString() } satisfies PortalSessionView;
  });

  router.delete(`${BASE}/:sessionId`, ...guard, async (ctx) => {
    const id = pathId(ctx, "sessionId", "portal session");
    if (!(await endPortalSession(deps.db, ctx.params.orgId!, id))) throw notFound("portal session");
    log.info({ organizationId: ctx.params.orgId, sessionId: id }, "portal session ended");
    await audit(deps, ctx, { action: "portal_session.ended", target: { type: "portal-session", id } });
    ctx.status = 204;
  });

  // No token: the link's secret is the credential, taken from the body (never a URL), once.
  router.post("/v1/portal-sessions/exchange", async (ctx) => {
    const { link } = parseOr422(exchangePortalLinkSchema, await readJsonBody(ctx));
    const exchanged = await exchangePortalLink(deps.db, link, deps.clock());
    if (!exchanged) throw new ApiError("unauthorized", "this link has been used already, has expired or was ended; ask AgileTune to open the page again");
    const { doc, token } = exchanged;
    log.info({ organizationId: doc.organizationId, sessionId: doc._id }, "portal link exchanged");
    ctx.body = { token, organizationId: doc.organizationId, user: doc.user, readOnly: doc.readOnly, expiresAt: doc.expiresAt.toISOString() } satisfies PortalSignIn;
  });
}
