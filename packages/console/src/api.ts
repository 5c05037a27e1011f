// The admin API as the page uses it: only the public /v1 routes, the token as a bearer
// header (never in a URL), every failure turned into an ApiError whose message is words.

import type { components, operations } from "./api-types.generated.js";

// The API's shapes, generated from its OpenAPI document (docs/openapi.json, `pnpm openapi`):
// never written by hand here, so a field the API adds or drops breaks the page's type check.
type Schemas = components["schemas"];

export type ErrorDetail = Schemas["Error"]["error"]["details"][number];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export type Me = Schemas["Me"];
export type Webhook = Schemas["Webhook"];
export type WebhookWithSecret = Schemas["WebhookWithSecret"];
export type DeliverySummary = Schemas["DeliverySummary"];
export type Attempt = Schemas["Attempt"];
export type Delivery = Schemas["Delivery"];
export type EventType = Schemas["EventType"];
export type CreateWebhook = Schemas["CreateWebhook"];
/** A change to a webhook; its secret changes only by rotation. */
export type WebhookPatch = Omit<Schemas["UpdateWebhook"], "secret">;
export type DlqFilter = Omit<Schemas["DlqReplay"], "dryRun">;
export type ReplayResult = Schemas["DlqReplayResult"];
export type AuditEntry = Schemas["AuditEntry"];
type DeliveriesQuery = NonNullable<operations["listDeliveries"]["parameters"]["query"]>;
export type StatsQuery = NonNullable<operations["getWebhookStats"]["parameters"]["query"]>;
export type StatsBucket = Schemas["StatsBucket"];
type SearchQuery = NonNullable<operations["searchDeliveries"]["parameters"]["query"]>;
/** A list page: `{items, nextCursor}`, `nextCursor` null on the last page. */
export type Page<T> = { items: T[]; nextCursor: string | null };

type Query = Record<string, string | number | undefined>;

export type Client = ReturnType<typeof createClient>;

/**
 * A client bound to one token (null: none, for trading a portal link). `onUnauthorized`
 * runs on any 401 (the page then returns to sign-in); the call still rejects so the
 * caller's progress indicator ends.
 */
export function createClient(token: string | null, onUnauthorized: (error: ApiError) => void, fetchImpl: typeof fetch = (...args) => fetch(...args)) {
  async function call<T>(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(opts.query ?? {})) if (value !== undefined && value !== "") search.set(key, String(value));
    const url = path + (search.size ? `?${search}` : "");
    const headers: Record<string, string> = { accept: "application/json" };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await fetchImpl(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), cache: "no-store", credentials: "omit" });
    } catch (err) {
      throw new ApiError(0, "network", `Could not reach the admin API (${(err as Error).message || "network error"}). Check that it is running and try again.`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const body = (json as { error?: { code?: string; message?: string; details?: ErrorDetail[] } } | undefined)?.error;
      const error = new ApiError(
        res.status,
        body?.code ?? `http_${res.status}`,
        body?.message ?? `The admin API answered ${res.status} ${res.statusText}`.trim(),
        Array.isArray(body?.details) ? body.details : [],
      );
      if (res.status === 401) onUnauthorized(error);
      throw error;
    }
    return json as T;
  }

  const org = (orgId: string) => `/v1/organizations/${encodeURIComponent(orgId)}`;
  const hook = (orgId: string, id: string) => `${org(orgId)}/webhooks/${encodeURIComponent(id)}`;

  return {
    me: () => call<Me>("GET", "/v1/me"),
    /** The portal link's secret (its fragment) for this tab's session token: in the body, never a URL. */
    exchangePortalLink: (link: string) => call<Schemas["PortalSignIn"]>("POST", "/v1/portal-sessions/exchange", { body: { link } }),
    auditLog: (orgId: string, cursor?: string) => call<Schemas["AuditLog"]>("GET", `${org(orgId)}/audit-log`, { query: { limit: 50, cursor } }),
    eventTypes: () => call<Schemas["EventTypeList"]>("GET", "/v1/event-types"),
    listWebhooks: (orgId: string, cursor?: string) => call<Schemas["WebhookList"]>("GET", `${org(orgId)}/webhooks`, { query: { limit: 50, cursor } }),
    getWebhook: (orgId: string, id: string) => call<Webhook>("GET", hook(orgId, id)),
    createWebhook: (orgId: string, input: CreateWebhook) => call<WebhookWithSecret>("POST", `${org(orgId)}/webhooks`, { body: input }),
    updateWebhook: (orgId: string, id: string, patch: WebhookPatch) => call<Webhook>("PATCH", hook(orgId, id), { body: patch }),
    deleteWebhook: (orgId: string, id: string) => call<void>("DELETE", hook(orgId, id)),
    rotateSecret: (orgId: string, id: string) => call<WebhookWithSecret>("POST", `${hook(orgId, id)}/secret/rotate`),
    ping: (orgId: string, id: string) => call<Schemas["Accepted"]>("POST", `${hook(orgId, id)}/ping`),
    listDeliveries: (orgId: string, id: string, query: DeliveriesQuery) => call<Schemas["DeliveryList"]>("GET", `${hook(orgId, id)}/deliveries`, { query }),
    getDelivery: (orgId: string, id: string, deliveryId: string) => call<Delivery>("GET", `${hook(orgId, id)}/deliveries/${encodeURIComponent(deliveryId)}`),
    redeliver: (orgId: string, id: string, deliveryId: string) => call<Schemas["Accepted"]>("POST", `${hook(orgId, id)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`),
    /** Sends again the webhook's failed and cancelled deliveries created since `since` (docs/endpoint-health.md); no `since` lets the API say it is required. */
    recover: (orgId: string, id: string, since: string | undefined) => call<Schemas["RecoverResult"]>("POST", `${hook(orgId, id)}/recover`, { body: since === undefined ? {} : { since } }),
    /** Endpoint statistics (docs/statistics.md): buckets with attempts, oldest first. */
    stats: (orgId: string, id: string, query: StatsQuery) => call<Schemas["EndpointStats"]>("GET", `${hook(orgId, id)}/stats`, { query }),
    /** The organization's deliveries of an event, or one delivery, whichever webhook they went to. */
    searchDeliveries: (orgId: string, query: SearchQuery) => call<Schemas["DeliveryList"]>("GET", `${org(orgId)}/deliveries`, { query }),
    listDeadLetters: (filter: DlqFilter, cursor?: string) => call<Schemas["DeadLetterList"]>("GET", "/v1/admin/dlq", { query: { ...filter, cursor, limit: 50 } }),
    replayDeadLetters: (filter: DlqFilter, dryRun: boolean) => call<ReplayResult>("POST", "/v1/admin/dlq/replay", { body: { ...filter, dryRun } }),
  };
}

/** An error as one sentence for the page: the API's own words, never swallowed. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return err.message;
    const sentence = err.message.charAt(0).toUpperCase() + err.message.slice(1);
    const ended = /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
    return err.status >= 500 ? `${ended} (HTTP ${err.status}; try again in a moment.)` : ended;
  }
  return `Something went wrong in the page: ${(err as Error)?.message ?? String(err)}`;
}
