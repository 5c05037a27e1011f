// `pnpm bench`: deliveries per second, end-to-end latency, isolation and retry timing of
// the whole pipeline on this machine, next to the machine's own ceilings. See --help.
import { fork, execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { infraUp, REPO_ROOT, ServiceProcess, type ServiceName } from "@agiletune/local-infra";
import { allTopics, connectMongo, createKafka, createLogger, createProducer, ensureIndexes, generateEncryptionKey, newDeliveryEntry, prefixedTopicNames, sendInChunks, signatureHeaders, EVENT_TYPES } from "@agiletune/shared";
import { Agent, request } from "undici";
import { BUNDLE_NODE_FLAGS, buildServices } from "../scripts/build.js";
import { drawChart } from "./chart.js";

const SCENARIOS = ["healthy", "fanout", "slow", "failing", "paced"] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values: args } = parseArgs({
  // `pnpm bench -- --x` passes the "--" through.
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    scenarios: { type: "string", default: SCENARIOS.join(",") },
    duration: { type: "string", default: "20" },
    rate: { type: "string", default: "4000" },
    "paced-rate": { type: "string", default: "500" },
    "failing-rate": { type: "string", default: "300" },
    "event-bytes": { type: "string", default: "0" },
    "warm-up": { type: "string", default: "10" },
    "no-ceilings": { type: "boolean", default: false },
    profile: { type: "string" },
    "heap-profile": { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(`pnpm bench [-- options]

Brings up (or reuses) Kafka and the database, starts the four services as processes on
fresh topics and a fresh database per scenario, creates webhooks through the admin API
pointing at a receiver in its own process, produces domain events and measures at the
receiver. Results are appended to bench/results/ and summarised in bench/README.md.
Each scenario first delivers one event to every healthy endpoint, then --warm-up seconds
of deliveries at the paced rate, unmeasured, so the figures are those of a warm pipeline
rather than of its first seconds (when the services' code is not yet optimised).

  --scenarios LIST   comma-separated, of: ${SCENARIOS.join(", ")} (default: all)
                       healthy  50 organizations, one webhook each, events as fast as --rate
                       fanout   one organization, 100 webhooks; each event fans out 100 times
                       slow     like healthy, 10% of endpoints never answer (timeout 2 s;
                                the production retry schedule, so parked work returns after 1 min)
                       failing  like healthy at --failing-rate, 10% answer 500; retries flow through the tiers
                       paced    a fixed --paced-rate events/s, for latency
  --duration S       seconds of producing per scenario (default 20; 600 for the soak)
  --rate N           offered events/s for healthy, slow and failing (default 4000)
  --paced-rate N     events/s for paced (default 500)
  --failing-rate N   events/s for failing (default 300: below capacity, so retries are
                     timed against their due time, not against a backlog ahead of them)
  --event-bytes N    pad each event's data with N bytes (default 0: ~250-byte events), to
                     see memory with large events
  --warm-up S        before measuring, S seconds of deliveries at --paced-rate to the healthy
                     endpoints, delivered and not counted (default 10; 0 sends one event
                     to each, and then the first seconds measure the services' cold code)
  --no-ceilings      skip the raw HTTP and raw Kafka ceilings
  --profile SERVICE  write a V8 CPU profile of that service to bench/results/profiles/
  --heap-profile SERVICE  write a sampling heap profile of that service there too
  --help             this text`);
  process.exit(0);
}

const durationS = Number(args.duration);
for (const name of ["duration", "rate", "paced-rate", "failing-rate", "event-bytes", "warm-up"] as const) {
  if (!/^\d+$/.test(args[name]!)) {
    console.error(`bench: --${name} must be a whole number, not "${args[name]}"`);
    process.exit(2);
  }
}
const chosen = args.scenarios!.split(",").map((s) => s.trim()) as Scenario[];
for (const s of chosen) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}`);

const logger = createLogger("bench", "warn");
const infra = await infraUp();
// The services run as production runs them: bundled, under plain node.
await buildServices();
const runId = `bench${Date.now().toString(36)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]! : null);

