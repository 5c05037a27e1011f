import { listAudit } from "../audit-log.js";
import { decodeCursor, page } from "../cursor.js";
import { adminAuditQuerySchema } from "../portal-audit-schemas.js";
import { auditEntryView, type AuditLogView } from "../portal-audit-views.js";
import { pageQuerySchema, parseQuery } from "../schemas.js";
import { authenticated, operatorOnly, organizationScoped, type AppRouter, type Ctx, type RouteDeps } from "./context.js";

/** Who changed what, newest first: one organization's (its keys, its portal users, the operator), or the operator's view of all. */
export function registerAuditLogRoutes(router: AppRouter, deps: RouteDeps): void {
  async function list(ctx: Ctx, organizationId: string | undefined, rawCursor: string | undefined, limit: number): Promise<void> {
    const cursor = rawCursor === undefined ? undefined : decodeCursor(rawCursor);
    const docs = await listAudit(deps.db, { organizationId, after: cursor, limit: limit + 1 });
    const result = page(docs, limit, (d) => ({ at: d.at, id: d._id }));
    ctx.body = { items: result.items.map(auditEntryView), nextCursor: result.nextCursor } satisfies AuditLogView;
  }

  router.get("/v1/organizations/:orgId/audit-log", authenticated(deps), organizationScoped, async (ctx) => {
    const query = parseQuery(pageQuerySchema, ctx.query);
    await list(ctx, ctx.params.orgId!, query.cursor, query.limit);
  });

  router.get("/v1/admin/audit-log", authenticated(deps), operatorOnly, async (ctx) => {
    const query = parseQuery(adminAuditQuerySchema, ctx.query);
    await list(ctx, query.organizationId, query.cursor, query.limit);
  });
}
