import { execFile } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { INFRA_DIR, LOG_DIR } from "./paths.js";
import { portAnswers, spawnDetached, stopPidFile, waitFor } from "./processes.js";

/** 3.5.x runs on Java 17 and bundles the Lens UI. */
export const ZIPKIN_VERSION = "3.5.1";

/** Zipkin's own default port: its span API, query API and web page. */
export const ZIPKIN_DEFAULT_PORT = 9411;

const home = join(INFRA_DIR, `zipkin-${ZIPKIN_VERSION}`);
const jar = join(home, `zipkin-server-${ZIPKIN_VERSION}-exec.jar`);

/**
 * Zipkin's server, one executable jar from Maven Central (classifier `exec`, ~130 MB, its web
 * page included), fetched once. Asynchronous, as Jaeger's build is: a test worker waiting for
 * the download stays responsive.
 */
export async function installZipkin(): Promise<string> {
  if (existsSync(jar)) return jar;
  mkdirSync(home, { recursive: true });
  process.stderr.write(`[infra] fetching Zipkin ${ZIPKIN_VERSION} with Maven (once, ~130 MB)\n`);
  await promisify(execFile)("mvn", ["-q", "-B", "-Dstyle.color=never", "dependency:copy", `-Dartifact=io.zipkin:zipkin-server:${ZIPKIN_VERSION}:jar:exec`, `-DoutputDirectory=${home}`], {
    cwd: home,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (!existsSync(jar)) throw new Error(`Maven did not leave ${jar}`);
  return jar;
}

export type Zipkin = {
  /** For OTEL_EXPORTER_ZIPKIN_ENDPOINT: Zipkin's span API. */
  spansEndpoint: string;
  /** The web page and the query API (/api/v2/...). */
  url: string;
  started: boolean;
  stop: () => Promise<boolean>;
};

/**
 * Starts Zipkin (in-memory storage, on 127.0.0.1 only) detached unless something already
 * answers on the port. `name` keeps the pid and log files of several apart (a test's own
 * beside the stack's).
 */
export async function startZipkin(opts: { port?: number; name?: string } = {}): Promise<Zipkin> {
  const port = opts.port ?? ZIPKIN_DEFAULT_PORT;
  const name = opts.name ?? "zipkin";
  const pidFile = join(INFRA_DIR, `${name}.pid`);
  const logFile = join(LOG_DIR, `${name}.log`);
  const url = `http://127.0.0.1:${port}`;
  const urls = { spansEndpoint: `${url}/api/v2/spans`, url };
  if (await portAnswers(port)) return { ...urls, started: false, stop: async () => false };
  const serverJar = await installZipkin();
  spawnDetached({
    command: "java",
    // Spring binds a list from one source whole: the port's entry is restated with its address.
    args: ["-Xmx256m", "-XX:+UseSerialGC", "-jar", serverJar, `--armeria.ports[0].port=${port}`, "--armeria.ports[0].ip=127.0.0.1", "--armeria.ports[0].protocols[0]=http"],
    cwd: home,
    logFile,
    pidFile,
    // Zipkin reads its storage and collectors from the environment: a stray KAFKA_BOOTSTRAP_SERVERS
    // or STORAGE_TYPE of the caller's must not reach it.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...(process.env.JAVA_HOME && { JAVA_HOME: process.env.JAVA_HOME }), STORAGE_TYPE: "mem", MEM_MAX_SPANS: "100000" },
  });
  await waitFor(`Zipkin on ${url}`, async () => (await fetch(`${url}/health`)).ok, 60_000, logFile);
  return { ...urls, started: true, stop: () => stopPidFile(pidFile) };
}