// ---------- the receiver, in its own process ----------
type ReceiverCounts = { received: number; byPrefix: Record<string, number> };
type ReceiverStats = ReceiverCounts & { latenciesMs: number[]; producedAt: number[]; failedAttemptTimes: Record<string, number[]>; firstAt: number; lastAt: number };
const receiverProcess: ChildProcess = fork(join(REPO_ROOT, "bench/receiver.ts"), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
// A crashed run must not leave services and the receiver behind, holding ports and CPU.
const liveServices = new Set<ServiceProcess>();
process.on("exit", () => {
  receiverProcess.kill();
  for (const svc of liveServices) void svc.kill();
});
const receiverPort = await new Promise<number>((resolve) => receiverProcess.once("message", (m: { port: number }) => resolve(m.port)));
// Requests carry an id, so a progress poll and the final read never take each other's answer.
const receiverAnswers = new Map<number, (answer: unknown) => void>();
let receiverRequests = 0;
receiverProcess.on("message", (m: { id?: number; answer?: unknown }) => {
  if (m.id === undefined) return;
  receiverAnswers.get(m.id)?.(m.answer);
  receiverAnswers.delete(m.id);
});
/** "counts": received and byPrefix only, cheap to poll; "stats": everything, at the end. */
function receiver<T>(cmd: "stats" | "counts" | "reset"): Promise<T> {
  const id = ++receiverRequests;
  return new Promise((resolve) => {
    receiverAnswers.set(id, resolve as (answer: unknown) => void);
    receiverProcess.send({ cmd, id });
  });
}
const receiverUrl = (path: string) => `http://127.0.0.1:${receiverPort}${path}`;

// ---------- resource sampling from /proc ----------
const CLOCK_TICKS = 100;
function sample(pid: number): { cpuTicks: number; rssMb: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { cpuTicks: Number(stat[11]) + Number(stat[12]), rssMb: rssKb / 1024 };
  } catch {
    return null;
  }
}

function infraPids(): Record<string, number> {
  const find = (pattern: string) => {
    try {
      return Number(execFileSync("pgrep", ["-f", "-o", pattern]).toString().trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  const found: Record<string, number> = {};
  const kafka = find("kafka\\.Kafka ");
  const ferretdb = find("bin/ferretdb ");
  if (kafka) found.kafka = kafka;
  if (ferretdb) found.ferretdb = ferretdb;
  return found;
}

/** The dispatcher's /metrics text, or "" when it cannot be read. */
async function dispatcherMetrics(port: number | undefined): Promise<string> {
  if (!port) return "";
  try {
    return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  } catch {
    return "";
  }
}

/** One sample's value, whatever its labels (the first sample when there are several). */
function metricValue(text: string, name: string): number | undefined {
  const value = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1];
  return value === undefined ? undefined : Number(value);
}

function outcomeCounts(text: string): Record<string, number> {
  return Object.fromEntries([...text.matchAll(/^webhook_deliveries_total\{[^}]*outcome="([^"]+)"[^}]*\} (\S+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

/** For the progress line: heap, RSS, in-flight count and outcomes. */
function dispatcherProgress(text: string): string {
  if (!text) return "";
  const mb = (name: string) => Math.round((metricValue(text, name) ?? NaN) / 2 ** 20);
  const outcomes = Object.entries(outcomeCounts(text)).map(([outcome, n]) => `${outcome}=${n}`);
  return [`heap=${mb("nodejs_heap_size_used_bytes")}MB`, `rss=${mb("process_resident_memory_bytes")}MB`, `inFlight=${metricValue(text, "webhook_deliveries_in_flight")}`, `unrecorded=${metricValue(text, "webhook_deliveries_unrecorded")}`, ...outcomes].join(" ");
}

/** The dispatcher's own account: outcomes (succeeded, deferred, retrying...), attempts by duration, event-loop lag and GC. */
function dispatcherCounts(text: string): Record<string, number> {
  const counts = outcomeCounts(text);
  for (const m of text.matchAll(/^webhook_attempt_duration_seconds_bucket\{(?=[^}]*result="success")[^}]*le="([^"]+)"[^}]*\} (\S+)$/gm)) counts[`attempts<=${m[1]}s`] = Number(m[2]);
  // Where recording waits: delivery-log commands by collection and kind, and produces onward.
  for (const m of text.matchAll(/^webhook_log_write_(seconds_sum|seconds_count|operations_total)\{(?=[^}]*collection="([^"]+)")(?=[^}]*kind="([^"]+)")[^}]*\} (\S+)$/gm)) {
    counts[`log:${m[2]}/${m[3]}:${{ seconds_sum: "seconds", seconds_count: "commands", operations_total: "operations" }[m[1]!]}`] = Number(m[4]);
  }
  for (const [suffix, label] of [["sum", "seconds"], ["count", "batches"]] as const) {
    const value = metricValue(text, `webhook_produce_seconds_${suffix}`);
    if (value !== undefined) counts[`produce:${label}`] = value;
  }
  for (const name of ["nodejs_eventloop_lag_p99_seconds", "nodejs_eventloop_lag_max_seconds", "nodejs_gc_duration_seconds_sum"]) {
    const value = metricValue(text, name);
    if (value !== undefined) counts[name] = value;
  }
  return counts;
}

/** Counters less their values before measuring; the event-loop lag gauges are as read. */
function sinceWarmUp(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([name, value]) => [name, name.startsWith("nodejs_eventloop_lag") ? value : Math.round((value - (before[name] ?? 0)) * 1000) / 1000]));
}

