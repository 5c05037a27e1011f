import { readJsonBody } from "../body.js";
import { apiKeysCollection, type ApiKeyDoc } from "../api-key-store.js";
import { generateApiToken, hashToken, newId } from "../credentials.js";
import { notFound } from "../errors.js";
import { emptyBodySchema, parseOr422 } from "../schemas.js";
import type { ApiKeyView } from "../views.js";
import { audit, authenticated, operatorOnly, organizationScoped, pathId, type AppRouter, type RouteDeps } from "./context.js";

/** Operator-only: organization API keys. The token is returned once; only its SHA-256 is kept. */
export function registerApiKeyRoutes(router: AppRouter, deps: RouteDeps): void {
  const guard = [authenticated(deps), operatorOnly, organizationScoped] as const;
  const log = deps.logger.child({ component: "api-keys" });

  router.post("/v1/organizations/:orgId/api-keys", ...guard, async (ctx) => {
    parseOr422(emptyBodySchema, (await readJsonBody(ctx)) ?? {});
    const token = generateApiToken();
    const doc: ApiKeyDoc = { _id: newId("key"), organizationId: ctx.params.orgId!, tokenHash: hashToken(token), createdAt: deps.clock() };
    await apiKeysCollection(deps.db).insertOne(doc);
    log.info({ organizationId: doc.organizationId, keyId: doc._id }, "API key created");
    await audit(deps, ctx, { action: "api_key.created", target: { type: "api-key", id: doc._id } });
    ctx.status = 201;
    ctx.body = { id: doc._id, organizationId: doc.organizationId, token, createdAt: doc.createdAt.toISOString() } satisfies ApiKeyView;
  });

  // Beyond docs/openapi.json: a leaked key must be revocable without touching the database by hand.
  router.delete("/v1/organizations/:orgId/api-keys/:keyId", ...guard, async (ctx) => {
    const id = pathId(ctx, "keyId", "API key");
    const { deletedCount } = await apiKeysCollection(deps.db).deleteOne({ _id: id, organizationId: ctx.params.orgId! });
    if (deletedCount === 0) throw notFound("API key");
    log.info({ organizationId: ctx.params.orgId, keyId: id }, "API key revoked");
    await audit(deps, ctx, { action: "api_key.revoked", target: { type: "api-key", id } });
    ctx.status = 204;
  });
}
