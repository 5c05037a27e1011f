// Publishing over HTTP under load (bench/README.md, "Publishing"):
// `pnpm bench:publish [--clients 50] [--seconds 20] [--warm-up 5] [--modes keys,plain] [--profile admin-api]`.
// Brings up the local stack as every bench run does, starts the admin API alone (bundled,
// on fresh topics and a fresh database), and for each mode runs `--clients` clients on
// loopback, each sending its next `POST /v1/organizations/:orgId/events` when the last
// one answered: `keys` with a fresh `Idempotency-Key` on every request (a claim in the
// database each), `plain` without. Reports accepted events per second (202s over the
// measured seconds) and p50 / p99 / max latency of the 202s, and checks that the events
// topic holds exactly the events accepted. Targets (docs/publishing.md): with keys
// >= 2,000 events/s and p99 <= 50 ms on this machine.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "@agiletune/local-infra";
import { createKafka } from "@agiletune/shared";
import { Pool } from "undici";
import { startHarness } from "./harness.js";
import { startBenchPipeline } from "./pipeline.js";
import { latencySummary } from "./report.js";

const MODES = ["keys", "plain"] as const;
type Mode = (typeof MODES)[number];

const { values: args } = parseArgs({
  // `pnpm bench:publish -- --x` passes the "--" through.
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    clients: { type: "string", default: "50" },
    seconds: { type: "string", default: "20" },
    "warm-up": { type: "string", default: "5" },
    modes: { type: "string", default: MODES.join(",") },
    organizations: { type: "string", default: "50" },
    /** Writes a V8 CPU profile of the admin API to bench/results/profiles/ (read it with `pnpm bench:profile-stages`). */
    profile: { type: "string" },
  },
});
const clients = Number(args.clients);
const seconds = Number(args.seconds);
const warmUpSeconds = Number(args["warm-up"]);
const organizations = Number(args.organizations);
const modes = args.modes.split(",").map((m) => m.trim()) as Mode[];
for (const m of modes) if (!MODES.includes(m)) throw new Error(`unknown mode "${m}" (of: ${MODES.join(", ")})`);

/** The user guide's task.updated payload, with a sequence number: a realistic body of ~300 bytes. */
function body(n: number): string {
  const data = { id: `tsk_${n}`, title: "Implement login page", status: "in_progress", assignee: { id: "usr_xyz789", name: "Jane Doe" }, changes: { status: { from: "todo", to: "in_progress" } } };
  return JSON.stringify({ event: "task.updated", data });
}

type ModeResult = { mode: Mode; clients: number; seconds: number; accepted: number; acceptedPerSecond: number; latencyMs: ReturnType<typeof latencySummary>; failures: Record<string, number> };

/** `clients` loops for `forSeconds`; the 202s' latencies and every other answer by status or error code. */
async function load(pool: Pool, opts: { adminToken: string; mode: Mode; forSeconds: number; runTag: string }): Promise<{ latencies: number[]; failures: Record<string, number> }> {
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  const end = performance.now() + opts.forSeconds * 1000;
  let sequence = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (performance.now() < end) {
        const n = sequence++;
        const headers: Record<string, string> = { authorization: `Bearer ${opts.adminToken}`, "content-type": "application/json" };
        if (opts.mode === "keys") headers["idempotency-key"] = `${opts.runTag}-${n}`;
        const started = performance.now();
        try {
          const res = await pool.request({ path: `/v1/organizations/org_${c % organizations}/events`, method: "POST", headers, body: body(n) });
          await res.body.dump();
          if (res.statusCode === 202) latencies.push(performance.now() - started);
          else failures[res.statusCode] = (failures[res.statusCode] ?? 0) + 1;
        } catch (err) {
          const code = (err as { code?: string }).code ?? "error";
          failures[code] = (failures[code] ?? 0) + 1;
        }
      }
    }),
  );
  return { latencies, failures };
}

async function main(): Promise<void> {
  const { logger, infra, runId, receiver, liveServices, commit, machine } = await startHarness("publish");
  const results: ModeResult[] = [];
  let onTopicMismatch: string | null = null;
  for (const mode of modes) {
    const pipeline = await startBenchPipeline({ infra, runId, logger, liveServices, profile: args.profile }, `publish-${mode}`, { instances: { retry: 0, dispatcher: 0, fanout: 0 } });
    const pool = new Pool(pipeline.adminUrl, { connections: clients, pipelining: 1 });
    try {
      const warm = warmUpSeconds > 0 ? await load(pool, { adminToken: pipeline.adminToken, mode, forSeconds: warmUpSeconds, runTag: `${runId}-warm` }) : { latencies: [], failures: {} };
      const measured = await load(pool, { adminToken: pipeline.adminToken, mode, forSeconds: seconds, runTag: `${runId}-load` });
      const result: ModeResult = {
        mode,
        clients,
        seconds,
        accepted: measured.latencies.length,
        acceptedPerSecond: Math.round(measured.latencies.length / seconds),
        latencyMs: latencySummary(measured.latencies),
        failures: measured.failures,
      };
      results.push(result);
      console.log(JSON.stringify(result));
      // Every 202 is an event on the topic, and nothing else is.
      const admin = createKafka({ brokers: infra.kafkaBrokers.split(","), clientId: `${runId}-count`, logger }).admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(pipeline.topics.events);
      await admin.disconnect();
      const onTopic = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
      const accepted = warm.latencies.length + measured.latencies.length;
      if (onTopic !== accepted) onTopicMismatch = `${mode}: ${accepted} accepted, ${onTopic} on the events topic`;
    } finally {
      await pool.close();
      await pipeline.stop();
    }
  }
  const at = new Date().toISOString();
  const file = join(REPO_ROOT, "bench/results", `publish-${at.replace(/[:.]/g, "-")}-${commit}.json`);
  writeFileSync(file, `${JSON.stringify({ at, commit, command: `pnpm bench:publish ${process.argv.slice(2).join(" ")}`.trim(), machine, warmUpSeconds, results, onTopicMismatch }, null, 2)}\n`);
  console.log(`results: ${file}`);
  receiver.exit();
  if (infra.started.length) await infra.stop();
  if (onTopicMismatch) throw new Error(`accepted and produced differ: ${onTopicMismatch}`);
}

await main();