// ---------- ceilings ----------
async function httpCeiling(seconds: number): Promise<number> {
  const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  const body = JSON.stringify({ event: "task.updated", timestamp: new Date().toISOString(), data: { id: "x", title: "y".repeat(200) } });
  let done = 0;
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (Date.now() < deadline) {
        const res = await request(receiverUrl("/ceiling/raw"), { method: "POST", body, headers: { "content-type": "application/json" }, dispatcher: agent });
        await res.body.dump();
        done++;
      }
    }),
  );
  await agent.close();
  return Math.round(done / seconds);
}

async function kafkaCeiling(): Promise<{ produce: number; consume: number }> {
  const kafka = createKafka({ brokers: infra.kafkaBrokers.split(","), clientId: `${runId}-ceiling`, logger });
  const topic = `${runId}.ceiling`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
  const producer = createProducer(kafka);
  await producer.connect();
  const value = Buffer.alloc(400, "x");
  const total = 100_000;
  let t = Date.now();
  for (let i = 0; i < total; i += 1000) await producer.send({ topic, messages: Array.from({ length: 1000 }, (_, j) => ({ key: String((i + j) % 50), value })) });
  const produce = Math.round(total / ((Date.now() - t) / 1000));
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `${runId}-ceiling`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let consumed = 0;
  t = Date.now();
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        consumed += batch.messages.length;
        if (consumed >= total) resolve();
      },
    });
  });
  const consume = Math.round(total / ((Date.now() - t) / 1000));
  await consumer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  return { produce, consume };
}

/**
 * (c) The database: delivery-log documents of the dispatcher's shape (one attempt with
 * its request and response headers, and the payload), inserted in batches of 400 by two
 * writers, as the dispatcher's LogWriter lanes do. Every delivery costs one of these.
 */
async function databaseCeiling(): Promise<number> {
  const url = new URL(infra.mongoUrl);
  url.pathname = `/${runId}_ceiling`;
  const mongo = await connectMongo(url.toString());
  const deliveries = mongo.db.collection("deliveries");
  await ensureIndexes(mongo.db);
  const secret = "whsec_ceiling_0123456789";
  const document = (i: number) => {
    const deliveryId = `dlv_${runId}_${i}`;
    const body = JSON.stringify({ event: "task.updated", timestamp: new Date().toISOString(), data: { id: `obj_${i}`, title: "Implement login page", producedAt: Date.now() } });
    const headers = { "content-type": "application/json", "user-agent": "AgileTune-Webhooks/0.1.0", "x-agiletune-event": "task.updated", "x-agiletune-delivery": deliveryId, ...signatureHeaders({ deliveryId, body, secret, nowSeconds: Math.floor(Date.now() / 1000) }) };
    const at = new Date();
    // The dispatcher's shape for a first attempt that succeeded.
    return newDeliveryEntry({ deliveryId, webhookId: `wh_${i % 50}`, organizationId: `org_${i % 50}`, eventId: `evt_${i}`, event: "task.updated" }, at, {
      status: "succeeded",
      attempts: [{ attempt: 0, source: "event", startedAt: at, durationMs: 3, outcome: "succeeded", request: { url: receiverUrl("/ok/1"), headers }, response: { status: 200, headers: { "content-length": "2", date: at.toUTCString(), "keep-alive": "timeout=5" }, body: "ok", bodyTruncated: false }, error: null }],
      firstAttemptId: `${deliveryId}.0.ceiling`,
      lastAttempt: { startedAt: at, responseStatus: 200 },
      payload: JSON.parse(body),
    });
  };
  // Two writers side by side, as the dispatcher's two log lanes write.
  const total = 8_000;
  const t = Date.now();
  let next = 0;
  const writer = async () => {
    while (next < total) {
      const from = next;
      next += 400;
      await deliveries.insertMany(Array.from({ length: 400 }, (_, j) => document(from + j)) as never[], { ordered: false });
    }
  };
  await Promise.all([writer(), writer()]);
  const perSecond = Math.round(total / ((Date.now() - t) / 1000));
  await mongo.db.dropDatabase();
  await mongo.client.close();
  return perSecond;
}

