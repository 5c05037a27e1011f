import { EVENT_TYPES, DELIVERY_STATUSES } from "@agiletune/shared";
import { z } from "zod";
import { createWebhookSchema, dlqReplaySchema, MAX_PAGE_SIZE, rotateSecretSchema, SECRET_MIN_LENGTH, updateWebhookSchema } from "./schemas.js";
import { MAX_URL_LENGTH } from "./url-guard.js";

/**
 * The OpenAPI 3.1 document served at GET /v1/openapi.json. Request bodies are generated
 * from the same zod schemas the routes parse with; `openapi.test.ts` checks that every
 * router layer has an operation here and the other way round, and the integration tests
 * validate every response they receive against the schema documented for its status.
 */

type Auth = "none" | "any" | "organization" | "operator";
type JsonSchema = Record<string, unknown>;
export type OperationSpec = {
  method: "get" | "post" | "patch" | "delete";
  /** Koa-router syntax (`:orgId`); turned into `{orgId}` in the document. */
  path: string;
  operationId: string;
  summary: string;
  auth: Auth;
  /** `required`: the operation needs a body; `optional`: none or `{}` or the schema. */
  body?: { schema: string; required: boolean };
  query?: Array<{ name: string; schema: JsonSchema; description: string }>;
  /** Success status and its response schema (null: no body). */
  success: [number, string | null];
  /** Extra error statuses beyond those implied by auth and body. */
  errors?: number[];
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const limitParam = { name: "limit", schema: { type: "integer", minimum: 1, maximum: MAX_PAGE_SIZE, default: 50 }, description: "page size" };
const cursorParam = { name: "cursor", schema: { type: "string" }, description: "`nextCursor` of the previous page" };
const dlqFilterParams = [
  { name: "organizationId", schema: { type: "string" }, description: "only this organization" },
  { name: "webhookId", schema: { type: "string" }, description: "only this webhook" },
  { name: "event", schema: { type: "string" }, description: "only this event type" },
  { name: "from", schema: { type: "string", format: "date-time" }, description: "deadLetteredAt at or after" },
  { name: "to", schema: { type: "string", format: "date-time" }, description: "deadLetteredAt before" },
];

const ORG = "/v1/organizations/:orgId";
const HOOK = `${ORG}/webhooks/:webhookId`;

export const OPERATIONS: OperationSpec[] = [
  { method: "get", path: "/healthz", operationId: "healthz", summary: "Liveness", auth: "none", success: [200, "Health"] },
  { method: "get", path: "/readyz", operationId: "readyz", summary: "Readiness: MongoDB and Kafka reachable", auth: "none", success: [200, "Ready"], errors: [503] },
  { method: "get", path: "/metrics", operationId: "metrics", summary: "Prometheus metrics (text exposition format)", auth: "none", success: [200, null] },
  { method: "get", path: "/v1/openapi.json", operationId: "getOpenApi", summary: "This document", auth: "none", success: [200, "OpenApiDocument"] },
  { method: "get", path: "/v1/event-types", operationId: "listEventTypes", summary: "The event catalogue", auth: "any", success: [200, "EventTypeList"] },
  { method: "get", path: "/v1/me", operationId: "getMe", summary: "Whose token this is: the operator, or an organization's API key", auth: "any", success: [200, "Me"] },
  { method: "post", path: `${ORG}/api-keys`, operationId: "createApiKey", summary: "Operator: a new organization API key; the token is shown only here", auth: "operator", body: { schema: "EmptyBody", required: false }, success: [201, "ApiKey"] },
  { method: "delete", path: `${ORG}/api-keys/:keyId`, operationId: "revokeApiKey", summary: "Operator: revoke an organization API key", auth: "operator", success: [204, null], errors: [404] },
  { method: "post", path: `${ORG}/webhooks`, operationId: "createWebhook", summary: "Create a webhook; the secret (generated when omitted) is shown only here", auth: "organization", body: { schema: "CreateWebhook", required: true }, success: [201, "WebhookWithSecret"] },
  { method: "get", path: `${ORG}/webhooks`, operationId: "listWebhooks", summary: "Webhooks of the organization, newest first", auth: "organization", query: [limitParam, cursorParam], success: [200, "WebhookList"], errors: [422] },
  { method: "get", path: HOOK, operationId: "getWebhook", summary: "One webhook (never its secret)", auth: "organization", success: [200, "Webhook"], errors: [404] },
  { method: "patch", path: HOOK, operationId: "updateWebhook", summary: "Change a webhook (partial)", auth: "organization", body: { schema: "UpdateWebhook", required: true }, success: [200, "Webhook"], errors: [404] },
  { method: "delete", path: HOOK, operationId: "deleteWebhook", summary: "Delete a webhook; its queued deliveries are cancelled", auth: "organization", success: [204, null], errors: [404] },
  { method: "post", path: `${HOOK}/secret/rotate`, operationId: "rotateWebhookSecret", summary: "New secret, shown only here; the previous one keeps signing webhook-signature for 24 h", auth: "organization", body: { schema: "RotateSecret", required: false }, success: [200, "WebhookWithSecret"], errors: [404, 409] },
  { method: "post", path: `${HOOK}/ping`, operationId: "pingWebhook", summary: "Queue a ping delivery now", auth: "organization", body: { schema: "EmptyBody", required: false }, success: [202, "Accepted"], errors: [404, 409, 503] },
  {
    method: "get",
    path: `${HOOK}/deliveries`,
    operationId: "listDeliveries",
    summary: "Delivery log, newest first",
    auth: "organization",
    query: [limitParam, cursorParam, { name: "status", schema: { type: "string", enum: [...DELIVERY_STATUSES] }, description: "only this status" }, { name: "event", schema: { type: "string" }, description: "only this event type (or ping)" }],
    success: [200, "DeliveryList"],
    errors: [404, 422],
  },
  { method: "get", path: `${HOOK}/deliveries/:deliveryId`, operationId: "getDelivery", summary: "One delivery with every attempt", auth: "organization", success: [200, "Delivery"], errors: [404] },
  { method: "post", path: `${HOOK}/deliveries/:deliveryId/redeliver`, operationId: "redeliver", summary: "One manual attempt of the delivery now (same delivery id)", auth: "organization", body: { schema: "EmptyBody", required: false }, success: [202, "Accepted"], errors: [404, 409, 503] },
  { method: "get", path: "/v1/admin/dlq", operationId: "listDeadLetters", summary: "Operator: dead-lettered deliveries, newest first", auth: "operator", query: [limitParam, cursorParam, ...dlqFilterParams], success: [200, "DeadLetterList"], errors: [422] },
  { method: "post", path: "/v1/admin/dlq/replay", operationId: "replayDeadLetters", summary: "Operator: replay matching, not yet replayed dead letters with a fresh retry ladder", auth: "operator", body: { schema: "DlqReplay", required: false }, success: [200, "DlqReplayResult"], errors: [503] },
];

const iso = { type: "string", format: "date-time" };
const nullableIso = { type: ["string", "null"], format: "date-time" };
const str = { type: "string" };
const headers = { type: "object", additionalProperties: { type: "string" } };
const listOf = (item: string) => ({
  type: "object",
  required: ["items", "nextCursor"],
  additionalProperties: false,
  properties: { items: { type: "array", items: ref(item) }, nextCursor: { type: ["string", "null"] } },
});
const closed = (properties: Record<string, unknown>, optional: string[] = []) => ({
  type: "object",
  additionalProperties: false,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  properties,
});

const webhookProperties = {
  id: str,
  organizationId: str,
  url: { type: "string", format: "uri", maxLength: MAX_URL_LENGTH },
  contentType: { type: "string", enum: ["json", "form"] },
  events: { type: "array", items: { type: "string", enum: ["*", ...EVENT_TYPES] } },
  active: { type: "boolean" },
  health: { type: "string", enum: ["healthy", "failing"] },
  description: str,
  createdAt: iso,
  updatedAt: iso,
  secretHint: { type: "string", description: "last four characters of the secret" },
};

/** Request bodies, from the zod schemas the routes use. */
function requestSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _drop, ...json } = z.toJSONSchema(schema, { io: "input", target: "draft-2020-12", unrepresentable: "any" }) as JsonSchema;
  return json;
}

