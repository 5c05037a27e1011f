import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { INFRA_DIR, LOG_DIR } from "./paths.js";
import { portAnswers, spawnDetached, stopPidFile, waitFor } from "./processes.js";

/** 3.0.x is the newest line that runs on Java 17 (3.3 needs Java 21). */
export const APICURIO_VERSION = "3.0.9";

const home = join(INFRA_DIR, `apicurio-${APICURIO_VERSION}`);
const pidFile = join(INFRA_DIR, "schema-registry.pid");
const logFile = join(LOG_DIR, "schema-registry.log");

/**
 * Apicurio Registry's ready-to-run distribution from Maven Central (classifier `all`),
 * fetched once. It serves the Confluent Schema Registry API under /apis/ccompat/v7, with
 * in-memory storage.
 */
export function installSchemaRegistry(): string {
  const jar = () => readdirSync(home).find((f) => f.endsWith("-runner.jar"));
  if (existsSync(home) && jar()) return join(home, jar()!);
  mkdirSync(home, { recursive: true });
  process.stderr.write(`[infra] fetching Apicurio Registry ${APICURIO_VERSION} with Maven (once, ~110 MB)\n`);
  execFileSync("mvn", ["-q", "-B", "-Dstyle.color=never", "dependency:copy", `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`, `-DoutputDirectory=${home}`], {
    stdio: "inherit",
    cwd: home,
  });
  execFileSync("tar", ["xzf", `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`], { cwd: home });
  const found = jar();
  if (!found) throw new Error(`no runner jar in ${home}`);
  return join(home, found);
}

/** Starts the registry detached unless something answers on the port; returns the Confluent API base URL. */
export async function startSchemaRegistry(opts: { port?: number } = {}): Promise<{ url: string; started: boolean; stop: () => Promise<void> }> {
  const port = opts.port ?? 8081;
  const url = `http://127.0.0.1:${port}/apis/ccompat/v7`;
  const stop = async () => void (await stopPidFile(pidFile));
  if (await portAnswers(port)) return { url, started: false, stop: async () => undefined };
  const jar = installSchemaRegistry();
  spawnDetached({
    command: "java",
    args: ["-Xmx256m", `-Dquarkus.http.host=127.0.0.1`, `-Dquarkus.http.port=${port}`, "-Dquarkus.management.host=127.0.0.1", "-Dquarkus.management.port=0", "-jar", jar],
    cwd: home,
    logFile,
    pidFile,
  });
  await waitFor(`Apicurio Registry on ${url}`, async () => (await fetch(`${url}/subjects`)).ok, 120_000, logFile);
  return { url, started: true, stop };
}
