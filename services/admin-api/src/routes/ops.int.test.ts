import { createServer, type AddressInfo, type Socket } from "node:net";
import { createKafka, EVENT_CATALOGUE, eventDataJsonSchema, kafkaReachable, READY_TIMEOUT_MS } from "@agiletune/shared";
import { apiTest as test } from "@agiletune/testing";
import { expect } from "vitest";
import { buildOpenApiDocument } from "../openapi.js";

test("health, readiness against the real broker and database, metrics, event catalogue and OpenAPI document", async ({ startApi, kafka, logger }) => {
  const admin = kafka.admin();
  await admin.connect();
  // A broker that accepts connections and never answers: a TCP server on loopback that holds every socket.
  const held: Socket[] = [];
  const blackHole = createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
  const hungAdmin = createKafka({ brokers: [`127.0.0.1:${(blackHole.address() as AddressInfo).port}`], clientId: "hung", logger }).admin();
  let kafkaState: "up" | "down" | "hung" = "up";
  const api = await startApi({
    kafkaReady: async () => {
      if (kafkaState === "down") throw new Error("connection refused");
      await kafkaReachable(kafkaState === "hung" ? hungAdmin : admin)();
    },
  });
  try {
    const health = await api.request("GET", "/healthz", { token: null });
    expect([health.status, health.json]).toEqual([200, { status: "ok" }]);
    const ready = await api.request("GET", "/readyz", { token: null });
    expect([ready.status, ready.json]).toEqual([200, { status: "ready", checks: { mongo: "ok", kafka: "ok" } }]);
    kafkaState = "down";
    const notReady = await api.request("GET", "/readyz", { token: null });
    expect([notReady.status, notReady.json]).toEqual([503, { error: { code: "unavailable", message: "not ready", details: [{ field: "kafka", message: "not reachable: connection refused" }] } }]);
    kafkaState = "hung";
    const started = performance.now();
    const hung = await api.request("GET", "/readyz", { token: null });
    const elapsed = performance.now() - started;
    expect([hung.status, hung.json]).toEqual([
      503,
      { error: { code: "unavailable", message: "not ready", details: [{ field: "kafka", message: `not reachable: no answer within ${READY_TIMEOUT_MS} ms` }] } },
    ]);
    expect(elapsed).toBeGreaterThanOrEqual(READY_TIMEOUT_MS - 5);
    expect(elapsed).toBeLessThan(READY_TIMEOUT_MS + 1_000);
    expect(held.length).toBeGreaterThanOrEqual(1);

    const types = await api.request("GET", "/v1/event-types");
    expect(types.json).toEqual({ items: EVENT_CATALOGUE.map((e) => ({ event: e.event, description: e.description, schema: eventDataJsonSchema(e.event), example: e.example })), nextCursor: null });
    expect(types.json.items).toHaveLength(8);
    // The guide's payload example is task.updated's, and its schema the JSON Schema of draft 2020-12.
    expect(types.json.items[1]).toMatchObject({ event: "task.updated", schema: { $schema: "https://json-schema.org/draft/2020-12/schema", required: ["id", "changes"] } });

    const openapi = await api.request("GET", "/v1/openapi.json", { token: null });
    expect(openapi.status).toBe(200);
    expect(openapi.json).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));

    await api.request("GET", "/v1/organizations/org_a/webhooks/wh_missing");
    const metrics = await api.request("GET", "/metrics", { token: null });
    expect(metrics.status).toBe(200);
    expect(metrics.headers["content-type"]).toMatch(/^text\/plain/);
    expect(metrics.text).toContain('http_requests_total{method="GET",route="/healthz",status="200",service="admin-api"} 1');
    expect(metrics.text).toContain('http_requests_total{method="GET",route="/readyz",status="503",service="admin-api"} 2');
    expect(metrics.text).toContain('http_requests_total{method="GET",route="/v1/organizations/:orgId/webhooks/:webhookId",status="404",service="admin-api"} 1');
    expect(metrics.text).toMatch(/http_request_duration_seconds_count\{service="admin-api",method="GET",route="\/healthz",status="200"\} 1/);
    expect(metrics.text).toContain("process_cpu_user_seconds_total");
  } finally {
    // The black hole first: kafkajs' disconnect would otherwise wait on the request it never answers.
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => blackHole.close(resolve));
    await hungAdmin.disconnect();
    await admin.disconnect();
  }
});
