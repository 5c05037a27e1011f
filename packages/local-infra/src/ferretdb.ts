import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { INFRA_DIR, LOG_DIR, REPO_ROOT } from "./paths.js";
import { portAnswers, spawnDetached, stopPidFile, waitFor } from "./processes.js";

const SOURCE_DIR = join(REPO_ROOT, "infra/ferretdb");
const FERRETDB_MODULE = "github.com/FerretDB/FerretDB";

const paths = {
  binary: join(INFRA_DIR, "bin", "ferretdb"),
  /** The hash of the sources the binary was built from; another hash means rebuild. */
  builtFrom: join(INFRA_DIR, "bin", "ferretdb.source"),
  /** The hash of the sources of the server running now (written when we start it). */
  runningFrom: join(INFRA_DIR, "ferretdb.running-source"),
  build: join(INFRA_DIR, "ferretdb", "build"),
  data: join(INFRA_DIR, "ferretdb", "data"),
  pidFile: join(INFRA_DIR, "ferretdb.pid"),
  logFile: join(LOG_DIR, "ferretdb.log"),
};

/**
 * Builds FerretDB v1 (pinned in infra/ferretdb/go.mod) with the machine's Go, after applying
 * infra/ferretdb/patches to a copy of its module: once, and again whenever those files change.
 */
export function installFerretDb(): void {
  const sourceHash = hashSources();
  if (existsSync(paths.binary) && existsSync(paths.builtFrom) && readFileSync(paths.builtFrom, "utf8") === sourceHash) return;
  process.stderr.write("[infra] building FerretDB with Go (once; a few minutes)\n");
  // A build that stopped half-way leaves the read-only copy of the module behind.
  if (existsSync(paths.build)) execFileSync("chmod", ["-R", "u+w", paths.build]);
  rmSync(paths.build, { recursive: true, force: true });
  mkdirSync(paths.build, { recursive: true });
  for (const file of ["main.go", "go.mod", "go.sum"]) cpSync(join(SOURCE_DIR, file), join(paths.build, file));
  const go = (args: string[], cwd = paths.build) => execFileSync("go", args, { cwd, stdio: ["ignore", "pipe", "inherit"] }).toString();
  const moduleDir = (JSON.parse(go(["mod", "download", "-json", FERRETDB_MODULE])) as { Dir: string }).Dir;
  const patched = join(paths.build, "FerretDB");
  cpSync(moduleDir, patched, { recursive: true });
  execFileSync("chmod", ["-R", "u+w", patched]); // the module cache is read-only
  for (const patch of patchFiles()) execFileSync("patch", ["-p1", "--forward", "--quiet", "-i", join(SOURCE_DIR, "patches", patch)], { cwd: patched, stdio: "inherit" });
  go(["mod", "edit", `-replace=${FERRETDB_MODULE}=./FerretDB`]);
  mkdirSync(join(INFRA_DIR, "bin"), { recursive: true });
  go(["build", "-o", paths.binary, "."]);
  writeFileSync(paths.builtFrom, sourceHash);
}

function patchFiles(): string[] {
  return readdirSync(join(SOURCE_DIR, "patches"))
    .filter((name) => name.endsWith(".patch"))
    .sort();
}

function hashSources(): string {
  const hash = createHash("sha256");
  for (const file of ["main.go", "go.mod", "go.sum", ...patchFiles().map((p) => join("patches", p))]) hash.update(file).update(readFileSync(join(SOURCE_DIR, file)));
  return hash.digest("hex");
}

/**
 * Starts FerretDB (SQLite backend) detached unless something already answers on its port.
 * A FerretDB we started from older sources (main.go, patches) is restarted on the new build.
 */
export async function startFerretDb(opts: { port?: number } = {}): Promise<{ url: string; started: boolean }> {
  const port = opts.port ?? 27017;
  const url = `mongodb://127.0.0.1:${port}/agiletune`;
  if (await portAnswers(port)) {
    const ours = existsSync(paths.pidFile);
    const stale = ours && (!existsSync(paths.runningFrom) || readFileSync(paths.runningFrom, "utf8") !== hashSources());
    if (!stale) return { url, started: false };
    process.stderr.write("[infra] FerretDB's sources changed since it was started: restarting it\n");
    installFerretDb(); // before stopping: the old server keeps answering while Go compiles
    await stopFerretDb();
  }
  installFerretDb();
  mkdirSync(paths.data, { recursive: true });
  spawnDetached({
    command: paths.binary,
    // FERRETDB_PPROF_ADDR (e.g. 127.0.0.1:6060) serves Go's profiler, for `go tool pprof`.
    args: ["--listen-addr", `127.0.0.1:${port}`, "--data-dir", paths.data, "--log-level", "warn", ...(process.env.FERRETDB_PPROF_ADDR ? ["--pprof-addr", process.env.FERRETDB_PPROF_ADDR] : [])],
    logFile: paths.logFile,
    pidFile: paths.pidFile,
  });
  writeFileSync(paths.runningFrom, hashSources());
  await waitFor(`FerretDB on 127.0.0.1:${port}`, () => portAnswers(port), 30_000, paths.logFile);
  return { url, started: true };
}

export async function stopFerretDb(): Promise<boolean> {
  return stopPidFile(paths.pidFile);
}