// ---------- one scenario ----------
type Result = {
  scenario: Scenario;
  offeredEventsPerSecond: number;
  webhooks: number;
  produced: number;
  deliveries: number;
  deliveriesPerSecond: number;
  healthyDeliveriesPerSecond: number;
  /**
   * Deliveries per second per healthy endpoint: what `slow` compares with `healthy`. The
   * slow scenario's healthy endpoints are 45 of 50, so with perfect isolation they keep
   * their own rate, not the 50 endpoints' total.
   */
  perHealthyEndpointPerSecond: number;
  /** slow only, when healthy ran first in the same run: its per-endpoint rate as a % of healthy's. */
  healthyEndpointsKeptPercent?: number;
  latencyMs: Latency;
  /**
   * Latency of the events produced after the first 5 s, when the first seconds' JIT and
   * start-up queueing are behind. Telling only below capacity (paced, failing): in a
   * saturated run it drops the least-queued events and so measures the backlog.
   */
  steadyLatencyMs: Latency;
  /** webhook_deliveries_total by outcome and the attempt-duration buckets, from the dispatcher's /metrics. */
  dispatcherOutcomes: Record<string, number>;
  /**
   * paced only: for the events produced in each second of the run, the p99 of the whole
   * latency and of its first stage (produce to fanout's planning of the job, from the
   * job's `enqueuedAt` on the deliveries topic). The rest is the dispatcher's part.
   */
  latencyBySecond?: Array<{ second: number; deliveries: number; p99Ms: number | null; fanoutP99Ms: number | null }>;
  retryLatenessMs?: { p50: number | null; p99: number | null; max: number | null; retries: number; withinOneSecond: number };
  services: Record<string, { peakRssMb: number; rssEvery10sMb: number[]; avgCpuPercent: number; rssStartMb: number; rssEndMb: number }>;
  /** Deliveries per second as a percentage of each ceiling of the same run. */
  percentOfCeiling?: { http: number; kafkaProduce: number; kafkaConsume: number; databaseLogInserts: number };
};

type Latency = { p50: number | null; p95: number | null; p99: number | null; max: number | null; count: number };
function latencySummary(latenciesMs: number[]): Latency {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? null, count: sorted.length };
}

