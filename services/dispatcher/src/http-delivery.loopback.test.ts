import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDeliveryAgent, postDelivery } from "./http-delivery.js";

// A real HTTP server on loopback with one route per behaviour.
let server: Server;
let base: string;
const seen: string[] = [];
const agent = createDeliveryAgent({ allowPrivate: true, connectionsPerOrigin: 8 });
const strictAgent = createDeliveryAgent({ allowPrivate: false, connectionsPerOrigin: 8 });

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? "");
    req.resume();
    req.on("end", () => {
      switch (req.url) {
        case "/redirect":
          res.writeHead(302, { location: "/ok" }).end();
          return;
        case "/big":
          res.writeHead(500, { "content-type": "text/plain" }).end("y".repeat(50_000));
          return;
        case "/drip": {
          // Headers at once, then the body too slowly: the timeout covers the whole exchange.
          res.writeHead(200);
          const timer = setInterval(() => res.write("."), 200);
          res.on("close", () => clearInterval(timer));
          return;
        }
        default:
          res.writeHead(200, { "x-seen": String(req.headers["x-agiletune-event"]) }).end("ok");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await agent.close();
  await strictAgent.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const post = (path: string, over: Partial<Parameters<typeof postDelivery>[0]> = {}) =>
  postDelivery({ agent, url: base + path, headers: { "content-type": "application/json", "x-agiletune-event": "task.created" }, body: "{}", timeoutMs: 2_000, allowPrivate: true, ...over });

describe("postDelivery", () => {
  it("succeeds on 2xx and keeps the response headers and body", async () => {
    const result = await post("/ok");
    expect(result).toMatchObject({ status: 200, body: "ok", bodyTruncated: false, error: null });
    expect(result.headers["x-seen"]).toBe("task.created");
  });

  it("does not follow redirects: a 302 is a failure", async () => {
    const result = await post("/redirect");
    expect(result.status).toBe(302);
    expect(result.error).toMatchObject({ code: "http_status", retriable: true });
  });

  it("keeps at most 4 KB of a response body", async () => {
    const result = await post("/big");
    expect(result.body).toHaveLength(4096);
    expect(result.bodyTruncated).toBe(true);
  });

  it("times out when the body does not finish in time, even though headers came at once", async () => {
    const result = await post("/drip", { timeoutMs: 1_000 });
    expect(result.error).toMatchObject({ code: "timeout" });
    expect(result.durationMs).toBeGreaterThanOrEqual(950);
    expect(result.durationMs).toBeLessThan(2_500);
  });

  it("times out an attempt still waiting for a connection, and never sends it once its time is up", async () => {
    const single = createDeliveryAgent({ allowPrivate: true, connectionsPerOrigin: 1 });
    const hogging = postDelivery({ agent: single, url: `${base}/drip`, headers: {}, body: "{}", timeoutMs: 1_500, allowPrivate: true });
    const queued = await postDelivery({ agent: single, url: `${base}/queued`, headers: {}, body: "{}", timeoutMs: 300, allowPrivate: true });
    expect(queued.error).toMatchObject({ code: "timeout" });
    expect(queued.durationMs).toBeLessThan(1_400);
    expect((await hogging).error).toMatchObject({ code: "timeout" });
    // The connection is free again: the queued attempt had its chance to go, and did not.
    await postDelivery({ agent: single, url: `${base}/ok`, headers: {}, body: "{}", timeoutMs: 2_000, allowPrivate: true });
    expect(seen).not.toContain("/queued");
    await single.close();
  });

  it("reports a refused connection as retriable", async () => {
    const result = await postDelivery({ agent, url: "http://127.0.0.1:1/", headers: {}, body: "{}", timeoutMs: 2_000, allowPrivate: true });
    expect(result.error).toMatchObject({ code: "connection_failed", retriable: true });
  });

  it("refuses private addresses unless allowed, for literal IPs and for names resolving to them", async () => {
    const literal = await postDelivery({ agent: strictAgent, url: `${base}/ok`, headers: {}, body: "{}", timeoutMs: 2_000, allowPrivate: false });
    expect(literal.error).toMatchObject({ code: "private_address", retriable: false });
    const byName = await postDelivery({ agent: strictAgent, url: `${base.replace("127.0.0.1", "localhost")}/ok`, headers: {}, body: "{}", timeoutMs: 2_000, allowPrivate: false });
    expect(byName.error).toMatchObject({ code: "private_address", retriable: false });
    expect(byName.status).toBeNull();
  });
});
