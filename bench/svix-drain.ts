// `pnpm bench:svix -- --svix-url URL --token T [...]`: the `drain` scenario's twin for a Svix
// server that is already running, through Svix's public HTTP API only, so that anyone who
// runs Svix can repeat the comparison (bench/README.md, "Svix"). One application, 50
// endpoints on one loopback receiver (/ok/0 ... /ok/49), each endpoint subscribed to one
// channel of its own and each message sent on one channel, so that one message is one
// delivery. The messages are ingested while Svix's worker is off; then the worker alone
// drains them (started by --start-worker, or by hand when the driver says so), measured as
// the drain scenario measures ours (drain-measure.ts). See --help.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "@agiletune/local-infra";
import { Pool } from "undici";
import { httpCeiling } from "./ceilings.js";
import { drainLine, measureDrain, type DrainMeasure } from "./drain-measure.js";
import { gitCommit, machineFacts } from "./harness.js";
import { ReceiverProcess } from "./receiver-client.js";

export const SVIX_HELP = `pnpm bench:svix -- --svix-url URL --token TOKEN [options]

Measures how fast a running Svix server's worker drains a backlog, on one loopback
receiver, for comparison with \`pnpm bench -- --scenarios drain\`. Svix must run with its
worker off while the messages are ingested (its API alone), and must accept loopback
endpoints (whitelist_subnets).

  --svix-url URL       the Svix API's origin, e.g. http://127.0.0.1:8071 (required)
  --token TOKEN        an API token of the organization to use (required; or SVIX_TOKEN in
                       the environment, which keeps it out of pnpm's echo of the command)
  --messages N         messages to ingest, one delivery each (default 30000)
  --endpoints N        endpoints, one channel each; messages spread evenly (default 50)
  --concurrency N      ingest requests in flight (default 32)
  --start-worker CMD   a shell command that starts Svix's worker alone; the driver starts it
                       after ingesting and stops it at the end (SIGTERM to its process group;
                       SIGKILL if it has not exited 30 s later: Svix finishes its queue poll).
                       Without it the driver asks you to start the worker and waits.
  --wait-worker S      seconds to wait for the first delivery after that (default 600)
  --ceiling-seconds S  seconds of the raw HTTP ceiling of the receiver (default 5; 0 skips it)
  --help               this text`;

export type SvixDrainOptions = {
  svixUrl: string;
  token: string;
  messages: number;
  endpoints: number;
  concurrency: number;
  startWorker: string | undefined;
  waitWorkerS: number;
  ceilingSeconds: number;
};

