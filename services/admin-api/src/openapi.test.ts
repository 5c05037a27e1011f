import { Ajv2020 } from "ajv/dist/2020.js";
import type { Db } from "mongodb";
import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createRouter } from "./app.js";
import { buildOpenApiDocument, documentedStatuses, OPERATIONS, toOpenApiPath } from "./openapi.js";
import type { RouteDeps } from "./routes/context.js";

function routerOperations(): string[] {
  const deps = {
    db: {} as Db,
    producer: { send: async () => [], sendBatch: async () => [] },
    topics: { deliveries: "d" },
    logger: pino({ level: "silent" }),
    clock: () => new Date(),
    secretsKey: "k",
    allowPrivateUrls: false,
    resolveHost: undefined,
    authenticate: async () => ({ kind: "operator" }),
    checks: { mongo: async () => undefined, kafka: async () => undefined },
    registry: new Registry(),
  } satisfies RouteDeps;
  const router = createRouter(deps);
  return router.stack.flatMap((layer) =>
    layer.methods.filter((m) => m !== "HEAD").map((m) => `${m.toLowerCase()} ${toOpenApiPath(String(layer.path))}`),
  );
}

describe("OpenAPI document", () => {
  const doc = buildOpenApiDocument() as { openapi: string; paths: Record<string, Record<string, { operationId: string; parameters: Array<{ name: string; in: string }>; responses: Record<string, unknown> }>>; components: { schemas: Record<string, object> } };
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));

  it("documents exactly the routes the router serves (no drift either way)", () => {
    const served = routerOperations();
    expect(new Set(served).size).toBe(served.length);
    expect([...served].sort()).toEqual([...documented].sort());
    expect(served.length).toBe(20);
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

  it("documents the error statuses each kind of route can answer", () => {
    const byId = Object.fromEntries(OPERATIONS.map((op) => [op.operationId, documentedStatuses(op)]));
    expect(byId.createWebhook).toEqual([201, 400, 401, 403, 404, 405, 413, 415, 422]);
    expect(byId.healthz).toEqual([200, 405]);
    expect(byId.replayDeadLetters).toEqual([200, 400, 401, 403, 405, 413, 415, 422, 503]);
    expect(byId.pingWebhook).toEqual([202, 400, 401, 403, 404, 405, 409, 413, 415, 422, 503]);
  });
});