/** Each measured job's produce-to-fanout time, read back from the deliveries topic, by the second its event was produced in. */
async function fanoutLagsBySecond(kafka: ReturnType<typeof createKafka>, topic: string, began: number, expected: number): Promise<Map<number, number[]>> {
  const bySecond = new Map<number, number[]>();
  const consumer = kafka.consumer({ groupId: `${runId}-stages-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let lastSeenAt = Date.now();
  await consumer.run({
    eachMessage: async ({ message }) => {
      lastSeenAt = Date.now();
      const job = JSON.parse(message.value!.toString()) as { enqueuedAt: number; attempt: number; data?: { producedAt?: number } };
      const producedAt = job.data?.producedAt;
      if (job.attempt !== 0 || !producedAt || producedAt < began) return;
      seen++;
      const second = Math.floor((producedAt - began) / 1000);
      const list = bySecond.get(second) ?? [];
      list.push(job.enqueuedAt - producedAt);
      bySecond.set(second, list);
    },
  });
  // Joining the group can take seconds before the first message; after that, 5 s of silence ends it.
  while (seen < expected && Date.now() - lastSeenAt < (seen ? 5_000 : 30_000)) await sleep(200);
  if (seen < expected) console.warn(`\nlatency split: read ${seen} of ${expected} jobs back from ${topic}`);
  await consumer.disconnect();
  return bySecond;
}

async function runScenario(scenario: Scenario): Promise<Result> {
  const prefix = `${runId}-${scenario}.`;
  // Short tiers only where retries are what is measured. Elsewhere the services' own
  // schedule (1m, 5m, ...): with 1 s tiers, a slow endpoint's parked overflow would come
  // back, and be parked again, sixty times as often as it does in production.
  const retryDelays = [1000, 2000, 3000, 4000, 5000];
  const adminPort = 18_000 + Math.floor(Math.random() * 1000);
  const token = `bench_${randomBytes(16).toString("hex")}`;
  const mongoUrl = new URL(infra.mongoUrl);
  mongoUrl.pathname = `/${runId}_${scenario}`;
  const env = {
    KAFKA_BROKERS: infra.kafkaBrokers,
    MONGO_URL: mongoUrl.toString(),
    TOPIC_PREFIX: prefix,
    ...(scenario === "failing" ? { RETRY_DELAYS: retryDelays.map((d) => `${d}ms`).join(",") } : {}),
    DELIVERY_TIMEOUT_MS: scenario === "slow" ? "2000" : "5000",
    ADMIN_TOKEN: token,
    SECRETS_ENCRYPTION_KEY: generateEncryptionKey(),
    ALLOW_PRIVATE_URLS: "true",
    ADMIN_API_PORT: String(adminPort),
    METRICS_PORT: "0",
    LOG_LEVEL: "info",
  };
  const names: ServiceName[] = ["retry", "dispatcher", "fanout", "admin-api"];
  const profileDir = join(REPO_ROOT, "bench/results/profiles");
  const services = names.map(
    (name) =>
      new ServiceProcess(name, env, {
        bundled: true,
        nodeArgs: [
          ...BUNDLE_NODE_FLAGS,
          ...(name === args.profile ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
          ...(name === args["heap-profile"] ? ["--heap-prof", `--heap-prof-dir=${profileDir}`] : []),
        ],
      }),
  );
  for (const svc of services) liveServices.add(svc);
  await Promise.all(services.map((s) => s.start()));

  // Webhooks through the admin API, as a customer would create them.
  const hooks: Array<{ org: string; path: string }> = [];
  if (scenario === "fanout") for (let i = 0; i < 100; i++) hooks.push({ org: "org_fanout", path: `/fanout/${i}` });
  else
    for (let i = 0; i < 50; i++) {
      const kind = scenario === "slow" && i % 10 === 0 ? "slow" : scenario === "failing" && i % 10 === 0 ? "fail" : "ok";
      hooks.push({ org: `org_${i}`, path: `/${kind}/${i}` });
    }
  for (const hook of hooks) {
    const res = await fetch(`http://127.0.0.1:${adminPort}/v1/organizations/${hook.org}/webhooks`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ url: receiverUrl(hook.path), contentType: "json", events: ["*"] }),
    });
    if (res.status !== 201) throw new Error(`webhook create: ${res.status} ${await res.text()}`);
  }
  const orgs = [...new Set(hooks.map((h) => h.org))];

  const kafka = createKafka({ brokers: infra.kafkaBrokers.split(","), clientId: `${runId}-producer`, logger });
  const producer = createProducer(kafka);
  await producer.connect();
  const padding = "x".repeat(Number(args["event-bytes"]));
  const domainEvent = (n: number, org: string, now: number, idPrefix = "") => ({
    key: org,
    value: JSON.stringify({ id: `evt_${runId}_${idPrefix}${n}`, event: EVENT_TYPES[n % EVENT_TYPES.length], timestamp: new Date(now).toISOString(), organizationId: org, data: { id: `obj_${idPrefix}${n}`, title: "Implement login page", producedAt: now, ...(padding ? { notes: padding } : {}) } }),
  });

  // Warm-up, not measured: one event per organization with healthy endpoints, so consumer
  // groups, connections and caches are in the state a long-running pipeline is in. Slow and
  // failing endpoints are left out: their retries would spill into the measured window.
  const healthyHooks = hooks.filter((h) => h.path.startsWith("/ok/") || h.path.startsWith("/fanout/"));
  const warmOrgs = [...new Set(healthyHooks.map((h) => h.org))];
  const warmDeliveries = hooks.filter((h) => warmOrgs.includes(h.org)).length;
  const topics = prefixedTopicNames(prefix);
  await receiver("reset");
  await sendInChunks(producer, [{ topic: topics.events, messages: warmOrgs.map((org, i) => domainEvent(i, org, Date.now(), "warmup_")) }]);
  const waitForWarmUp = async (expected: number, timeoutMs: number) => {
    for (const until = Date.now() + timeoutMs; ; await sleep(200)) {
      const s = await receiver<ReceiverCounts>("counts");
      if (s.received >= expected) return;
      if (Date.now() > until) throw new Error(`warm-up: ${s.received} of ${expected} deliveries arrived within ${timeoutMs / 1000} s`);
    }
  };
  await waitForWarmUp(warmDeliveries, 60_000);
  const perDelivery = scenario === "fanout" ? 100 : 1;
  const warmUpS = Number(args["warm-up"]);
  if (warmUpS > 0) {
    // Deliveries at the paced rate: for fanout, a hundredth of it in events.
    const warmRate = Number(args["paced-rate"]) / perDelivery;
    let sent = 0;
    for (const from = Date.now(); Date.now() - from < warmUpS * 1000; await sleep(50)) {
      const count = Math.floor((warmRate * (Date.now() - from)) / 1000) - sent;
      if (count <= 0) continue;
      const messages = Array.from({ length: count }, (_, i) => domainEvent(sent + i, warmOrgs[(sent + i) % warmOrgs.length]!, Date.now(), "warmup_more_"));
      await sendInChunks(producer, [{ topic: topics.events, messages }]);
      sent += count;
    }
    await waitForWarmUp(warmDeliveries + sent * perDelivery, 120_000);
  }
  await receiver("reset");

  // The infrastructure and the receiver too: on one machine, any of them can be the limit.
  const pids: Record<string, number> = { ...Object.fromEntries(services.map((s) => [s.name, s.pid!])), receiver: receiverProcess.pid!, ...infraPids() };
  const start = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, sample(pid)!]));
  const peak: Record<string, number> = Object.fromEntries(Object.keys(pids).map((n) => [n, 0]));
  // Every 10 s, to tell a plateau from growth over a long (soak) run.
  const rssSeries: Record<string, number[]> = Object.fromEntries(Object.keys(pids).map((n) => [n, []]));
  let samples = 0;
  const sampler = setInterval(() => {
    samples++;
    for (const [n, pid] of Object.entries(pids)) {
      const rss = sample(pid)?.rssMb ?? 0;
      peak[n] = Math.max(peak[n]!, rss);
      if (samples % 20 === 0) rssSeries[n]!.push(Math.round(rss));
    }
  }, 500);

  const rate = scenario === "paced" ? Number(args["paced-rate"]) : scenario === "failing" ? Number(args["failing-rate"]) : scenario === "fanout" ? Math.round(Number(args.rate) / 100) : Number(args.rate);
  let produced = 0;
  // The dispatcher's counters run from its start; the warm-up's share is taken off at the end.
  const dispatcherOpsPort = services.find((s) => s.name === "dispatcher")!.opsPort;
  const countsBefore = dispatcherCounts(await dispatcherMetrics(dispatcherOpsPort));
  const began = Date.now();
  const progress = setInterval(async () => {
    const s = await receiver<ReceiverCounts>("counts");
    const dispatcher = dispatcherProgress(await dispatcherMetrics(dispatcherOpsPort));
    process.stdout.write(`\r${scenario.padEnd(8)} t=${Math.round((Date.now() - began) / 1000)}s produced=${produced} delivered=${s.received} dispatcher ${dispatcher}      `);
  }, 2_000);
  // Produce in 50 ms slices at the offered rate; a slow broker just lowers what is offered.
  const sliceMs = 50;
  for (let t = 0; Date.now() - began < durationS * 1000; t++) {
    const due = began + t * sliceMs;
    if (due > Date.now()) await sleep(due - Date.now());
    const count = Math.max(1, Math.round((rate * sliceMs) / 1000));
    const now = Date.now();
    const messages = Array.from({ length: count }, (_, i) => domainEvent(produced + i, orgs[(produced + i) % orgs.length]!, now));
    // In size-bounded requests, whatever --event-bytes makes of the events.
    await sendInChunks(producer, [{ topic: topics.events, messages }]);
    produced += count;
  }
  const producedFor = (Date.now() - began) / 1000;

  // Drain: wait until the healthy deliveries have all arrived, or stop growing.
  const expectedHealthy = produced * perDelivery * (scenario === "slow" || scenario === "failing" ? 0.9 : 1);
  let last = -1;
  let stable = 0;
  for (;;) {
    const s = await receiver<ReceiverCounts>("counts");
    const healthy = (s.byPrefix.ok ?? 0) + (s.byPrefix.fanout ?? 0);
    if (healthy >= expectedHealthy && (scenario !== "failing" || Date.now() - began > producedFor * 1000 + 20_000)) break;
    stable = healthy === last ? stable + 1 : 0;
    if (stable >= 30) break; // 15 s without progress
    last = healthy;
    await sleep(500);
  }
  clearInterval(progress);
  clearInterval(sampler);
  process.stdout.write("\n");

  const s = await receiver<ReceiverStats>("stats");
  const dispatcherOutcomes = sinceWarmUp(dispatcherCounts(await dispatcherMetrics(dispatcherOpsPort)), countsBefore);
  const end = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, sample(pid)]));
  const wall = (Date.now() - began) / 1000;
  const healthyCount = (s.byPrefix.ok ?? 0) + (s.byPrefix.fanout ?? 0);
  const activeSeconds = Math.max(0.001, (s.lastAt - s.firstAt) / 1000);
  const result: Result = {
    scenario,
    offeredEventsPerSecond: rate,
    webhooks: hooks.length,
    produced,
    deliveries: s.received,
    deliveriesPerSecond: Math.round(s.received / activeSeconds),
    healthyDeliveriesPerSecond: Math.round(healthyCount / activeSeconds),
    perHealthyEndpointPerSecond: Math.round((healthyCount / activeSeconds / healthyHooks.length) * 10) / 10,
    dispatcherOutcomes,
    latencyMs: latencySummary(s.latenciesMs),
    steadyLatencyMs: latencySummary(s.latenciesMs.filter((_, i) => s.producedAt[i]! >= began + 5_000)),
    services: Object.fromEntries(
      Object.keys(pids).map((n) => [
        n,
        {
          peakRssMb: Math.round(peak[n]!),
          rssEvery10sMb: rssSeries[n]!,
          rssStartMb: Math.round(start[n]!.rssMb),
          rssEndMb: Math.round(end[n]?.rssMb ?? 0),
          avgCpuPercent: Math.round((((end[n]?.cpuTicks ?? 0) - start[n]!.cpuTicks) / CLOCK_TICKS / wall) * 100),
        },
      ]),
    ),
  };
  if (ceilings) {
    const pct = (x: number) => Math.round((result.deliveriesPerSecond / x) * 1000) / 10;
    result.percentOfCeiling = { http: pct(ceilings.httpRequestsPerSecond), kafkaProduce: pct(ceilings.kafka.produce), kafkaConsume: pct(ceilings.kafka.consume), databaseLogInserts: pct(ceilings.databaseLogInsertsPerSecond) };
  }
  if (scenario === "paced") {
    // Where the first seconds' latency arises: before the job exists (fanout, Kafka) or after.
    const fanoutLags = await fanoutLagsBySecond(kafka, topics.deliveries, began, produced * perDelivery);
    const total = new Map<number, number[]>();
    for (const [i, at] of s.producedAt.entries()) {
      const second = Math.floor((at - began) / 1000);
      if (second < 0) continue;
      const list = total.get(second) ?? [];
      list.push(s.latenciesMs[i]!);
      total.set(second, list);
    }
    const p99 = (xs: number[] | undefined) => (xs ? percentile([...xs].sort((a, b) => a - b), 99) : null);
    result.latencyBySecond = [...total.keys()].sort((a, b) => a - b).map((second) => ({ second, deliveries: total.get(second)!.length, p99Ms: p99(total.get(second)), fanoutP99Ms: p99(fanoutLags.get(second)) }));
  }
  if (scenario === "failing") {
    const lateness: number[] = [];
    for (const times of Object.values(s.failedAttemptTimes)) for (let i = 1; i < times.length; i++) lateness.push(times[i]! - times[i - 1]! - retryDelays[i - 1]!);
    lateness.sort((a, b) => a - b);
    result.retryLatenessMs = { p50: percentile(lateness, 50), p99: percentile(lateness, 99), max: lateness.at(-1) ?? null, retries: lateness.length, withinOneSecond: lateness.filter((l) => l <= 1000 && l >= -50).length };
  }

  await producer.disconnect();
  await Promise.all(services.map((svc) => svc.stop()));
  const logDir = join(REPO_ROOT, "bench/results/logs");
  mkdirSync(logDir, { recursive: true });
  for (const svc of services) writeFileSync(join(logDir, `${runId}-${scenario}-${svc.name}.log`), svc.output);
  for (const svc of services) liveServices.delete(svc);
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: allTopics(topics) }).catch(() => undefined);
  await admin.disconnect();
  const mongo = await connectMongo(mongoUrl.toString());
  await mongo.db.dropDatabase();
  await mongo.client.close();
  return result;
}

