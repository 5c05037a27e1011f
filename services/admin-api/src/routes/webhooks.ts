import { encryptSecret, webhooksCollection, type WebhookDoc } from "@agiletune/shared";
import { readJsonBody } from "../body.js";
import { generateWebhookSecret, newId, secretHint } from "../credentials.js";
import { afterCursor, decodeCursor, page } from "../cursor.js";
import { newSigningKey, patchHeaders, rotatedSigningKey, sealAuth, sealHeaders } from "../endpoint-settings.js";
import { ApiError, notFound, validationFailed } from "../errors.js";
import { createWebhookSchema, pageQuerySchema, parseOr422, parseQuery, rotateSecretSchema, updateWebhookSchema, type UpdateWebhookInput } from "../schemas.js";
import { assertPublicUrl, UrlRefusedError } from "../url-guard.js";
import { webhookView, type WebhookList, type WebhookWithSecretView } from "../webhook-views.js";
import { fieldChanges } from "../audit-log.js";
import { audit, authenticated, organizationScoped, pathId, type AppRouter, type Ctx, type RouteDeps } from "./context.js";

/** The previous secret keeps signing `webhook-signature` this long after a rotation (docs/openapi.json). */
const PREVIOUS_SECRET_TTL_MS = 24 * 60 * 60 * 1000;

const BASE = "/v1/organizations/:orgId/webhooks";

/** What reactivating a webhook resets (docs/endpoint-health.md: "healthy with a closed circuit"). */
const CLOSED_CIRCUIT = { health: "healthy", healthReason: null, failingSince: null, circuit: null } as const satisfies Partial<WebhookDoc>;

/** The webhook `:webhookId` of the path's organization, or 404 (also for another organization's id). */
export async function findWebhook(deps: RouteDeps, ctx: Ctx): Promise<WebhookDoc> {
  const id = pathId(ctx, "webhookId", "webhook");
  const doc = await webhooksCollection(deps.db).findOne({ _id: id, organizationId: ctx.params.orgId! });
  if (!doc) throw notFound("webhook");
  return doc;
}

/** The address rules of webhook URLs, for the webhook's URL and an OAuth 2.0 token endpoint alike. */
async function checkUrl(deps: RouteDeps, url: string, field: "url" | "auth.tokenUrl" = "url"): Promise<void> {
  try {
    await assertPublicUrl(url, { allowPrivate: deps.allowPrivateUrls, resolve: deps.resolveHost });
  } catch (err) {
    if (err instanceof UrlRefusedError) throw validationFailed([{ field, message: err.message }]);
    throw err;
  }
}

