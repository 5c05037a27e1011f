import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { errorBodySchema } from "./errors.js";
import {
  createWebhookSchema,
  deliveriesQuerySchema,
  dlqQuerySchema,
  dlqReplaySchema,
  emptyBodySchema,
  pageQuerySchema,
  pathParamSchemas,
  recoverSchema,
  rotateSecretSchema,
  updateWebhookSchema,
} from "./schemas.js";
import {
  acceptedSchema,
  apiKeySchema,
  deadLetterListSchema,
  deliveryListSchema,
  deliverySchema,
  dlqReplayResultSchema,
  eventTypeListSchema,
  meSchema,
  healthSchema,
  openApiDocumentSchema,
  readySchema,
  recoverResultSchema,
  webhookListSchema,
  webhookSchema,
  webhookWithSecretSchema,
} from "./views.js";

/**
 * The OpenAPI 3.1 document served at GET /v1/openapi.json, generated whole from the zod
 * schemas: request bodies, query strings and path ids from schemas.ts (the ones the routes
 * parse with), responses from views.ts, the error body from errors.ts. `OPERATIONS` adds
 * only what a schema cannot know: method, path, summary, who may call it, statuses.
 * `openapi.test.ts` checks that every router layer has an operation here and the other way
 * round; the integration tests validate every response they receive against the schema
 * documented for its status.
 */

type Auth = "none" | "any" | "organization" | "operator";
type JsonSchema = Record<string, unknown>;
export type OperationSpec = {
  method: "get" | "post" | "patch" | "delete";
  /** Koa-router syntax (`:orgId`); turned into `{orgId}` in the document. Each `:name` needs a `pathParamSchemas` entry. */
  path: string;
  operationId: string;
  summary: string;
  auth: Auth;
  /** `required`: the operation needs a body; `optional`: none or `{}` or the schema. The schema needs `.meta({ id })`. */
  body?: { schema: z.ZodType; required: boolean };
  /** The query string's schema (the one the route parses with): one parameter per property. */
  query?: z.ZodType;
  /** Success status and its response: a schema with `.meta({ id })`, `"text"` (text/plain) or null (no body). */
  success: [number, z.ZodType | "text" | null];
  /** Extra error statuses beyond those implied by auth and body. */
  errors?: number[];
};

const ORG = "/v1/organizations/:orgId";
const HOOK = `${ORG}/webhooks/:webhookId`;