function componentSchemas(): Record<string, JsonSchema> {
  const create = requestSchema(createWebhookSchema) as { properties: Record<string, JsonSchema> };
  create.properties.secret = { ...create.properties.secret, minLength: SECRET_MIN_LENGTH, description: "generated when omitted" };
  create.properties.events = { ...create.properties.events, description: 'event types, or ["*"] for all' };
  const update = requestSchema(updateWebhookSchema) as { properties: Record<string, JsonSchema> };
  // `secret` is in the zod schema only to answer "use rotate"; it is not an accepted field.
  delete update.properties.secret;
  const rotate = requestSchema(rotateSecretSchema) as { properties: Record<string, JsonSchema> };
  rotate.properties.secret = { ...rotate.properties.secret, minLength: SECRET_MIN_LENGTH, description: "generated when omitted" };
  return {
    Error: closed({
      error: closed({
        code: { type: "string", enum: ["malformed_request", "unauthorized", "forbidden", "not_found", "method_not_allowed", "conflict", "payload_too_large", "unsupported_media_type", "validation_failed", "internal", "unavailable"] },
        message: str,
        details: { type: "array", items: closed({ field: str, message: str }) },
      }),
    }),
    Health: closed({ status: { const: "ok" } }),
    Ready: closed({ status: { const: "ready" }, checks: closed({ mongo: { const: "ok" }, kafka: { const: "ok" } }) }),
    OpenApiDocument: { type: "object", required: ["openapi", "paths"] },
    EventType: closed({ event: str, description: str }),
    EventTypeList: listOf("EventType"),
    Me: { oneOf: [closed({ kind: { const: "operator" } }), closed({ kind: { const: "organization" }, organizationId: str })] },
    EmptyBody: closed({}),
    ApiKey: closed({ id: str, organizationId: str, token: { type: "string", description: "shown only in this response" }, createdAt: iso }),
    CreateWebhook: create,
    UpdateWebhook: { ...update, minProperties: 1 },
    RotateSecret: rotate,
    Webhook: closed(webhookProperties),
    WebhookWithSecret: closed(
      { ...webhookProperties, secret: { type: "string", description: "shown only in the create and rotate responses" }, previousSecretExpiresAt: iso },
      ["previousSecretExpiresAt"],
    ),
    WebhookList: listOf("Webhook"),
    Accepted: closed({ deliveryId: str }),
    Attempt: closed({
      attempt: { type: "integer" },
      source: { type: "string", enum: ["event", "redeliver", "ping", "replay"] },
      startedAt: iso,
      durationMs: { type: "number" },
      outcome: { type: "string", enum: ["succeeded", "failed"] },
      request: closed({ url: str, headers }),
      response: { oneOf: [{ type: "null" }, closed({ status: { type: "integer" }, headers, body: str, bodyTruncated: { type: "boolean" } })] },
      error: { oneOf: [{ type: "null" }, closed({ code: str, message: str })] },
    }),
    DeliverySummary: closed({
      id: str,
      webhookId: str,
      eventId: str,
      event: str,
      status: { type: "string", enum: [...DELIVERY_STATUSES] },
      attemptCount: { type: "integer" },
      lastAttemptAt: nullableIso,
      lastResponseStatus: { type: ["integer", "null"] },
      nextAttemptAt: nullableIso,
      statusReason: { type: ["string", "null"] },
      createdAt: iso,
      updatedAt: iso,
    }),
    DeliveryList: listOf("DeliverySummary"),
    Delivery: closed({
      id: str,
      webhookId: str,
      eventId: str,
      event: str,
      status: { type: "string", enum: [...DELIVERY_STATUSES] },
      attempts: { type: "array", items: ref("Attempt") },
      requestBody: { type: ["string", "null"], description: "the HTTP body as the latest attempt sent it (for its content type); null before the first attempt" },
      nextAttemptAt: nullableIso,
      statusReason: { type: ["string", "null"] },
      createdAt: iso,
      updatedAt: iso,
    }),
    DeadLetter: closed({
      id: str,
      deliveryId: str,
      organizationId: str,
      webhookId: str,
      eventId: str,
      event: str,
      attempt: { type: "integer" },
      lastError: str,
      deadLetteredAt: iso,
      replayedAt: nullableIso,
      replayCount: { type: "integer" },
    }),
    DeadLetterList: listOf("DeadLetter"),
    DlqReplay: requestSchema(dlqReplaySchema),
    DlqReplayResult: closed({ dryRun: { type: "boolean" }, matched: { type: "integer" }, replayed: { type: "integer" } }),
  };
}