// ---------- run ----------
const commit = (() => {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT }).toString().trim();
  } catch {
    return "unknown";
  }
})();
const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? "?", memGiB: Math.round(totalmem() / 2 ** 30), loadAvgAtStart: (await import("node:os")).loadavg()[0] };
const ceilings = args["no-ceilings"] ? null : { httpRequestsPerSecond: await httpCeiling(5), kafka: await kafkaCeiling(), databaseLogInsertsPerSecond: await databaseCeiling() };
if (ceilings) {
  console.log(
    `ceilings: raw HTTP ${ceilings.httpRequestsPerSecond} req/s, raw Kafka produce ${ceilings.kafka.produce} msg/s, consume ${ceilings.kafka.consume} msg/s, ` +
      `delivery-log inserts ${ceilings.databaseLogInsertsPerSecond} docs/s`,
  );
}

const results: Result[] = [];
for (const scenario of chosen) {
  const result = await runScenario(scenario);
  results.push(result);
  const ratio = result.percentOfCeiling;
  const healthy = results.find((r) => r.scenario === "healthy");
  const isolation = scenario === "slow" && healthy ? Math.round((result.perHealthyEndpointPerSecond / healthy.perHealthyEndpointPerSecond) * 1000) / 10 : null;
  if (isolation !== null) result.healthyEndpointsKeptPercent = isolation;
  console.log(JSON.stringify(result));
  console.log(
    `${scenario}: ${result.deliveriesPerSecond} deliveries/s` +
      (isolation === null ? "" : ` (healthy endpoints: ${result.perHealthyEndpointPerSecond}/s each = ${isolation}% of their rate in healthy)`) +
      (ratio ? ` = ${ratio.http}% of raw HTTP, ${ratio.databaseLogInserts}% of log inserts, ${ratio.kafkaProduce}% of Kafka produce, ${ratio.kafkaConsume}% of consume` : "") +
      `; latency p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms${scenario === "paced" || scenario === "failing" ? ` (after the first 5 s: p99 ${result.steadyLatencyMs.p99} ms)` : ""}; peak RSS ` +
      Object.entries(result.services)
        .map(([n, v]) => `${n} ${v.peakRssMb} MB`)
        .join(", "),
  );
  if (result.latencyBySecond) {
    const seconds = result.latencyBySecond.slice(0, 10).map((b) => `${b.second}s ${b.p99Ms}/${b.fanoutP99Ms}`);
    console.log(`  p99 ms by second produced, whole / produce-to-fanout: ${seconds.join(", ")}`);
  }
}

const run = { at: new Date().toISOString(), commit, command: `pnpm bench -- ${process.argv.slice(2).filter((a) => a !== "--").join(" ")}`.trim(), machine, durationS, ceilings, results };
mkdirSync(join(REPO_ROOT, "bench/results"), { recursive: true });
const file = join(REPO_ROOT, "bench/results", `${run.at.replace(/[:.]/g, "-")}-${commit}.json`);
writeFileSync(file, JSON.stringify(run, null, 2) + "\n");
appendFileSync(join(REPO_ROOT, "bench/results/history.jsonl"), JSON.stringify(run) + "\n");
console.log(`results: ${file}`);
console.log(`chart: ${await drawChart(run, file.replace(/\.json$/, ".png"))}`);
receiverProcess.send({ cmd: "exit" });
if (infra.started.length) await infra.stop();