/** Webhook create, list, read, update, delete and secret rotation. */
export function registerWebhookRoutes(router: AppRouter, deps: RouteDeps): void {
  const webhooks = () => webhooksCollection(deps.db);
  const guard = [authenticated(deps), organizationScoped] as const;

  /**
   * PATCH with `active: true`. An inactive webhook (deactivated by its owner, or disabled
   * by the dispatcher after a 410 or a long failure) comes back healthy with a closed
   * circuit (docs/endpoint-health.md); an active one keeps its health, which only deliveries change.
   * Two conditional updates rather than read-then-write, so a webhook the dispatcher
   * disables in between is still reset: whichever matches the state at that moment applies.
   */
  async function activate(id: string, organizationId: string, set: Partial<WebhookDoc>): Promise<WebhookDoc | null> {
    const after = { returnDocument: "after" } as const;
    // Both missing: it is gone, or changed between the two; another round tells which.
    for (let round = 0; round < 3; round++) {
      const revived = await webhooks().findOneAndUpdate({ _id: id, organizationId, active: false }, { $set: { ...set, ...CLOSED_CIRCUIT } }, after);
      if (revived) return revived;
      const kept = await webhooks().findOneAndUpdate({ _id: id, organizationId, active: true }, { $set: set }, after);
      if (kept) return kept;
    }
    return null;
  }

  router.post(BASE, ...guard, async (ctx) => {
    const input = parseOr422(createWebhookSchema, await readJsonBody(ctx));
    await checkUrl(deps, input.url);
    if (input.auth?.type === "oauth2") await checkUrl(deps, input.auth.tokenUrl, "auth.tokenUrl");
    const secret = input.secret ?? generateWebhookSecret();
    const now = deps.clock();
    const doc: WebhookDoc = {
      _id: newId("wh"),
      organizationId: ctx.params.orgId!,
      url: input.url,
      contentType: input.contentType,
      events: input.events,
      active: input.active ?? true,
      health: "healthy",
      healthReason: null,
      failingSince: null,
      rateLimitPerSecond: input.rateLimitPerSecond ?? null,
      ordered: input.ordered ?? false,
      circuit: null,
      description: input.description ?? "",
      secretSealed: encryptSecret(secret, deps.secretsKey),
      secretHint: secretHint(secret),
      previousSecretSealed: null,
      previousSecretExpiresAt: null,
      headers: sealHeaders(input.headers ?? {}, deps.secretsKey),
      auth: sealAuth(input.auth ?? null, null, deps.secretsKey),
      signingKey: input.ed25519 ? newSigningKey(deps.secretsKey) : null,
      createdAt: now,
      updatedAt: now,
    };
    await webhooks().insertOne(doc);
    // Every field the caller set, the secret too (redacted by the audit log, whatever the field).
    const created = Object.fromEntries(Object.entries({ ...input, secret }).map(([field, value]) => [field, { to: value }]));
    await audit(deps, ctx, { action: "webhook.created", target: { type: "webhook", id: doc._id }, changes: created });
    ctx.status = 201;
    ctx.set("Location", `/v1/organizations/${encodeURIComponent(doc.organizationId)}/webhooks/${doc._id}`);
    ctx.body = { ...webhookView(doc), secret } satisfies WebhookWithSecretView;
  });

  router.get(BASE, ...guard, async (ctx) => {
    const query = parseQuery(pageQuerySchema, ctx.query);
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const docs = await webhooks()
      .find({ organizationId: ctx.params.orgId!, ...afterCursor("createdAt", cursor) })
      .sort({ createdAt: -1, _id: -1 })
      .limit(query.limit + 1)
      .toArray();
    const { items, nextCursor } = page(docs, query.limit, (d) => ({ at: d.createdAt, id: d._id }));
    ctx.body = { items: items.map(webhookView), nextCursor } satisfies WebhookList;
  });

  router.get(`${BASE}/:webhookId`, ...guard, async (ctx) => {
    ctx.body = webhookView(await findWebhook(deps, ctx));
  });

  router.patch(`${BASE}/:webhookId`, ...guard, async (ctx) => {
    const id = pathId(ctx, "webhookId", "webhook");
    const patch = parseOr422(updateWebhookSchema, await readJsonBody(ctx));
    if (patch.url !== undefined) await checkUrl(deps, patch.url);
    // Read first for the audit log's "from"; the update itself stays conditional on nothing it read.
    const before = await findWebhook(deps, ctx);
    const set: Partial<WebhookDoc> = { updatedAt: deps.clock() };
    if (patch.url !== undefined) set.url = patch.url;
    if (patch.contentType !== undefined) set.contentType = patch.contentType;
    if (patch.events !== undefined) set.events = patch.events;
    if (patch.active !== undefined) set.active = patch.active;
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.rateLimitPerSecond !== undefined) set.rateLimitPerSecond = patch.rateLimitPerSecond;
    if (patch.ordered !== undefined) set.ordered = patch.ordered;
    if (patch.headers !== undefined || patch.auth !== undefined || patch.ed25519 !== undefined) Object.assign(set, await endpointSettingsPatch(ctx, patch));
    const updated =
      patch.active === true
        ? await activate(id, ctx.params.orgId!, set)
        : await webhooks().findOneAndUpdate({ _id: id, organizationId: ctx.params.orgId! }, { $set: set }, { returnDocument: "after" });
    if (!updated) throw notFound("webhook");
    const view = webhookView(updated);
    await audit(deps, ctx, { action: "webhook.updated", target: { type: "webhook", id }, changes: fieldChanges(webhookView(before), view, Object.keys(patch)) });
    ctx.body = view;
  });

  /**
   * Headers, auth and the Ed25519 key are merged with what is stored, so they are read
   * first; two such PATCHes racing keep the later one's whole result.
   */
  async function endpointSettingsPatch(ctx: Ctx, patch: UpdateWebhookInput): Promise<Partial<WebhookDoc>> {
    const current = await findWebhook(deps, ctx);
    const set: Partial<WebhookDoc> = {};
    if (patch.headers !== undefined) set.headers = patchHeaders(current.headers ?? [], patch.headers, deps.secretsKey);
    if (patch.auth !== undefined) {
      if (patch.auth?.type === "oauth2") await checkUrl(deps, patch.auth.tokenUrl, "auth.tokenUrl");
      set.auth = sealAuth(patch.auth, current.auth ?? null, deps.secretsKey);
    }
    if (patch.ed25519 === false) set.signingKey = null;
    if (patch.ed25519 === true && !current.signingKey) set.signingKey = newSigningKey(deps.secretsKey);
    return set;
  }

  router.delete(`${BASE}/:webhookId`, ...guard, async (ctx) => {
    const id = pathId(ctx, "webhookId", "webhook");
    // Deleting is enough: the dispatcher cancels jobs whose webhook no longer exists.
    const { deletedCount } = await webhooks().deleteOne({ _id: id, organizationId: ctx.params.orgId! });
    if (deletedCount === 0) throw notFound("webhook");
    await audit(deps, ctx, { action: "webhook.deleted", target: { type: "webhook", id } });
    ctx.status = 204;
  });

  router.post(`${BASE}/:webhookId/secret/rotate`, ...guard, async (ctx) => {
    const input = parseOr422(rotateSecretSchema, (await readJsonBody(ctx)) ?? {});
    const current = await findWebhook(deps, ctx);
    const secret = input.secret ?? generateWebhookSecret();
    const now = deps.clock();
    // Conditional on the secret we read: two rotations racing must not both "win" and
    // leave a previous secret that was never returned to anyone.
    const updated = await webhooks().findOneAndUpdate(
      { _id: current._id, organizationId: current.organizationId, secretSealed: current.secretSealed },
      {
        $set: {
          secretSealed: encryptSecret(secret, deps.secretsKey),
          secretHint: secretHint(secret),
          previousSecretSealed: current.secretSealed,
          previousSecretExpiresAt: new Date(now.getTime() + PREVIOUS_SECRET_TTL_MS),
          // The Ed25519 pair rotates with the secret, its old key signing as long as the old secret.
          ...(current.signingKey && { signingKey: rotatedSigningKey(current.signingKey, deps.secretsKey) }),
          updatedAt: now,
        },
      },
      { returnDocument: "after" },
    );
    if (!updated) throw new ApiError("conflict", "the secret was changed by another request at the same time; try again");
    await audit(deps, ctx, { action: "webhook.secret_rotated", target: { type: "webhook", id: updated._id }, changes: { secret: { from: "", to: secret } } });
    ctx.body = { ...webhookView(updated), secret, previousSecretExpiresAt: updated.previousSecretExpiresAt!.toISOString() } satisfies WebhookWithSecretView;
  });
}