const ERROR_TEXT: Record<number, string> = {
  400: "malformed request (invalid JSON or UTF-8)",
  401: "no or bad token",
  403: "not allowed for this token (operator only, or another organization)",
  404: "not found (also another organization's id)",
  405: "method not allowed on this path",
  409: "conflict with the resource's state",
  413: "body over 1 MB",
  415: "body not JSON (Content-Type: application/json), compressed or not UTF-8",
  422: "validation failed; details name each field",
  503: "a dependency (Kafka, MongoDB) is unavailable; retry",
};

/** Every status an operation can answer, as documented. */
export function documentedStatuses(op: OperationSpec): number[] {
  const statuses = new Set<number>([op.success[0], 405, ...(op.errors ?? [])]);
  if (op.auth !== "none") statuses.add(401);
  if (op.auth === "operator" || op.auth === "organization") statuses.add(403);
  if (op.path.includes(":orgId")) statuses.add(404);
  if (op.body) [400, 413, 415, 422].forEach((s) => statuses.add(s));
  return [...statuses].sort((a, b) => a - b);
}

export const toOpenApiPath = (koaPath: string) => koaPath.replace(/:([A-Za-z]+)/g, "{$1}");

export function buildOpenApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const params = [...op.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
    const responses: Record<string, unknown> = {};
    for (const status of documentedStatuses(op)) {
      if (status === op.success[0]) {
        const schema = op.success[1];
        responses[String(status)] =
          schema === null
            ? { description: status === 204 ? "done, no content" : "Prometheus text", ...(op.path === "/metrics" && { content: { "text/plain": { schema: { type: "string" } } } }) }
            : { description: "success", content: { "application/json": { schema: ref(schema) } } };
      } else {
        responses[String(status)] = { description: ERROR_TEXT[status] ?? "error", content: { "application/json": { schema: ref("Error") } } };
      }
    }
    (paths[toOpenApiPath(op.path)] ??= {})[op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.auth === "none" && { security: [] }),
      parameters: [...params, ...(op.query ?? []).map((q) => ({ name: q.name, in: "query", required: false, schema: q.schema, description: q.description }))],
      ...(op.body && { requestBody: { required: op.body.required, content: { "application/json": { schema: ref(op.body.schema) } } } }),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "AgileTune Webhooks admin API",
      version: "1.0.0",
      description:
        "Manage webhooks, secrets, delivery logs, redeliveries and dead letters. Authenticate with `Authorization: Bearer <token>`: the operator token (ADMIN_TOKEN) or an organization API key. Errors are `{error: {code, message, details}}`.",
    },
    servers: [{ url: "http://localhost:8080" }],
    security: [{ bearerAuth: [] }],
    components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } }, schemas: componentSchemas() },
    paths,
  };
}
