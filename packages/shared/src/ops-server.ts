import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Admin } from "kafkajs";
import type { Db } from "mongodb";
import type { Registry } from "prom-client";
import type { Logger } from "./logger.js";

/** Resolves when one dependency answers. */
export type ReadinessCheck = () => Promise<void>;

/**
 * How long `/readyz` waits for each check. An orchestrator's probe gives up after a few
 * seconds; a check still waiting then (a broker or database that accepts connections and
 * never answers) must turn into a 503 the probe can read, not a hung request.
 */
export const READY_TIMEOUT_MS = 3_000;

/** Kafka reachable: a broker answers a metadata request. */
export function kafkaReachable(admin: Pick<Admin, "describeCluster">): ReadinessCheck {
  return async () => {
    await admin.describeCluster();
  };
}

/** MongoDB reachable: the server answers a ping. */
export function mongoReachable(db: Pick<Db, "command">): ReadinessCheck {
  return async () => {
    await db.command({ ping: 1 });
  };
}

export type ReadinessAnswer =
  | { status: 200; body: { status: "ready"; checks: Record<string, "ok"> } }
  | { status: 503; body: { error: { code: "unavailable"; message: "not ready"; details: Array<{ field: string; message: string }> } } };

/**
 * Runs every check at once, each bounded by `timeoutMs`. Ready: 200 and each check "ok";
 * otherwise 503 in the admin API's error shape (docs/openapi.json), one detail per failed check.
 */
export async function checkReadiness(checks: Record<string, ReadinessCheck>, timeoutMs = READY_TIMEOUT_MS): Promise<ReadinessAnswer> {
  const names = Object.keys(checks);
  const results = await Promise.allSettled(names.map((name) => withTimeout(checks[name]!, timeoutMs)));
  const details = names.flatMap((name, i) => {
    const r = results[i]!;
    return r.status === "rejected" ? [{ field: name, message: `not reachable: ${(r.reason as Error)?.message ?? String(r.reason)}`.slice(0, 300) }] : [];
  });
  if (details.length) return { status: 503, body: { error: { code: "unavailable", message: "not ready", details } } };
  return { status: 200, body: { status: "ready", checks: Object.fromEntries(names.map((name) => [name, "ok" as const])) } };
}

function withTimeout(check: ReadinessCheck, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    // Called inside the race so a check that throws synchronously is a failed check too.
    Promise.resolve().then(check),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

export type OpsOptions = {
  registry: Registry;
  checks: Record<string, ReadinessCheck>;
  /** Logs which checks failed, at warn. */
  logger?: Logger;
  timeoutMs?: number;
};

export type OpsAnswer = { status: number; contentType: string; body: string };

export const OPS_PATHS = ["/healthz", "/readyz", "/metrics"] as const;

/**
 * The answer to GET `/healthz` (the process lives), `/readyz` (every check answers) or
 * `/metrics` (Prometheus text). The one implementation behind every service's ops
 * endpoints: the worker services' `startOpsServer` and the admin API's routes.
 */
export async function answerOps(path: (typeof OPS_PATHS)[number], opts: OpsOptions): Promise<OpsAnswer> {
  const json = (status: number, body: unknown): OpsAnswer => ({ status, contentType: "application/json; charset=utf-8", body: JSON.stringify(body) });
  switch (path) {
    case "/healthz":
      return json(200, { status: "ok" });
    case "/readyz": {
      const answer = await checkReadiness(opts.checks, opts.timeoutMs);
      if (answer.status !== 200) opts.logger?.warn({ failed: answer.body.error.details }, "not ready");
      return json(answer.status, answer.body);
    }
    case "/metrics":
      return { status: 200, contentType: opts.registry.contentType, body: await opts.registry.metrics() };
  }
}

/** The worker services' operations endpoint (`METRICS_PORT`): `answerOps` over plain HTTP. */
export async function startOpsServer(opts: OpsOptions & { port: number; host?: string }): Promise<{
  server: Server;
  port: number;
  close: () => Promise<void>;
}> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const reply = ({ status, contentType, body }: OpsAnswer, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": contentType, ...headers });
      res.end(body);
    };
    const error = (status: number, code: string, message: string) => ({ status, contentType: "application/json; charset=utf-8", body: JSON.stringify({ error: { code, message, details: [] } }) });
    if (!(OPS_PATHS as readonly string[]).includes(path)) return reply(error(404, "not_found", `no route ${path}`));
    if (req.method !== "GET") return reply(error(405, "method_not_allowed", `${req.method} is not allowed on this path`), { allow: "GET" });
    answerOps(path as (typeof OPS_PATHS)[number], opts).then(reply, (err: unknown) => {
      opts.logger?.error({ err, path }, "ops endpoint failed");
      reply(error(500, "internal", "internal error; it has been logged"));
    });
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
