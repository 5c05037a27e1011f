import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { errorBodySchema } from "./errors.js";
import { OPERATIONS, type OperationSpec } from "./openapi-operations.js";
import { pathParamSchemas } from "./schemas.js";

/**
 * The OpenAPI 3.1 document served at GET /v1/openapi.json, generated whole from the zod
 * schemas: request bodies, query strings and path ids from schemas.ts (the ones the routes
 * parse with), responses from views.ts and the webhook, delivery and dead-letter views, the
 * error body from errors.ts. `OPERATIONS` (openapi-operations.ts) adds only what a schema
 * cannot know: method, path, summary, who may call it, statuses. The integration tests
 * validate every response they receive against the schema documented for its status.
 */

type JsonSchema = Record<string, unknown>;

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
  const param = (name: string, where: "path" | "query" | "header", required: boolean, json: JsonSchema) => {
    const { description, ...schema } = json;
    return { name, in: where, required, ...(description !== undefined && { description }), schema };
  };
  const path = [...op.path.matchAll(/:([A-Za-z]+)/g)].map(([, name]) => {
    const schema = pathParamSchemas[name!];
    if (!schema) throw new Error(`${op.path}: no schema for the path parameter ${name} in pathParamSchemas`);
    return param(name!, "path", true, jsonSchemaOf(schema, "input"));
  });
  const headers = Object.entries(op.headers ?? {}).map(([name, schema]) => param(name, "header", !schema.safeParse(undefined).success, jsonSchemaOf(schema, "input")));
  if (!op.query) return [...path, ...headers];
  const query = jsonSchemaOf(op.query, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  return [...path, ...Object.entries(query.properties ?? {}).map(([name, json]) => param(name, "query", query.required?.includes(name) ?? false, json)), ...headers];
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
        "Manage webhooks, secrets, delivery logs, redeliveries, recovery after an outage, dead letters, portal sessions and the audit log. Authenticate with `Authorization: Bearer <token>`: the operator token (ADMIN_TOKEN), an organization API key, or the token a portal session's link is exchanged for (the settings page opened by AgileTune; a read-only one gets 403 on every write). Every change is recorded in the audit log. Errors are `{error: {code, message, details}}`.",
    },
    servers: [{ url: "http://localhost:8080" }],
    security: [{ bearerAuth: [] }],
    components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } }, schemas: components },
    paths,
  };
}
