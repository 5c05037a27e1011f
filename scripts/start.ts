// `pnpm start`: the local infrastructure when KAFKA_BROKERS / MONGO_URL are unset, then the
// four services in the foreground. Ctrl-C (or SIGTERM) stops the services cleanly, then
// whatever infrastructure this command started.
// `pnpm start -- --instances N` runs N instances each of fanout, dispatcher and retry, in
// their consumer groups (the admin API stays one): instance i serves its ops endpoint on
// the service's default METRICS_PORT + 10 × (i - 1), so fanout 9101, 9111, ..., dispatcher
// 9102, 9112, ..., retry 9103, 9113, ...
// `pnpm start -- --brokers 3` starts a local three-node KRaft cluster (brokers on
// 127.0.0.1:19092-19094, controllers on 19192-19194, data in .infra/kafka-cluster) instead
// of the single broker on 9092; topics the services create then get 3 replicas (docs/operating.md).
// `pnpm start -- --tracing` also starts Zipkin (its server jar fetched with Maven once), a
// trace backend with a web page, and has the services export their spans to it (docs/tracing.md).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { infraUp, REPO_ROOT, startZipkin, type Infra, type Zipkin } from "@agiletune/local-infra";
import { generateEncryptionKey, SERVICE_DEFAULT_PORTS } from "@agiletune/shared";
import { BUNDLE_NODE_FLAGS, buildServices, bundlePath, SERVICES } from "./build.js";
import { lineFormatter, logFormat, type LogFormat } from "./log-format.js";

const STATE_DIR = join(REPO_ROOT, ".stack");
const SECRETS_FILE = join(STATE_DIR, "secrets.json");

/** ADMIN_TOKEN and SECRETS_ENCRYPTION_KEY for local use, generated once and kept in .stack/. */
function localSecrets(): { ADMIN_TOKEN: string; SECRETS_ENCRYPTION_KEY: string } {
  const fromEnv = { ADMIN_TOKEN: process.env.ADMIN_TOKEN, SECRETS_ENCRYPTION_KEY: process.env.SECRETS_ENCRYPTION_KEY };
  if (fromEnv.ADMIN_TOKEN && fromEnv.SECRETS_ENCRYPTION_KEY) return fromEnv as { ADMIN_TOKEN: string; SECRETS_ENCRYPTION_KEY: string };
  if (process.env.NODE_ENV === "production") {
    console.error("start: ADMIN_TOKEN and SECRETS_ENCRYPTION_KEY are required with NODE_ENV=production");
    process.exit(1);
  }
  mkdirSync(STATE_DIR, { recursive: true });
  const saved = existsSync(SECRETS_FILE) ? (JSON.parse(readFileSync(SECRETS_FILE, "utf8")) as Partial<typeof fromEnv>) : {};
  const secrets = {
    ADMIN_TOKEN: fromEnv.ADMIN_TOKEN ?? saved.ADMIN_TOKEN ?? `at_${randomBytes(24).toString("base64url")}`,
    SECRETS_ENCRYPTION_KEY: fromEnv.SECRETS_ENCRYPTION_KEY ?? saved.SECRETS_ENCRYPTION_KEY ?? generateEncryptionKey(),
  };
  if (!saved.ADMIN_TOKEN && !fromEnv.ADMIN_TOKEN) {
    // Shown once; it stays in .stack/secrets.json (git-ignored) for the next start.
    console.log(`\n  Operator token (ADMIN_TOKEN), shown once: ${secrets.ADMIN_TOKEN}\n  Kept in ${SECRETS_FILE}\n`);
  }
  writeFileSync(SECRETS_FILE, JSON.stringify({ ADMIN_TOKEN: secrets.ADMIN_TOKEN, SECRETS_ENCRYPTION_KEY: secrets.SECRETS_ENCRYPTION_KEY }, null, 2), { mode: 0o600 });
  return secrets;
}

/** Instances per worker service; ports step by 10, so 9 keeps each one's ports apart from the others'. */
const MAX_INSTANCES = 9;

/** Broker counts `--brokers` takes: one, or a cluster that keeps working with one broker lost. */
const BROKER_COUNTS = [1, 3];

function startOptions(): { instances: number; brokers: number; tracing: boolean } {
  // pnpm may pass on the `--` of `pnpm start -- --instances 2`.
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== "--"),
    options: { instances: { type: "string", default: "1" }, brokers: { type: "string", default: "1" }, tracing: { type: "boolean", default: false } },
  });
  const n = Number(values.instances);
  if (!Number.isInteger(n) || n < 1 || n > MAX_INSTANCES) throw new Error(`--instances must be a whole number from 1 to ${MAX_INSTANCES} (got "${values.instances}")`);
  const brokers = Number(values.brokers);
  if (!BROKER_COUNTS.includes(brokers)) throw new Error(`--brokers must be ${BROKER_COUNTS.join(" or ")} (got "${values.brokers}")`);
  if (brokers > 1 && process.env.KAFKA_BROKERS)
    throw new Error(`--brokers ${brokers} starts a local cluster; KAFKA_BROKERS is set, so the services would use ${process.env.KAFKA_BROKERS} instead: unset one of them`);
  return { instances: n, brokers, tracing: values.tracing };
}

