import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { dirname } from "node:path";

/** Starts a long-lived process detached from us, its output appended to `logFile`. */
export function spawnDetached(opts: { command: string; args: string[]; logFile: string; pidFile: string; cwd?: string; env?: NodeJS.ProcessEnv }): number {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const out = openSync(opts.logFile, "a");
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ["ignore", out, out],
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${opts.command}`);
  child.unref();
  writeFileSync(opts.pidFile, String(child.pid));
  return child.pid;
}

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; removes the pid file. Returns whether it was running. */
export async function stopPidFile(pidFile: string, graceMs = 15_000): Promise<boolean> {
  const pid = readPid(pidFile);
  rmSync(pidFile, { force: true });
  if (pid === undefined || !isAlive(pid)) return false;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
  while (isAlive(pid)) await sleep(50);
  return true;
}

export function portAnswers(port: number, host = "127.0.0.1", timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it resolves true or `timeoutMs` passes; the error names `what`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, logFile?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(250);
  }
  const tail = logFile && existsSync(logFile) ? `\n--- last lines of ${logFile} ---\n${readFileSync(logFile, "utf8").split("\n").slice(-25).join("\n")}` : "";
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000}s${tail}`);
}

/** The first of `count` consecutive loopback ports that were all free a moment ago. */
export async function freePortRun(count: number, attempts = 20): Promise<number> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    // Below the kernel's ephemeral range (32768 and up), so outgoing connections do not take them meanwhile.
    const first = 20_000 + Math.floor(Math.random() * (12_000 - count));
    const servers: Server[] = [];
    try {
      for (let port = first; port < first + count; port++) {
        const server = createServer();
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(port, "127.0.0.1", resolve);
        });
        servers.push(server);
      }
      return first;
    } catch {
      // One of them was taken: another run.
    } finally {
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    }
  }
  throw new Error(`found no ${count} consecutive free loopback ports in ${attempts} tries`);
}
