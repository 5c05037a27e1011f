// The scenarios: each starts the four services on fresh topics and a fresh database,
// creates its webhooks, warms the pipeline up, offers its load, waits for it to drain and
// measures at the receiver.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, ServiceProcess, type Infra, type ServiceName } from "@agiletune/local-infra";
import { allTopics, connectMongo, createKafka, createProducer, generateEncryptionKey, prefixedTopicNames, sendInChunks, EVENT_TYPES, type Logger } from "@agiletune/shared";
import { BUNDLE_NODE_FLAGS } from "../scripts/build.js";
import type { Ceilings } from "./ceilings.js";
import type { ReceiverProcess } from "./receiver-client.js";
import { latencyBySecond, latencySummary, percentOfCeiling, retryLateness, type Result } from "./report.js";
import { dispatcherCounts, dispatcherMetrics, dispatcherProgress, infraPids, ProcessSampler, sinceWarmUp } from "./sampling.js";

export const SCENARIOS = ["healthy", "fanout", "slow", "failing", "paced"] as const;
export type Scenario = (typeof SCENARIOS)[number];

export type ScenarioOptions = {
  /** Seconds of producing per scenario. */
  durationS: number;
  /** Offered events/s for healthy, slow and failing (fanout: a hundredth of it). */
  rate: number;
  pacedRate: number;
  failingRate: number;
  /** Padding added to each event's data. */
  eventBytes: number;
  warmUpS: number;
  /** A service to write a V8 CPU profile of. */
  profile?: string | undefined;
  /** A service to write a sampling heap profile of. */
  heapProfile?: string | undefined;
};

