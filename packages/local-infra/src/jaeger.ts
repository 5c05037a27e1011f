import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { INFRA_DIR, LOG_DIR, REPO_ROOT } from "./paths.js";
import { portAnswers, spawnDetached, stopPidFile, waitFor } from "./processes.js";

const SOURCE_DIR = join(REPO_ROOT, "infra/jaeger");
const JAEGER_PACKAGE = "github.com/jaegertracing/jaeger/cmd/jaeger";
const SOURCES = ["go.mod", "go.sum"];

const binary = join(INFRA_DIR, "bin", "jaeger");
/** The hash of infra/jaeger's go.mod and go.sum the binary was built from; another hash means rebuild. */
const builtFrom = join(INFRA_DIR, "bin", "jaeger.source");

/** Where a Jaeger listens: OTLP over HTTP (what the services export to) and the query API and page. */
export type JaegerPorts = { otlpHttp: number; otlpGrpc: number; query: number; queryGrpc: number; health: number };

/** Jaeger's own defaults: what `./dev start -- --tracing` uses. */
export const JAEGER_DEFAULT_PORTS: JaegerPorts = { otlpHttp: 4318, otlpGrpc: 4317, query: 16686, queryGrpc: 16685, health: 13133 };

/**
 * Builds Jaeger v2 (pinned as a Go tool in infra/jaeger/go.mod) with the machine's Go, from the
 * module proxy: once, and again whenever go.mod or go.sum change. A tool of our own module
 * rather than `go install …@version`, which Jaeger's replace directives refuse. Asynchronous:
 * the build takes minutes, and a test worker waiting for it must stay responsive.
 */
export async function installJaeger(): Promise<string> {
  const sourceHash = hashSources();
  if (existsSync(binary) && existsSync(builtFrom) && readFileSync(builtFrom, "utf8") === sourceHash) return binary;
  process.stderr.write("[infra] building Jaeger v2 with Go (once; a few minutes)\n");
  mkdirSync(join(INFRA_DIR, "bin"), { recursive: true });
  const started = Date.now();
  await promisify(execFile)("go", ["build", "-o", binary, JAEGER_PACKAGE], { cwd: SOURCE_DIR, maxBuffer: 64 * 1024 * 1024 });
  process.stderr.write(`[infra] Jaeger built in ${Math.round((Date.now() - started) / 1000)} s\n`);
  writeFileSync(builtFrom, sourceHash);
  return binary;
}

function hashSources(): string {
  const hash = createHash("sha256");
  for (const file of SOURCES) hash.update(file).update(readFileSync(join(SOURCE_DIR, file)));
  return hash.digest("hex");
}

export type Jaeger = {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT (OTLP over HTTP). */
  otlpEndpoint: string;
  /** The query API and page. */
  queryUrl: string;
  started: boolean;
  stop: () => Promise<boolean>;
};

/**
 * Starts Jaeger (in-memory storage, infra/jaeger/config.yaml) detached unless one already
 * answers on the query port. `name` keeps the pid and log files of several apart (a test's own
 * beside the stack's).
 */
export async function startJaeger(opts: { ports?: JaegerPorts; name?: string } = {}): Promise<Jaeger> {
  const ports = opts.ports ?? JAEGER_DEFAULT_PORTS;
  const name = opts.name ?? "jaeger";
  const pidFile = join(INFRA_DIR, `${name}.pid`);
  const logFile = join(LOG_DIR, `${name}.log`);
  const urls = { otlpEndpoint: `http://127.0.0.1:${ports.otlpHttp}`, queryUrl: `http://127.0.0.1:${ports.query}` };
  const stop = () => stopPidFile(pidFile);
  if (await portAnswers(ports.query)) return { ...urls, started: false, stop: async () => false };
  const command = await installJaeger();
  mkdirSync(LOG_DIR, { recursive: true });
  spawnDetached({
    command,
    args: ["--config", join(SOURCE_DIR, "config.yaml")],
    logFile,
    pidFile,
    env: {
      ...process.env,
      JAEGER_OTLP_HTTP_PORT: String(ports.otlpHttp),
      JAEGER_OTLP_GRPC_PORT: String(ports.otlpGrpc),
      JAEGER_QUERY_PORT: String(ports.query),
      JAEGER_QUERY_GRPC_PORT: String(ports.queryGrpc),
      JAEGER_HEALTH_PORT: String(ports.health),
    },
  });
  await waitFor(`Jaeger on 127.0.0.1:${ports.query}`, async () => (await portAnswers(ports.query)) && (await portAnswers(ports.otlpHttp)), 60_000, logFile);
  return { ...urls, started: true, stop };
}
