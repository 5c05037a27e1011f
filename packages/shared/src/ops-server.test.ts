import { createServer, type AddressInfo, type Socket } from "node:net";
import { MongoClient } from "mongodb";
import { Counter, Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createKafka } from "./kafka.js";
import { createLogger } from "./logger.js";
import { kafkaReachable, mongoReachable, READY_TIMEOUT_MS, startOpsServer } from "./ops-server.js";

const cleanups: Array<() => Promise<unknown>> = [];
// In the order registered: the black hole goes first, so the clients' pending requests fail
// and closing them does not wait on a socket that never answers (kafkajs' disconnect would).
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A TCP server on loopback that accepts connections and never answers: a hung broker or database. */
async function startBlackHole(): Promise<{ address: string; accepted: () => number }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, accepted: () => sockets.length };
}

async function startOps(checks: Parameters<typeof startOpsServer>[0]["checks"]) {
  const registry = new Registry();
  const ops = await startOpsServer({ port: 0, host: "127.0.0.1", registry, checks });
  cleanups.push(ops.close);
  return { url: (path: string) => `http://127.0.0.1:${ops.port}${path}`, registry };
}

describe("startOpsServer", () => {
  it("answers /readyz 503 within the timeout when Kafka and MongoDB accept connections and never answer", async () => {
    const blackHole = await startBlackHole();
    const logger = createLogger("test", "silent");
    const admin = createKafka({ brokers: [blackHole.address], clientId: "ops-test", logger }).admin();
    cleanups.push(() => admin.disconnect());
    // Far longer than the readiness timeout: the driver itself must not be what gives up.
    const mongo = new MongoClient(`mongodb://${blackHole.address}/ops-test`, { serverSelectionTimeoutMS: 60_000, connectTimeoutMS: 60_000 });
    cleanups.push(() => mongo.close());
    const ops = await startOps({ kafka: kafkaReachable(admin), mongo: mongoReachable(mongo.db()) });

    const started = performance.now();
    const res = await fetch(ops.url("/readyz"));
    const body = await res.json();
    const elapsed = performance.now() - started;

    const noAnswer = `not reachable: no answer within ${READY_TIMEOUT_MS} ms`;
    expect([res.status, body]).toEqual([
      503,
      {
        error: {
          code: "unavailable",
          message: "not ready",
          details: [
            { field: "kafka", message: noAnswer },
            { field: "mongo", message: noAnswer },
          ],
        },
      },
    ]);
    // Both checks ran at once, each bounded: one timeout's wait, not two, and not the drivers' own.
    expect(elapsed).toBeGreaterThanOrEqual(READY_TIMEOUT_MS - 5);
    expect(elapsed).toBeLessThan(READY_TIMEOUT_MS + 1_000);
    // Both clients really were waiting on the silent socket, not failing some other way.
    expect(blackHole.accepted()).toBeGreaterThanOrEqual(2);
  }, 10_000);

  it("answers a failing check at once, with its reason, and a passing one as ok", async () => {
    const ops = await startOps({
      kafka: async () => undefined,
      mongo: async () => {
        throw new Error("connect ECONNREFUSED 127.0.0.1:1");
      },
    });
    const started = performance.now();
    const res = await fetch(ops.url("/readyz"));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect([res.status, await res.json()]).toEqual([
      503,
      { error: { code: "unavailable", message: "not ready", details: [{ field: "mongo", message: "not reachable: connect ECONNREFUSED 127.0.0.1:1" }] } },
    ]);
  });

  it("answers /healthz, /readyz when every check answers, /metrics, and errors in the API's shape", async () => {
    const ops = await startOps({ kafka: async () => undefined });
    new Counter({ name: "ops_test_total", help: "a counter", registers: [ops.registry] });

    const health = await fetch(ops.url("/healthz"));
    expect([health.status, health.headers.get("content-type"), await health.json()]).toEqual([200, "application/json; charset=utf-8", { status: "ok" }]);
    const ready = await fetch(ops.url("/readyz?verbose"));
    expect([ready.status, await ready.json()]).toEqual([200, { status: "ready", checks: { kafka: "ok" } }]);
    const metrics = await fetch(ops.url("/metrics"));
    expect([metrics.status, metrics.headers.get("content-type")]).toEqual([200, ops.registry.contentType]);
    expect(await metrics.text()).toContain("ops_test_total 0");

    const missing = await fetch(ops.url("/nope"));
    expect([missing.status, await missing.json()]).toEqual([404, { error: { code: "not_found", message: "no route /nope", details: [] } }]);
    const post = await fetch(ops.url("/readyz"), { method: "POST" });
    expect([post.status, post.headers.get("allow"), await post.json()]).toEqual([405, "GET", { error: { code: "method_not_allowed", message: "POST is not allowed on this path", details: [] } }]);
  });
});