export type ScenarioContext = {
  infra: Infra;
  runId: string;
  logger: Logger;
  receiver: ReceiverProcess;
  /** Services running now, for the harness to kill if it dies. */
  liveServices: Set<ServiceProcess>;
  options: ScenarioOptions;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each measured job's produce-to-fanout time, read back from the deliveries topic, by the second its event was produced in. */
async function fanoutLagsBySecond(kafka: ReturnType<typeof createKafka>, runId: string, topic: string, began: number, expected: number): Promise<Map<number, number[]>> {
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

export async function runScenario(ctx: ScenarioContext, scenario: Scenario, ceilings: Ceilings | null): Promise<Result> {
  const { infra, runId, logger, receiver, liveServices, options } = ctx;
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
          ...(name === options.profile ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
          ...(name === options.heapProfile ? ["--heap-prof", `--heap-prof-dir=${profileDir}`] : []),
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
      body: JSON.stringify({ url: receiver.url(hook.path), contentType: "json", events: ["*"] }),
    });
    if (res.status !== 201) throw new Error(`webhook create: ${res.status} ${await res.text()}`);
  }
  const orgs = [...new Set(hooks.map((h) => h.org))];

  const kafka = createKafka({ brokers: infra.kafkaBrokers.split(","), clientId: `${runId}-producer`, logger });
  const producer = createProducer(kafka);
  await producer.connect();
  const padding = "x".repeat(options.eventBytes);
  const domainEvent = (n: number, org: string, now: number, idPrefix = "") => ({
    key: org,
    value: JSON.stringify({
      id: `evt_${runId}_${idPrefix}${n}`,
      event: EVENT_TYPES[n % EVENT_TYPES.length],
      timestamp: new Date(now).toISOString(),
      organizationId: org,
      data: { id: `obj_${idPrefix}${n}`, title: "Implement login page", producedAt: now, ...(padding ? { notes: padding } : {}) },
    }),
  });

  // Warm-up, not measured: one event per organization with healthy endpoints, so consumer
  // groups, connections and caches are in the state a long-running pipeline is in. Slow and
  // failing endpoints are left out: their retries would spill into the measured window.
  const healthyHooks = hooks.filter((h) => h.path.startsWith("/ok/") || h.path.startsWith("/fanout/"));
  const warmOrgs = [...new Set(healthyHooks.map((h) => h.org))];
  const warmDeliveries = hooks.filter((h) => warmOrgs.includes(h.org)).length;
  const topics = prefixedTopicNames(prefix);
  await receiver.reset();
  await sendInChunks(producer, [{ topic: topics.events, messages: warmOrgs.map((org, i) => domainEvent(i, org, Date.now(), "warmup_")) }]);
  const waitForWarmUp = async (expected: number, timeoutMs: number) => {
    for (const until = Date.now() + timeoutMs; ; await sleep(200)) {
      const s = await receiver.counts();
      if (s.received >= expected) return;
      if (Date.now() > until) throw new Error(`warm-up: ${s.received} of ${expected} deliveries arrived within ${timeoutMs / 1000} s`);
    }
  };
  await waitForWarmUp(warmDeliveries, 60_000);
  const perDelivery = scenario === "fanout" ? 100 : 1;
  if (options.warmUpS > 0) {
    // Deliveries at the paced rate: for fanout, a hundredth of it in events.
    const warmRate = options.pacedRate / perDelivery;
    let sent = 0;
    for (const from = Date.now(); Date.now() - from < options.warmUpS * 1000; await sleep(50)) {
      const count = Math.floor((warmRate * (Date.now() - from)) / 1000) - sent;
      if (count <= 0) continue;
      const messages = Array.from({ length: count }, (_, i) => domainEvent(sent + i, warmOrgs[(sent + i) % warmOrgs.length]!, Date.now(), "warmup_more_"));
      await sendInChunks(producer, [{ topic: topics.events, messages }]);
      sent += count;
    }
    await waitForWarmUp(warmDeliveries + sent * perDelivery, 120_000);
  }
  await receiver.reset();

  // The infrastructure and the receiver too: on one machine, any of them can be the limit.
  const pids: Record<string, number> = { ...Object.fromEntries(services.map((s) => [s.name, s.pid!])), receiver: receiver.pid, ...infraPids() };
  const sampler = new ProcessSampler(pids);
  sampler.start();

  const rate = scenario === "paced" ? options.pacedRate : scenario === "failing" ? options.failingRate : scenario === "fanout" ? Math.round(options.rate / 100) : options.rate;
  let produced = 0;
  // The dispatcher's counters run from its start; the warm-up's share is taken off at the end.
  const dispatcherOpsPort = services.find((s) => s.name === "dispatcher")!.opsPort;
  const countsBefore = dispatcherCounts(await dispatcherMetrics(dispatcherOpsPort));
  const began = Date.now();
  const progress = setInterval(async () => {
    const s = await receiver.counts();
    const dispatcher = dispatcherProgress(await dispatcherMetrics(dispatcherOpsPort));
    process.stdout.write(`\r${scenario.padEnd(8)} t=${Math.round((Date.now() - began) / 1000)}s produced=${produced} delivered=${s.received} dispatcher ${dispatcher}      `);
  }, 2_000);
  // Produce in 50 ms slices at the offered rate; a slow broker just lowers what is offered.
  const sliceMs = 50;
  for (let t = 0; Date.now() - began < options.durationS * 1000; t++) {
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
    const s = await receiver.counts();
    const healthy = (s.byPrefix.ok ?? 0) + (s.byPrefix.fanout ?? 0);
    if (healthy >= expectedHealthy && (scenario !== "failing" || Date.now() - began > producedFor * 1000 + 20_000)) break;
    stable = healthy === last ? stable + 1 : 0;
    if (stable >= 30) break; // 15 s without progress
    last = healthy;
    await sleep(500);
  }
  clearInterval(progress);
  sampler.stop();
  process.stdout.write("\n");

  const s = await receiver.stats();
  const dispatcherOutcomes = sinceWarmUp(dispatcherCounts(await dispatcherMetrics(dispatcherOpsPort)), countsBefore);
  const usage = sampler.finish(() => (Date.now() - began) / 1000);
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
    services: usage,
  };
  if (ceilings) result.percentOfCeiling = percentOfCeiling(result.deliveriesPerSecond, ceilings);
  if (scenario === "paced") {
    // Where the first seconds' latency arises: before the job exists (fanout, Kafka) or after.
    const fanoutLags = await fanoutLagsBySecond(kafka, runId, topics.deliveries, began, produced * perDelivery);
    result.latencyBySecond = latencyBySecond(s.producedAt, s.latenciesMs, began, fanoutLags);
  }
  if (scenario === "failing") result.retryLatenessMs = retryLateness(s.failedAttemptTimes, retryDelays);

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
