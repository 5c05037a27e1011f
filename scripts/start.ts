// `pnpm start`: the local infrastructure when KAFKA_BROKERS / MONGO_URL are unset, then the
// four services in the foreground. Ctrl-C (or SIGTERM) stops the services cleanly, then
// whatever infrastructure this command started.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { infraUp, REPO_ROOT, type Infra } from "@agiletune/local-infra";
import { generateEncryptionKey } from "@agiletune/shared";
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

let format: LogFormat;
try {
  format = logFormat(process.env.LOG_FORMAT, process.stdout.isTTY === true);
} catch (err) {
  console.error(`start: ${(err as Error).message}`);
  process.exit(1);
}
// hasColors() is false when NO_COLOR is set or the terminal has none.
const formatLine = lineFormatter(format, { colorize: process.stdout.hasColors?.() === true });

const infra: Infra = await infraUp();
await buildServices();
const env = { ...process.env, KAFKA_BROKERS: infra.kafkaBrokers, MONGO_URL: infra.mongoUrl, ...localSecrets() };
console.log(`start: KAFKA_BROKERS=${env.KAFKA_BROKERS} MONGO_URL=${env.MONGO_URL}${infra.started.length ? ` (started ${infra.started.join(", ")})` : ""}`);

const children = new Map<string, ChildProcess>();
let stopping = false;

function launch(service: (typeof SERVICES)[number], restarts = 0): void {
  const child = spawn(process.execPath, [...BUNDLE_NODE_FLAGS, bundlePath(service)], { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  children.set(service, child);
  const prefix = `[${service}] `.padEnd(13);
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
    children.delete(service);
    if (stopping) return;
    // Own process group (detached): a terminal Ctrl-C reaches only this script, which then
    // stops each service once, cleanly. A crashed service comes back; at-least-once delivery makes that safe.
    const delay = Math.min(1_000 * 2 ** restarts, 30_000);
    console.error(`start: ${service} exited (${signal ?? code}); restarting in ${delay / 1000}s`);
    setTimeout(() => launch(service, restarts + 1), delay);
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
  if (infra.started.length) {
    console.log(`start: stopping ${infra.started.join(" and ")}`);
    await infra.stop();
  }
  process.exit(0);
}

process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
for (const service of SERVICES) launch(service);