export const OPERATIONS: OperationSpec[] = [
  { method: "get", path: "/healthz", operationId: "healthz", summary: "Liveness", auth: "none", success: [200, healthSchema] },
  { method: "get", path: "/readyz", operationId: "readyz", summary: "Readiness: MongoDB and Kafka reachable", auth: "none", success: [200, readySchema], errors: [503] },
  { method: "get", path: "/metrics", operationId: "metrics", summary: "Prometheus metrics (text exposition format)", auth: "none", success: [200, "text"] },
  { method: "get", path: "/v1/openapi.json", operationId: "getOpenApi", summary: "This document", auth: "none", success: [200, openApiDocumentSchema] },
  { method: "get", path: "/v1/event-types", operationId: "listEventTypes", summary: "The event catalogue", auth: "any", success: [200, eventTypeListSchema] },
  { method: "get", path: "/v1/me", operationId: "getMe", summary: "Whose token this is: the operator, or an organization's API key", auth: "any", success: [200, meSchema] },
  {
    method: "post",
    path: `${ORG}/api-keys`,
    operationId: "createApiKey",
    summary: "Operator: a new organization API key; the token is shown only here",
    auth: "operator",
    body: { schema: emptyBodySchema, required: false },
    success: [201, apiKeySchema],
  },
  { method: "delete", path: `${ORG}/api-keys/:keyId`, operationId: "revokeApiKey", summary: "Operator: revoke an organization API key", auth: "operator", success: [204, null], errors: [404] },
  {
    method: "post",
    path: `${ORG}/webhooks`,
    operationId: "createWebhook",
    summary: "Create a webhook; the secret (generated when omitted) is shown only here",
    auth: "organization",
    body: { schema: createWebhookSchema, required: true },
    success: [201, webhookWithSecretSchema],
  },
  {
    method: "get",
    path: `${ORG}/webhooks`,
    operationId: "listWebhooks",
    summary: "Webhooks of the organization, newest first",
    auth: "organization",
    query: pageQuerySchema,
    success: [200, webhookListSchema],
    errors: [422],
  },
  { method: "get", path: HOOK, operationId: "getWebhook", summary: "One webhook (never its secret)", auth: "organization", success: [200, webhookSchema], errors: [404] },
  {
    method: "patch",
    path: HOOK,
    operationId: "updateWebhook",
    summary: "Change a webhook (partial)",
    auth: "organization",
    body: { schema: updateWebhookSchema, required: true },
    success: [200, webhookSchema],
    errors: [404],
  },
  { method: "delete", path: HOOK, operationId: "deleteWebhook", summary: "Delete a webhook; its queued deliveries are cancelled", auth: "organization", success: [204, null], errors: [404] },
  {
    method: "post",
    path: `${HOOK}/secret/rotate`,
    operationId: "rotateWebhookSecret",
    summary: "New secret, shown only here; the previous one keeps signing webhook-signature for 24 h",
    auth: "organization",
    body: { schema: rotateSecretSchema, required: false },
    success: [200, webhookWithSecretSchema],
    errors: [404, 409],
  },
  {
    method: "post",
    path: `${HOOK}/ping`,
    operationId: "pingWebhook",
    summary: "Queue a ping delivery now",
    auth: "organization",
    body: { schema: emptyBodySchema, required: false },
    success: [202, acceptedSchema],
    errors: [404, 409, 503],
  },
  {
    method: "get",
    path: `${HOOK}/deliveries`,
    operationId: "listDeliveries",
    summary: "Delivery log, newest first",
    auth: "organization",
    query: deliveriesQuerySchema,
    success: [200, deliveryListSchema],
    errors: [404, 422],
  },
  {
    method: "get",
    path: `${HOOK}/deliveries/:deliveryId`,
    operationId: "getDelivery",
    summary: "One delivery with every attempt",
    auth: "organization",
    success: [200, deliverySchema],
    errors: [404],
  },
  {
    method: "post",
    path: `${HOOK}/deliveries/:deliveryId/redeliver`,
    operationId: "redeliver",
    summary: "One manual attempt of the delivery now (same delivery id)",
    auth: "organization",
    body: { schema: emptyBodySchema, required: false },
    success: [202, acceptedSchema],
    errors: [404, 409, 503],
  },
  {
    method: "post",
    path: `${HOOK}/recover`,
    operationId: "recoverDeliveries",
    summary: "Send again every failed or cancelled delivery created since a time, each with its delivery id and a fresh retry ladder (the webhook must be active)",
    auth: "organization",
    body: { schema: recoverSchema, required: true },
    success: [202, recoverResultSchema],
    errors: [404, 409, 503],
  },
  {
    method: "get",
    path: "/v1/admin/dlq",
    operationId: "listDeadLetters",
    summary: "Operator: dead-lettered deliveries, newest first",
    auth: "operator",
    query: dlqQuerySchema,
    success: [200, deadLetterListSchema],
    errors: [422],
  },
  {
    method: "post",
    path: "/v1/admin/dlq/replay",
    operationId: "replayDeadLetters",
    summary: "Operator: replay matching, not yet replayed dead letters with a fresh retry ladder",
    auth: "operator",
    body: { schema: dlqReplaySchema, required: false },
    success: [200, dlqReplayResultSchema],
    errors: [503],
  },
];

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
  if (op.body) for (const s of [400, 413, 415, 422]) statuses.add(s);
  return [...statuses].sort((a, b) => a - b);
}

export const toOpenApiPath = (koaPath: string) => koaPath.replace(/:([A-Za-z]+)/g, "{$1}");

const SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Drops what zod writes beyond what a reader needs: the full ISO regex beside `format:
 * "date-time"`, and the safe-integer range on every integer. A query value that is digits
 * on the wire is documented (`meta`) as the number it means: its pattern goes, and the
 * `default` of its meta stays (zod drops the defaults of transforms from input schemas).
 */
