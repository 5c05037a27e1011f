// The scenarios: each starts the four services on fresh topics and a fresh database,
// creates its webhooks, warms the pipeline up, offers its load, waits for it to drain and
// measures at the receiver.
import type { Infra, ServiceProcess } from "@agiletune/local-infra";
import { connectMongo, countByStatus, createKafka, createProducer, parkedDeliveryIds, sendInChunks, webhooksCollection, type Logger } from "@agiletune/shared";
import type { Ceilings } from "./ceilings.js";
import type { Stats } from "./receiver.js";
import type { ReceiverProcess } from "./receiver-client.js";
import { arrivalsPerInterval, cpuPerDelivery, deadSummary, flakySummary, latencyBySecond, latencySummary, percentOfCeiling, retryLateness, type FlakyEndpointSummary, type Result } from "./report.js";
import { dispatcherCounts, dispatcherMetrics, dispatcherProgress, mergeCounts, ProcessSampler, sinceWarmUp, waitForDrain } from "./sampling.js";
import { startOAuth2Bench } from "./oauth2-scenario.js";
import { runDrainScenario } from "./drain.js";
import { runOrderedScenario } from "./ordered.js";
import { benchEvent, startBenchPipeline } from "./pipeline.js";

export const SCENARIOS = ["healthy", "fanout", "slow", "dead", "failing", "paced", "instances", "flaky", "ordered", "oauth2", "drain"] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** The dispatchers' counts added up (gauges: the highest), for a scenario that runs more than one. */
async function dispatchersCounts(ports: Array<number | undefined>): Promise<Record<string, number>> {
  return mergeCounts(await Promise.all(ports.map(async (port) => dispatcherCounts(await dispatcherMetrics(port)))));
}

/**
 * dead: the probe interval for a run of `durationS`. The endpoints are down for the first
 * half (5 intervals); probes go 1, 3 and 7 intervals after the circuit opens (the
 * interval doubles), so the first after recovery comes ~2 intervals after it: short
 * beside the run, as 30 s is beside the outages production sees.
 */
const deadProbeIntervalMs = (durationS: number) => Math.max(1000, durationS * 100);

export type ScenarioOptions = {
  /** Seconds of producing per scenario. */
  durationS: number;
  /** Offered events/s for healthy, slow and failing (fanout: a hundredth of it). */
  rate: number;
  pacedRate: number;
  failingRate: number;
  /** flaky: events/s, each to the three webhooks of one organization. */
  flakyRate: number;
  /** ordered: events/s across its 1,000 keys. */
  orderedRate: number;
  /** ordered: deliveries to hold behind keys that never succeed, for the memory they cost (0: none). */
  held: number;
  /** dead: the dead webhooks' rateLimitPerSecond; 0 for none (parked deliveries then drain at 10/s). */
  deadRateLimit: number;
  /** drain: events produced while fanout and the dispatcher are stopped, one delivery each. */
  drainEvents: number;
  /** Padding added to each event's data. */
  eventBytes: number;
  warmUpS: number;
  /** Endpoint statistics on (the services' default) or off (ENDPOINT_STATS=false). */
  endpointStats: boolean;
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
  /** With `--tracing`: where the services export their spans (OTEL_EXPORTER_OTLP_ENDPOINT, docs/tracing.md). */
  otlpEndpoint?: string | undefined;
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

/**
 * The deliveries of each dead webhook (by its path) that were ever parked, sampled from
 * `parked_deliveries` every 5 s while the scenario runs (a parked document goes once its
 * delivery is released and logged, at least one probe interval and a drain page after its
 * parking; one parked and released between two samples would be missed).
 * Each sample reads the ids of the dead webhooks' parked documents: a scan of that small
 * collection, a load on FerretDB the healthy scenario does not carry.
 */
async function sampleParked(mongoUrl: string, deadHooks: Array<{ path: string; id?: string }>): Promise<{ stop: () => Promise<Record<string, string[]>> }> {
  const mongo = await connectMongo(mongoUrl);
  const byId = new Map(deadHooks.map((h) => [h.id!, h.path]));
  const seen: Record<string, Set<string>> = Object.fromEntries(deadHooks.map((h) => [h.path, new Set<string>()]));
  const sample = async () => {
    for (const ref of await parkedDeliveryIds(
      mongo.db,
      deadHooks.map((h) => h.id!),
    ))
      seen[byId.get(ref.webhookId)!]!.add(ref.deliveryId);
  };
  let sampling: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    sampling = sampling.then(sample).catch(() => undefined);
  }, 5_000);
  return {
    async stop() {
      clearInterval(timer);
      await sampling;
      await sample();
      await mongo.client.close();
      return Object.fromEntries(Object.entries(seen).map(([path, ids]) => [path, [...ids]]));
    },
  };
}

