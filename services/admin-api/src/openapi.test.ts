import { Ajv2020 } from "ajv/dist/2020.js";
import type { Db } from "mongodb";
import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { DELIVERY_STATUSES, PendingWrites } from "@agiletune/shared";
import { createRouter } from "./app.js";
import { API_ERROR_CODES } from "./errors.js";
import { buildOpenApiDocument, documentedStatuses, toOpenApiPath } from "./openapi.js";
import { IDEMPOTENCY_DEFAULTS } from "./idempotency.js";
import { OPERATIONS } from "./openapi-operations.js";
import type { RouteDeps } from "./routes/context.js";
import { ID_PATTERN, MAX_PAGE_SIZE } from "./schemas.js";
import { webhookSchema, webhookWithSecretSchema } from "./webhook-views.js";

function routerOperations(): string[] {
  const deps = {
    db: {} as Db,
    producer: { send: async () => [], sendBatch: async () => [] },
    topics: { deliveries: "d", events: "e" },
    logger: pino({ level: "silent" }),
    clock: () => new Date(),
    secretsKey: "k",
    publicUrl: "http://localhost:8080",
    allowPrivateUrls: false,
    resolveHost: undefined,
    authenticate: async () => ({ kind: "operator" }),
    checks: { mongo: async () => undefined, kafka: async () => undefined },
    registry: new Registry(),
    idempotency: IDEMPOTENCY_DEFAULTS,
    background: new PendingWrites(),
  } satisfies RouteDeps;
  const router = createRouter(deps);
  return router.stack.flatMap((layer) => layer.methods.filter((m) => m !== "HEAD").map((m) => `${m.toLowerCase()} ${toOpenApiPath(String(layer.path))}`));
}