function tidy({ zodSchema, jsonSchema: s }: { zodSchema: z.core.$ZodType; jsonSchema: JsonSchema }): void {
  if (s.format === "date-time" || s.type === "integer" || s.type === "number") delete s.pattern;
  if (s.maximum === SAFE) delete s.maximum;
  if (s.minimum === -SAFE) delete s.minimum;
  const metaDefault = z.globalRegistry.get(zodSchema)?.default;
  if (metaDefault !== undefined) s.default ??= metaDefault;
}

/** Requests are documented as the client writes them (`input`), responses as the server writes them. */
type Io = "input" | "output";

function jsonSchemaOf(schema: z.ZodType, io: Io): JsonSchema {
  const { $schema: _drop, ...json } = z.toJSONSchema(schema, { io, target: "draft-2020-12", override: tidy }) as JsonSchema;
  return json;
}

/** Collects the named schemas into `components`; hands out references to them. */
function componentCollector() {
  const components: Record<string, JsonSchema> = {};
  const ref = (schema: z.ZodType, io: Io): { $ref: string } => {
    // Named schemas come out as `$defs` (the root too); they become components, shared by every operation.
    const { $defs = {}, ...root } = JSON.parse(JSON.stringify(jsonSchemaOf(schema, io)).replaceAll('"$ref":"#/$defs/', '"$ref":"#/components/schemas/')) as JsonSchema & {
      $defs?: Record<string, JsonSchema>;
    };
    if (typeof root.$ref !== "string" || Object.keys(root).length !== 1) throw new Error(`a body or response schema needs .meta({ id }) (got ${JSON.stringify(root).slice(0, 120)})`);
    for (const [name, json] of Object.entries($defs)) {
      if (components[name] && !isDeepStrictEqual(components[name], json)) throw new Error(`two different schemas are named ${name} (or one reads differently as input and output)`);
      components[name] = json;
    }
    return { $ref: root.$ref };
  };
  return { components, ref };
}

/** Path parameters from `pathParamSchemas`, query parameters from the properties of the operation's query schema. */
function parameters(op: OperationSpec): JsonSchema[] {
  const param = (name: string, where: "path" | "query", required: boolean, json: JsonSchema) => {
    const { description, ...schema } = json;
    return { name, in: where, required, ...(description !== undefined && { description }), schema };
  };
  const path = [...op.path.matchAll(/:([A-Za-z]+)/g)].map(([, name]) => {
    const schema = pathParamSchemas[name!];
    if (!schema) throw new Error(`${op.path}: no schema for the path parameter ${name} in pathParamSchemas`);
    return param(name!, "path", true, jsonSchemaOf(schema, "input"));
  });
  if (!op.query) return path;
  const query = jsonSchemaOf(op.query, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  return [...path, ...Object.entries(query.properties ?? {}).map(([name, json]) => param(name, "query", query.required?.includes(name) ?? false, json))];
}

export function buildOpenApiDocument(): Record<string, unknown> {
  const { components, ref } = componentCollector();
  const errorRef = ref(errorBodySchema, "output");
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const [successStatus, success] = op.success;
    const responses: Record<string, unknown> = {};
    for (const status of documentedStatuses(op)) {
      if (status !== successStatus) {
        responses[String(status)] = { description: ERROR_TEXT[status] ?? "error", content: { "application/json": { schema: errorRef } } };
      } else if (success === null) {
        responses[String(status)] = { description: "done, no content" };
      } else if (success === "text") {
        responses[String(status)] = { description: op.summary, content: { "text/plain": { schema: { type: "string" } } } };
      } else {
        responses[String(status)] = { description: "success", content: { "application/json": { schema: ref(success, "output") } } };
      }
    }
    (paths[toOpenApiPath(op.path)] ??= {})[op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.auth === "none" && { security: [] }),
      parameters: parameters(op),
      ...(op.body && { requestBody: { required: op.body.required, content: { "application/json": { schema: ref(op.body.schema, "input") } } } }),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "AgileTune Webhooks admin API",
      version: "1.0.0",
      description:
        "Manage webhooks, secrets, delivery logs, redeliveries, recovery after an outage and dead letters. Authenticate with `Authorization: Bearer <token>`: the operator token (ADMIN_TOKEN) or an organization API key. Errors are `{error: {code, message, details}}`.",
    },
    servers: [{ url: "http://localhost:8080" }],
    security: [{ bearerAuth: [] }],
    components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } }, schemas: components },
    paths,
  };
}