let format: LogFormat;
let instances: number;
let brokers: number;
let tracing: boolean;
try {
  ({ instances, brokers, tracing } = startOptions());
  format = logFormat(process.env.LOG_FORMAT, process.stdout.isTTY === true);
} catch (err) {
  console.error(`start: ${(err as Error).message}`);
  process.exit(1);
}
// hasColors() is false when NO_COLOR is set or the terminal has none.
const formatLine = lineFormatter(format, { colorize: process.stdout.hasColors?.() === true });

const infra: Infra = await infraUp({ brokers });
const zipkin: Zipkin | null = tracing ? await startZipkin() : null;
await buildServices();
const env = {
  ...process.env,
  KAFKA_BROKERS: infra.kafkaBrokers,
  MONGO_URL: infra.mongoUrl,
  ...localSecrets(),
  ...(zipkin && zipkinExport(zipkin)),
};
console.log(`start: KAFKA_BROKERS=${env.KAFKA_BROKERS} MONGO_URL=${env.MONGO_URL}${infra.started.length ? ` (started ${infra.started.join(", ")})` : ""}`);
if (zipkin) {
  console.log(`start: tracing on: OTEL_TRACES_EXPORTER=${env.OTEL_TRACES_EXPORTER}, spans go to ${env.OTEL_EXPORTER_ZIPKIN_ENDPOINT}${zipkin.started ? " (started zipkin)" : ""}`);
  console.log(`start: see a delivery's trace by the trace id its attempt shows: ${zipkin.url}/zipkin/traces/<trace id>, or search them: ${zipkin.url}/zipkin/`);
}

/**
 * The SDK's standard variables that send the services' spans to Zipkin, unless the caller
 * set them; an OTLP endpoint of the caller's keeps its spans too (both exporters).
 */
function zipkinExport(zipkin: Zipkin): { OTEL_TRACES_EXPORTER: string; OTEL_EXPORTER_ZIPKIN_ENDPOINT: string } {
  const otlpToo = process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  return {
    OTEL_TRACES_EXPORTER: process.env.OTEL_TRACES_EXPORTER ?? (otlpToo ? "otlp,zipkin" : "zipkin"),
    OTEL_EXPORTER_ZIPKIN_ENDPOINT: process.env.OTEL_EXPORTER_ZIPKIN_ENDPOINT ?? zipkin.spansEndpoint,
  };
}

const children = new Map<string, ChildProcess>();
let stopping = false;

type Instance = { service: (typeof SERVICES)[number]; index: number };

/** `dispatcher#2` when there are several; the service's name alone when there is one. */
function instanceName({ service, index }: Instance): string {
  return service === "admin-api" || instances === 1 ? service : `${service}#${index}`;
}

function instanceEnv({ service, index }: Instance): NodeJS.ProcessEnv {
  // One instance keeps METRICS_PORT as the caller set it; several need a port each.
  if (service === "admin-api" || instances === 1) return env;
  return { ...env, METRICS_PORT: String(SERVICE_DEFAULT_PORTS[service] + 10 * (index - 1)) };
}

function launch(instance: Instance, restarts = 0): void {
  const name = instanceName(instance);
  const child = spawn(process.execPath, [...BUNDLE_NODE_FLAGS, bundlePath(instance.service)], { env: instanceEnv(instance), stdio: ["ignore", "pipe", "pipe"], detached: true });
  children.set(name, child);
  const prefix = `[${name}] `.padEnd(instances === 1 ? 13 : 16);
  for (const stream of [child.stdout!, child.stderr!]) {
    let buffered = "";
    stream.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) for (const out of formatLine(line)) process.stdout.write(`${prefix + out}\n`);
    });
  }
  child.on("exit", (code, signal) => {
    children.delete(name);
    if (stopping) return;
    // Own process group (detached): a terminal Ctrl-C reaches only this script, which then
    // stops each service once, cleanly. A crashed service comes back; at-least-once delivery makes that safe.
    const delay = Math.min(1_000 * 2 ** restarts, 30_000);
    console.error(`start: ${name} exited (${signal ?? code}); restarting in ${delay / 1000}s`);
    setTimeout(() => launch(instance, restarts + 1), delay);
  });
}

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`start: ${signal}, stopping the services`);
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
          // The dispatcher waits up to DELIVERY_TIMEOUT_MS + 2 s for deliveries in flight, then commits.
          setTimeout(() => child.kill("SIGKILL"), Number(process.env.DELIVERY_TIMEOUT_MS ?? 30_000) + 15_000).unref();
        }),
    ),
  );
  if (zipkin?.started) {
    console.log("start: stopping zipkin");
    await zipkin.stop();
  }
  if (infra.started.length) {
    console.log(`start: stopping ${infra.started.join(" and ")}`);
    await infra.stop();
  }
  process.exit(0);
}

process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
for (const service of SERVICES) {
  for (let index = 1; index <= (service === "admin-api" ? 1 : instances); index++) launch({ service, index });
}