describe("OpenAPI document", () => {
  type Parameter = { name: string; in: string; required: boolean; description?: string; schema: Record<string, unknown> };
  type Schema = { properties: Record<string, any>; required?: string[]; additionalProperties?: unknown };
  const doc = buildOpenApiDocument() as {
    openapi: string;
    paths: Record<string, Record<string, { operationId: string; parameters: Parameter[]; requestBody?: any; responses: Record<string, any> }>>;
    components: { schemas: Record<string, Schema> };
  };
  const operation = (id: string) =>
    Object.values(doc.paths)
      .flatMap((ops) => Object.values(ops))
      .find((o) => o.operationId === id)!;
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));

  it("documents exactly the routes the router serves (no drift either way)", () => {
    const served = routerOperations();
    expect(new Set(served).size).toBe(served.length);
    expect([...served].sort()).toEqual([...documented].sort());
    expect(served.length).toBe(OPERATIONS.length);
  });

  it("is OpenAPI 3.1 with unique operation ids, declared path parameters and valid JSON Schemas", () => {
    expect(doc.openapi).toBe("3.1.0");
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    for (const [path, ops] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(ops)) expect(op.parameters.filter((p) => p.in === "path").map((p) => p.name)).toEqual(names);
    }
    const ajv = new Ajv2020({ strict: false });
    for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema(schema, `#/components/schemas/${name}`);
    for (const name of Object.keys(doc.components.schemas)) expect(ajv.getSchema(`#/components/schemas/${name}`), name).toBeDefined();
    // Every $ref points at a component.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!);
    for (const r of refs) expect(doc.components.schemas).toHaveProperty(r);
  });

  it("takes its components from the zod schemas: closed shapes, enums from their one source", () => {
    const { schemas } = doc.components;
    expect(schemas.Error!.properties.error.properties.code.enum).toEqual(Object.keys(API_ERROR_CODES));
    expect(schemas.Webhook!.required).toEqual(Object.keys(webhookSchema.shape));
    expect(schemas.Webhook!.additionalProperties).toBe(false);
    expect(schemas.WebhookWithSecret!.required).toEqual(Object.keys(webhookWithSecretSchema.shape).filter((k) => k !== "previousSecretExpiresAt"));
    expect(schemas.DeliverySummary!.properties.status.enum).toEqual([...DELIVERY_STATUSES]);
    expect(schemas.Delivery!.properties.attempts).toEqual({ type: "array", items: { $ref: "#/components/schemas/Attempt" } });
    expect(schemas.DeliveryList!.properties.items).toEqual({ type: "array", items: { $ref: "#/components/schemas/DeliverySummary" } });
    expect(schemas.DeliveryList!.properties.nextCursor).toEqual({ type: ["string", "null"] });
    // Request bodies as the client writes them: what a refinement checks, written by meta.
    expect(schemas.CreateWebhook!.properties.secret).toMatchObject({ type: "string", minLength: 16, maxLength: 256 });
    expect(schemas.UpdateWebhook!.properties.secret).toMatchObject({ not: {} });
    expect(schemas.DlqReplay!.properties.from).toMatchObject({ type: "string", format: "date-time" });
    // docs/endpoint-health.md: the webhook's health fields, the rate limit and recover.
    expect(schemas.Webhook!.properties.health.enum).toEqual(["healthy", "failing", "disabled"]);
    expect(schemas.Webhook!.properties.rateLimitPerSecond).toMatchObject({ anyOf: [{ type: "integer", minimum: 1, maximum: 10_000 }, { type: "null" }] });
    expect(schemas.CreateWebhook!.properties.rateLimitPerSecond).toMatchObject({ type: "integer", minimum: 1, maximum: 10_000 });
    expect(schemas.UpdateWebhook!.properties.rateLimitPerSecond).toMatchObject({ anyOf: [{ type: "integer", minimum: 1, maximum: 10_000 }, { type: "null" }] });
    // Ordered delivery: the webhook's flag and the delivery it waits for.
    expect(schemas.Webhook!.properties.ordered).toMatchObject({ type: "boolean" });
    expect(schemas.CreateWebhook!.properties.ordered).toMatchObject({ type: "boolean" });
    expect(schemas.UpdateWebhook!.properties.ordered).toMatchObject({ type: "boolean" });
    expect(schemas.Delivery!.properties.heldBehind).toMatchObject({ type: ["string", "null"] });
    expect(schemas.Recover).toMatchObject({ type: "object", required: ["since"], additionalProperties: false, properties: { since: { type: "string", format: "date-time" } } });
    expect(schemas.RecoverResult).toMatchObject({ required: ["matched"], additionalProperties: false });
    // Every response and request schema is a component; every component is used.
    const used = new Set([...JSON.stringify(doc.paths).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map((m) => m[1]!));
    for (const name of Object.keys(schemas)) {
      if (!used.has(name)) expect(JSON.stringify(schemas), `${name} is referenced`).toContain(`"#/components/schemas/${name}"`);
    }
  });

  it("takes path and query parameters from the zod schemas the routes parse with", () => {
    const list = operation("listDeliveries").parameters;
    expect(list.map((p) => `${p.in}:${p.name}:${p.required}`)).toEqual([
      "path:orgId:true",
      "path:webhookId:true",
      "query:limit:false",
      "query:cursor:false",
      "query:status:false",
      "query:event:false",
    ]);
    expect(list[0]!.schema).toEqual({ type: "string", pattern: ID_PATTERN.source });
    expect(list[2]).toEqual({ name: "limit", in: "query", required: false, description: "page size", schema: { type: "integer", minimum: 1, maximum: MAX_PAGE_SIZE, default: 50 } });
    expect(list[4]!.schema).toEqual({ type: "string", enum: [...DELIVERY_STATUSES] });
    expect(operation("listDeadLetters").parameters.map((p) => p.name)).toEqual(["limit", "cursor", "organizationId", "webhookId", "event", "from", "to"]);
    expect(operation("listDeadLetters").parameters.find((p) => p.name === "to")).toEqual({
      name: "to",
      in: "query",
      required: false,
      description: "deadLetteredAt before",
      schema: { type: "string", format: "date-time" },
    });
    expect(operation("listWebhooks").parameters.map((p) => p.name)).toEqual(["orgId", "limit", "cursor"]);
  });

  it("documents the error statuses each kind of route can answer", () => {
    const byId = Object.fromEntries(OPERATIONS.map((op) => [op.operationId, documentedStatuses(op)]));
    expect(byId.createWebhook).toEqual([201, 400, 401, 403, 404, 405, 413, 415, 422]);
    expect(byId.healthz).toEqual([200, 405]);
    expect(byId.replayDeadLetters).toEqual([200, 400, 401, 403, 405, 413, 415, 422, 503]);
    expect(byId.pingWebhook).toEqual([202, 400, 401, 403, 404, 405, 409, 413, 415, 422, 503]);
    expect(byId.recoverDeliveries).toEqual([202, 400, 401, 403, 404, 405, 409, 413, 415, 422, 503]);
    expect(operation("recoverDeliveries").requestBody).toEqual({ required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/Recover" } } } });
    expect(operation("recoverDeliveries").responses["202"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/RecoverResult" });
  });
});