/** The command line's options, the help text, or why it is wrong. */
export function parseSvixDrainOptions(argv: string[], env: { SVIX_TOKEN?: string } = {}): { options: SvixDrainOptions } | { help: true } | { error: string } {
  let args;
  try {
    ({ values: args } = parseArgs({
      args: argv.filter((a) => a !== "--"),
      options: {
        "svix-url": { type: "string" },
        token: { type: "string" },
        messages: { type: "string", default: "30000" },
        endpoints: { type: "string", default: "50" },
        concurrency: { type: "string", default: "32" },
        "start-worker": { type: "string" },
        "wait-worker": { type: "string", default: "600" },
        "ceiling-seconds": { type: "string", default: "5" },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (args.help) return { help: true };
  if (!args["svix-url"]) return { error: "--svix-url is required" };
  const token = args.token ?? env.SVIX_TOKEN;
  if (!token) return { error: "--token (or SVIX_TOKEN) is required" };
  for (const name of ["messages", "endpoints", "concurrency", "wait-worker", "ceiling-seconds"] as const) {
    if (!/^\d+$/.test(args[name])) return { error: `--${name} must be a whole number, not "${args[name]}"` };
  }
  const endpoints = Number(args.endpoints);
  if (endpoints < 1) return { error: "--endpoints must be at least 1" };
  if (Number(args.concurrency) < 1) return { error: "--concurrency must be at least 1" };
  return {
    options: {
      svixUrl: args["svix-url"].replace(/\/+$/, ""),
      token,
      messages: Number(args.messages),
      endpoints,
      concurrency: Number(args.concurrency),
      startWorker: args["start-worker"],
      waitWorkerS: Number(args["wait-worker"]),
      ceilingSeconds: Number(args["ceiling-seconds"]),
    },
  };
}

/** Svix's public API, as a customer calls it. */
function svixApi(options: SvixDrainOptions) {
  const headers = { authorization: `Bearer ${options.token}`, "content-type": "application/json", accept: "application/json" };
  const call = async <T>(method: string, path: string, body?: object): Promise<T> => {
    const res = await fetch(`${options.svixUrl}/api/v1${path}`, { method, headers, ...(body && { body: JSON.stringify(body) }) });
    const text = await res.text();
    if (!res.ok) throw new Error(`Svix ${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return { headers, call };
}

const channel = (i: number) => `drain-${i}`;

/** A message's payload: the shape and size of our bench events (pipeline.ts benchEvent). */
function payload(runId: string, n: number): object {
  return {
    id: `evt_${runId}_${n}`,
    event: "task.updated",
    timestamp: new Date().toISOString(),
    organizationId: "org_svix",
    data: { id: `obj_${n}`, title: "Implement login page", changes: {}, producedAt: Date.now() },
  };
}

/** Sends every message, `concurrency` requests in flight; the seconds it took and any failures by status or error code. */
async function ingest(options: SvixDrainOptions, appId: string, runId: string): Promise<{ seconds: number; accepted: number; failures: Record<string, number> }> {
  const pool = new Pool(options.svixUrl, { connections: options.concurrency });
  const { headers } = svixApi(options);
  const failures: Record<string, number> = {};
  let next = 0;
  let accepted = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      for (let n = next++; n < options.messages; n = next++) {
        const body = JSON.stringify({ eventType: "task.updated", channels: [channel(n % options.endpoints)], payload: payload(runId, n) });
        try {
          const res = await pool.request({ path: `/api/v1/app/${appId}/msg?with_content=false`, method: "POST", headers, body });
          await res.body.dump();
          if (res.statusCode === 202) accepted++;
          else failures[res.statusCode] = (failures[res.statusCode] ?? 0) + 1;
        } catch (err) {
          const code = (err as { code?: string }).code ?? "error";
          failures[code] = (failures[code] ?? 0) + 1;
        }
      }
    }),
  );
  await pool.close();
  return { seconds: (performance.now() - began) / 1000, accepted, failures };
}

/** Starts `command` in a shell, in a process group of its own, its output in `logFile`. */
function startWorker(command: string, logFile: string): ChildProcess {
  const out = openSync(logFile, "a");
  const child = spawn("sh", ["-c", command], { detached: true, stdio: ["ignore", out, out] });
  console.log(`started the worker (pid ${child.pid}): ${command}; its output: ${logFile}`);
  return child;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Whether any process of the group is left. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGTERM to the worker's process group, then waits for every process in it (the shell
 * goes at once, the server after its shutdown); SIGKILL to what is left after 30 s.
 */
async function stopWorker(child: ChildProcess | null): Promise<void> {
  if (!child?.pid) return;
  signalGroup(child.pid, "SIGTERM");
  for (const until = Date.now() + 30_000; groupAlive(child.pid) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 200));
  if (groupAlive(child.pid)) signalGroup(child.pid, "SIGKILL");
}

type SvixDrainRun = {
  at: string;
  commit: string;
  command: string;
  machine: ReturnType<typeof machineFacts>;
  svix: { url: string; layout: string; endpoints: number; workerStartedBy: string };
  ingest: { messages: number; accepted: number; seconds: number; perSecond: number; failures: Record<string, number> };
  drain: DrainMeasure;
};

export async function main(argv: string[]): Promise<void> {
  const parsed = parseSvixDrainOptions(argv, process.env);
  if ("help" in parsed) {
    console.log(SVIX_HELP);
    return;
  }
  if ("error" in parsed) {
    console.error(`bench:svix: ${parsed.error}`);
    process.exit(2);
  }
  const { options } = parsed;
  const api = svixApi(options);
  const runId = `svix${Date.now().toString(36)}`;
  const receiver = new ReceiverProcess();
  let worker: ChildProcess | null = null;
  process.on("exit", () => {
    receiver.kill();
    if (worker?.pid && groupAlive(worker.pid)) signalGroup(worker.pid, "SIGKILL");
  });
  await receiver.ready();

  const ceiling = options.ceilingSeconds ? await httpCeiling(receiver, options.ceilingSeconds) : null;
  if (ceiling) console.log(`ceiling: raw HTTP ${ceiling} req/s to the receiver`);

  const app = await api.call<{ id: string }>("POST", "/app", { name: `AgileTune drain ${runId}` });
  const endpointIds: string[] = [];
  for (let i = 0; i < options.endpoints; i++) {
    const endpoint = await api.call<{ id: string }>("POST", `/app/${app.id}/endpoint`, { url: receiver.url(`/ok/${i}`), channels: [channel(i)], description: `drain endpoint ${i}` });
    endpointIds.push(endpoint.id);
  }
  await receiver.reset();
  const ingested = await ingest(options, app.id, runId);
  const ingestLine = `ingested ${ingested.accepted} of ${options.messages} messages in ${ingested.seconds.toFixed(1)} s (${Math.round(ingested.accepted / ingested.seconds)}/s)`;
  console.log(`${ingestLine}${Object.keys(ingested.failures).length ? `; failures ${JSON.stringify(ingested.failures)}` : ""}`);
  const early = (await receiver.counts()).received;
  if (early > 0) {
    console.error(`bench:svix: ${early} deliveries arrived while ingesting, so Svix's worker is running. Start Svix's API alone (worker_enabled = false) and run again.`);
    process.exit(1);
  }

  const logDir = join(REPO_ROOT, "bench/results/logs");
  mkdirSync(logDir, { recursive: true });
  const drain = await measureDrain({
    receiver,
    expected: ingested.accepted,
    httpCeiling: ceiling,
    firstWithinMs: options.waitWorkerS * 1000,
    stallMs: 30_000,
    logWithinMs: 60_000,
    start: async () => {
      if (options.startWorker) worker = startWorker(options.startWorker, join(logDir, `${runId}-svix-worker.log`));
      else console.log(`start Svix's worker now (the server with worker_enabled = true, api_enabled = false); waiting up to ${options.waitWorkerS} s for the first delivery`);
    },
    // Svix's own record of the attempts: each endpoint's successes.
    logComplete: async () => {
      let succeeded = 0;
      for (const id of endpointIds) succeeded += (await api.call<{ success: number }>("GET", `/app/${app.id}/endpoint/${id}/stats`)).success;
      return succeeded >= ingested.accepted;
    },
    onProgress: (received) => process.stdout.write(`\rdelivered ${received} of ${ingested.accepted}      `),
  });
  process.stdout.write("\n");
  await stopWorker(worker);
  await api.call("DELETE", `/app/${app.id}`).catch((err: Error) => console.warn(`could not delete the application: ${err.message}`));

  const at = new Date().toISOString();
  const commit = gitCommit();
  const run: SvixDrainRun = {
    at,
    commit,
    command: `pnpm bench:svix -- ${argv
      .filter((a) => a !== "--")
      .join(" ")
      .replace(options.token, "***")}`,
    machine: machineFacts(),
    svix: {
      url: options.svixUrl,
      layout: "one application; one endpoint per channel, each message on one channel: one message is one delivery",
      endpoints: options.endpoints,
      workerStartedBy: options.startWorker ? "--start-worker" : "hand",
    },
    ingest: {
      messages: options.messages,
      accepted: ingested.accepted,
      seconds: Math.round(ingested.seconds * 1000) / 1000,
      perSecond: Math.round(ingested.accepted / ingested.seconds),
      failures: ingested.failures,
    },
    drain,
  };
  const file = join(REPO_ROOT, "bench/results", `svix-drain-${at.replace(/[:.]/g, "-")}-${commit}.json`);
  writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
  console.log(drainLine("svix drain", drain));
  console.log(`results: ${file}`);
  receiver.exit();
}

if (process.argv[1] === import.meta.filename) await main(process.argv.slice(2));
