import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export type ReadinessCheck = () => Promise<void>;

/**
 * The worker services' operations endpoint (`METRICS_PORT`): `/healthz` says the process
 * lives, `/readyz` runs the readiness checks (Kafka and MongoDB reachable), `/metrics` is
 * Prometheus text.
 */
export async function startOpsServer(opts: { port: number; registry: Registry; ready: ReadinessCheck; host?: string }): Promise<{
  server: Server;
  port: number;
  close: () => Promise<void>;
}> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const reply = (status: number, body: string, type = "application/json") => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    if (req.method !== "GET") return reply(405, JSON.stringify({ error: { code: "method_not_allowed", message: "only GET" } }));
    if (path === "/healthz") return reply(200, JSON.stringify({ status: "ok" }));
    if (path === "/readyz") {
      opts.ready().then(
        () => reply(200, JSON.stringify({ status: "ready" })),
        (err: unknown) => reply(503, JSON.stringify({ status: "not ready", reason: (err as Error).message })),
      );
      return;
    }
    if (path === "/metrics") {
      opts.registry.metrics().then(
        (text) => reply(200, text, opts.registry.contentType),
        (err: unknown) => reply(500, String(err), "text/plain"),
      );
      return;
    }
    reply(404, JSON.stringify({ error: { code: "not_found", message: `no route ${path}` } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "0.0.0.0", () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
