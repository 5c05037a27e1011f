import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { INFRA_DIR, LOG_DIR, REPO_ROOT } from "./paths.js";
import { portAnswers, spawnDetached, stopPidFile, waitFor } from "./processes.js";

const paths = {
  binary: join(INFRA_DIR, "bin", "ferretdb"),
  data: join(INFRA_DIR, "ferretdb", "data"),
  pidFile: join(INFRA_DIR, "ferretdb.pid"),
  logFile: join(LOG_DIR, "ferretdb.log"),
};

/** Builds FerretDB v1 (infra/ferretdb, pinned in its go.mod) once with the machine's Go. */
export function installFerretDb(): void {
  if (existsSync(paths.binary)) return;
  process.stderr.write("[infra] building FerretDB with Go (once; a few minutes)\n");
  execFileSync("go", ["build", "-o", paths.binary, "."], { cwd: join(REPO_ROOT, "infra/ferretdb"), stdio: "inherit" });
}

/** Starts FerretDB (SQLite backend) detached unless something already answers on its port. */
export async function startFerretDb(opts: { port?: number } = {}): Promise<{ url: string; started: boolean }> {
  const port = opts.port ?? 27017;
  const url = `mongodb://127.0.0.1:${port}/agiletune`;
  if (await portAnswers(port)) return { url, started: false };
  installFerretDb();
  mkdirSync(paths.data, { recursive: true });
  spawnDetached({
    command: paths.binary,
    args: ["--listen-addr", `127.0.0.1:${port}`, "--data-dir", paths.data, "--log-level", "warn"],
    logFile: paths.logFile,
    pidFile: paths.pidFile,
  });
  await waitFor(`FerretDB on 127.0.0.1:${port}`, () => portAnswers(port), 30_000, paths.logFile);
  return { url, started: true };
}

export async function stopFerretDb(): Promise<boolean> {
  return stopPidFile(paths.pidFile);
}