/** flaky: each flaky endpoint's account, with its webhook's health and its deliveries' statuses at the end. */
async function flakyAccount(opts: { mongoUrl: string; hooks: Array<{ path: string; id?: string }>; stats: Stats["flaky"]; produced: number; loadEndedAt: number }) {
  const mongo = await connectMongo(opts.mongoUrl);
  try {
    const accounts: Record<string, FlakyEndpointSummary> = {};
    for (const hook of opts.hooks.filter((h) => h.path.startsWith("/flaky-"))) {
      const webhook = await webhooksCollection(mongo.db).findOne({ _id: hook.id! });
      const statuses = await countByStatus(mongo.db, hook.id!);
      const prefix = hook.path.split("/")[1]!;
      accounts[prefix] = flakySummary(opts.stats[prefix], { produced: opts.produced, loadEndedAt: opts.loadEndedAt, health: webhook?.health ?? "deleted", statuses });
    }
    return accounts;
  } finally {
    await mongo.client.close();
  }
}

export async function runScenario(ctx: ScenarioContext, scenario: Scenario, ceilings: Ceilings | null): Promise<Result> {
  if (scenario === "ordered") return runOrderedScenario(ctx);
  if (scenario === "drain") return runDrainScenario(ctx, ceilings);
  const { infra, runId, logger, receiver, options } = ctx;
  // Short tiers only where retries are what is measured. Elsewhere the services' own
  // schedule (1m, 5m, ...): with 1 s tiers, a slow endpoint's parked overflow would come
  // back, and be parked again, sixty times as often as it does in production.
  const retryDelays = [1000, 2000, 3000, 4000, 5000];
  const pipeline = await startBenchPipeline({ ...ctx, profile: options.profile, heapProfile: options.heapProfile }, scenario, {
    env: {
      // dead: the short tiers too. The ladder is not what dead measures: with the production
      // one, the few attempts that fail before a circuit opens come back after a minute, and
      // "recovery to the last parked delivery" would measure that minute. With 1 s tiers they
      // come back while the circuit is open and are parked like the rest.
      ...(scenario === "failing" || scenario === "dead" || scenario === "flaky" ? { RETRY_DELAYS: retryDelays.map((d) => `${d}ms`).join(",") } : {}),
      ...(scenario === "dead" ? { CIRCUIT_PROBE_INTERVAL: `${deadProbeIntervalMs(options.durationS)}ms` } : {}),
      // flaky: the breaker on the short ladder's scale, and DISABLE_AFTER inside the run, so
      // that a breaker which hurts a live endpoint shows it: parked, then disabled.
      ...(scenario === "flaky" ? { CIRCUIT_PROBE_INTERVAL: "1s", DISABLE_AFTER: "40s" } : {}),
      ...(scenario === "slow" ? { DELIVERY_TIMEOUT_MS: "2000" } : {}),
      ...(options.endpointStats ? {} : { ENDPOINT_STATS: "false" }),
      ...(ctx.otlpEndpoint ? { OTEL_EXPORTER_OTLP_ENDPOINT: ctx.otlpEndpoint } : {}),
    },
    // instances: the healthy load on two dispatchers in one group.
    instances: scenario === "instances" ? { dispatcher: 2 } : {},
  });
  const mongoUrl = pipeline.mongoUrl;

  // Webhooks through the admin API, as a customer would create them. dead's dead endpoints
  // are each on a port of their own (the receiver's), down until half the load is produced.
  const hooks: Array<{ org: string; path: string; url: string; id?: string; rateLimitPerSecond?: number; auth?: object }> = [];
  // oauth2: healthy's webhooks, each with its own client at a token server on loopback.
  const oauth2 = scenario === "oauth2" ? await startOAuth2Bench(50) : null;
  if (scenario === "fanout") for (let i = 0; i < 100; i++) hooks.push({ org: "org_fanout", path: `/fanout/${i}`, url: receiver.url(`/fanout/${i}`) });
  else if (scenario === "flaky") for (const path of ["/ok/flaky", "/flaky-random/0", "/flaky-first/0"]) hooks.push({ org: "org_flaky", path, url: receiver.url(path) });
  else {
    const deadUrls = scenario === "dead" ? await receiver.openDead(5) : [];
    for (let i = 0; i < 50; i++) {
      const kind = scenario === "slow" && i % 10 === 0 ? "slow" : scenario === "failing" && i % 10 === 0 ? "fail" : scenario === "dead" && i % 10 === 0 ? "dead" : "ok";
      const url = kind === "dead" ? deadUrls[i / 10]! : receiver.url(`/${kind}/${i}`);
      hooks.push({
        org: `org_${i}`,
        path: new URL(url).pathname,
        url,
        ...(kind === "dead" && options.deadRateLimit ? { rateLimitPerSecond: options.deadRateLimit } : {}),
        ...(oauth2 && { auth: oauth2.authFor(i) }),
      });
    }
  }
  const ids = await pipeline.createWebhooks(hooks);
  for (const [i, hook] of hooks.entries()) hook.id = ids[i];
  const orgs = [...new Set(hooks.map((h) => h.org))];
  const deadHooks = hooks.filter((h) => h.path.startsWith("/dead/"));

  const kafka = createKafka({ brokers: infra.kafkaBrokers.split(","), clientId: `${runId}-producer`, logger });
  const producer = createProducer(kafka);
  await producer.connect();
  const padding = "x".repeat(options.eventBytes);
  const domainEvent = (n: number, org: string, now: number, idPrefix = "") => benchEvent(runId, n, org, now, { idPrefix, padding });

  // Warm-up, not measured: one event per organization with healthy endpoints, so consumer
  // groups, connections and caches are in the state a long-running pipeline is in. Slow,
  // dead and failing endpoints are left out: their retries would spill into the measured window.
  const healthyHooks = hooks.filter((h) => h.path.startsWith("/ok/") || h.path.startsWith("/fanout/"));
  // Only organizations whose every webhook is healthy: flaky's healthy one shares its organization with the flaky ones.
  const warmOrgs = [...new Set(healthyHooks.map((h) => h.org))].filter((org) => hooks.every((h) => h.org !== org || healthyHooks.includes(h)));
  const warmDeliveries = hooks.filter((h) => warmOrgs.includes(h.org)).length;
  const { topics } = pipeline;
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
  if (options.warmUpS > 0 && warmOrgs.length > 0) {
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
  oauth2?.startMeasuring();

  // The infrastructure and the receiver too: on one machine, any of them can be the limit.
  const sampler = new ProcessSampler(pipeline.pids({ receiver: receiver.pid }));
  sampler.start();

  const rate =
    scenario === "paced"
      ? options.pacedRate
      : scenario === "failing"
        ? options.failingRate
        : scenario === "flaky"
          ? options.flakyRate
          : scenario === "fanout"
            ? Math.round(options.rate / 100)
            : options.rate;
  let produced = 0;
  const producedPerOrg = new Map<string, number>();
  // The dispatcher's counters run from its start; the warm-up's share is taken off at the end.
  const dispatcherOpsPorts = pipeline.services.filter((s) => s.name === "dispatcher").map((s) => s.opsPort);
  const countsBefore = await dispatchersCounts(dispatcherOpsPorts);
  const began = Date.now();
  const parkedSampler = deadHooks.length ? await sampleParked(mongoUrl, deadHooks) : null;
  // dead: the endpoints come back after the first half of the load.
  const revive = deadHooks.length ? setTimeout(() => void receiver.reviveDead(), (options.durationS * 1000) / 2) : undefined;
  const progress = setInterval(async () => {
    const s = await receiver.counts();
    const dispatcher = dispatcherProgress(await dispatcherMetrics(dispatcherOpsPorts[0]));
    const dead = deadHooks.length ? ` dead=${s.deadDelivered}` : "";
    process.stdout.write(`\r${scenario.padEnd(8)} t=${Math.round((Date.now() - began) / 1000)}s produced=${produced} delivered=${s.received}${dead} dispatcher ${dispatcher}      `);
  }, 2_000);
  // Produce in 50 ms slices at the offered rate; a slow broker just lowers what is offered.
  const sliceMs = 50;
  for (let t = 0; Date.now() - began < options.durationS * 1000; t++) {
    const due = began + t * sliceMs;
    if (due > Date.now()) await sleep(due - Date.now());
    const count = Math.max(1, Math.round((rate * sliceMs) / 1000));
    const now = Date.now();
    const messages = Array.from({ length: count }, (_, i) => {
      const org = orgs[(produced + i) % orgs.length]!;
      producedPerOrg.set(org, (producedPerOrg.get(org) ?? 0) + 1);
      return domainEvent(produced + i, org, now);
    });
    // In size-bounded requests, whatever --event-bytes makes of the events.
    await sendInChunks(producer, [{ topic: topics.events, messages }]);
    produced += count;
  }
  const producedFor = (Date.now() - began) / 1000;

  // Drain: wait until the healthy deliveries have all arrived, and dead's dead endpoints'
  // (each event to a dead organization is one delivery), or stop growing.
  const expectedHealthy = produced * perDelivery * (scenario === "slow" || scenario === "failing" || scenario === "dead" ? 0.9 : scenario === "flaky" ? 1 / 3 : 1);
  // flaky: every delivery to the endpoint refusing first attempts, and all but the ladder's
  // own losses (six failures in a row, 1 in 64) to the random one.
  const expectedFlaky = scenario === "flaky" ? Math.floor(produced * (1 + 63 / 64)) : 0;
  const expectedDead = Object.fromEntries(deadHooks.map((h) => [h.path, producedPerOrg.get(h.org) ?? 0]));
  const expectedDeadTotal = Object.values(expectedDead).reduce((a, b) => a + b, 0);
  // dead: parked deliveries come back in pages, one webhook's at a time, each page a query
  // that takes FerretDB seconds (the dead scenario); nothing may arrive in between.
  const stallLimitMs = deadHooks.length ? 120_000 : scenario === "flaky" ? 30_000 : 15_000;
  // And however it progresses, dead gives up 15 min after the load: a page per ~50 s at 10 or 100 a page would take hours.
  // flaky stops 150 s after the load: what has not arrived by then is what the breaker cost.
  const giveUpAt = Date.now() + (deadHooks.length ? 15 * 60_000 : scenario === "flaky" ? 150_000 : Infinity);
  await waitForDrain({
    check: async () => {
      const s = await receiver.counts();
      const healthy = (s.byPrefix.ok ?? 0) + (s.byPrefix.fanout ?? 0);
      const done =
        healthy >= expectedHealthy && s.deadDelivered >= expectedDeadTotal && s.flakyAccepted >= expectedFlaky && (scenario !== "failing" || Date.now() - began > producedFor * 1000 + 20_000);
      return { done, progress: healthy + s.deadDelivered + s.flakyAccepted };
    },
    stallMs: stallLimitMs,
    giveUpAt,
    pollMs: 500,
  });
  clearTimeout(revive);
  clearInterval(progress);
  sampler.stop();
  process.stdout.write("\n");

  const s = await receiver.stats();
  const dispatcherOutcomes = sinceWarmUp(await dispatchersCounts(dispatcherOpsPorts), countsBefore);
  const usage = sampler.finish(() => (Date.now() - began) / 1000);
  const healthyCount = (s.byPrefix.ok ?? 0) + (s.byPrefix.fanout ?? 0);
  const activeSeconds = Math.max(0.001, (s.lastAt - s.firstAt) / 1000);
  // The healthy endpoints' rate over their own window: dead's parked deliveries, and failing's
  // retries, may arrive well after the last healthy one.
  const healthySeconds = Math.max(0.001, (s.healthyLastAt - s.healthyFirstAt) / 1000);
  const result: Result = {
    scenario,
    offeredEventsPerSecond: rate,
    webhooks: hooks.length,
    produced,
    deliveries: s.received,
    deliveriesPerSecond: Math.round(s.received / activeSeconds),
    healthyDeliveriesPerSecond: Math.round(healthyCount / healthySeconds),
    perHealthyEndpointPerSecond: Math.round((healthyCount / healthySeconds / healthyHooks.length) * 10) / 10,
    dispatcherOutcomes,
    latencyMs: latencySummary(s.latenciesMs),
    steadyLatencyMs: latencySummary(s.latenciesMs.filter((_, i) => s.producedAt[i]! >= began + 5_000)),
    services: usage,
    cpuMsPerDelivery: cpuPerDelivery(usage, s.received),
  };
  if (ceilings) result.percentOfCeiling = percentOfCeiling(result.deliveriesPerSecond, ceilings);
  if (scenario === "paced") {
    // Where the first seconds' latency arises: before the job exists (fanout, Kafka) or after.
    const fanoutLags = await fanoutLagsBySecond(kafka, runId, topics.deliveries, began, produced * perDelivery);
    result.latencyBySecond = latencyBySecond(s.producedAt, s.latenciesMs, began, fanoutLags);
  }
  result.healthyArrivalsPer5s = arrivalsPerInterval(s.producedAt, s.latenciesMs, began, 5);
  if (scenario === "failing") result.retryLatenessMs = retryLateness(s.failedAttemptTimes, retryDelays);
  const everParked = parkedSampler ? await parkedSampler.stop() : null;
  if (deadHooks.length && everParked) result.dead = deadSummary(s.dead, expectedDead, everParked, dispatcherOutcomes, began);
  if (scenario === "flaky") result.flaky = await flakyAccount({ mongoUrl, hooks, stats: s.flaky, produced, loadEndedAt: began + producedFor * 1000 });

  if (oauth2) result.oauth2 = oauth2.summary(s.received, hooks.length);
  await producer.disconnect();
  await pipeline.stop();
  await oauth2?.close();
  if (deadHooks.length) await receiver.closeDead();
  return result;
}
