// The ordered scenario: 1,000 ordering keys across 20 ordered webhooks, 30 % of their
// requests refused at random, on the short retry ladder. It measures the keys' throughput,
// the lateness failing keys add to the keys that never fail (each event is also delivered
// to an unordered control webhook of the same organization, so a bystander's latency is set
// beside the same event's there), whether any key went backwards at the receiver, and
// then the dispatcher's memory with `--held` deliveries held behind keys that never
// succeed.
import { COLLECTIONS, connectMongo, countByStatus, createKafka, createProducer, EVENT_TYPES, sendInChunks, type DeliveryStatus } from "@agiletune/shared";
import type { OrderedStats } from "./receiver.js";
import { cpuPerDelivery, latencySummary, type Latency, type Result } from "./report.js";
import { dispatcherMetrics, ProcessSampler, waitForDrain } from "./sampling.js";
import { startBenchPipeline } from "./pipeline.js";
import type { ScenarioContext } from "./scenarios.js";

const WEBHOOKS = 20;
const KEYS_PER_WEBHOOK = 50;
/** Keys per held-phase webhook that never succeed; deliveries of each queue up behind its first. */
const STUCK_KEYS_PER_WEBHOOK = 5;
const RETRY_DELAYS_MS = [1000, 2000, 3000, 4000, 5000];

export type OrderedSummary = {
  keys: number;
  /** Distinct deliveries the ordered endpoints accepted per second while the load was offered. */
  acceptedPerSecondUnderLoad: number;
  accepted: number;
  /** When the last delivery was accepted, after the load's end. */
  lastAcceptedAfterLoadS: number;
  /** The ordered webhooks' log at the end, by status. */
  statuses: Partial<Record<DeliveryStatus, number>>;
  requests: number;
  refused: number;
  repeats: number;
  backwards: number;
  firstRequestBackwards: number;
  heldPeak: number;
  /** Keys that never fail: their latency, the same events' latency at the control webhooks, and the difference per event. */
  bystanderLatencyMs: Latency;
  controlLatencyMs: Latency;
  bystanderLatenessMs: Latency;
  failingKeyLatencyMs: Latency;
  /** The held phase; null when --held 0. */
  held: HeldPhase | null;
};

type HeldPhase = { produced: number; heldReached: number; holdsPerSecond: number; dispatcherRssMb: { before: number; peak: number; end: number }; dispatcherHeapMb: number };

/** Pure: a bystander's lateness is its latency less the same event's at the control webhook. */
export function bystanderLateness(stats: Pick<OrderedStats, "bystanderLatencyMs" | "controlLatencyMs">): { bystander: number[]; control: number[]; lateness: number[] } {
  const bystander: number[] = [];
  const control: number[] = [];
  const lateness: number[] = [];
  for (const [eventId, ms] of Object.entries(stats.bystanderLatencyMs)) {
    const controlMs = stats.controlLatencyMs[eventId];
    if (controlMs === undefined) continue;
    bystander.push(ms);
    control.push(controlMs);
    lateness.push(ms - controlMs);
  }
  return { bystander, control, lateness };
}

/** An event of `key`, its `seq`-th, carrying the key in data.id (its ordering key) and the sequence the receiver checks. */
function orderedEvent(opts: { runId: string; n: number; org: string; key: string; seq: number; now: number }): { key: string; value: string } {
  return {
    key: opts.org,
    value: JSON.stringify({
      id: `evt_${opts.runId}_ord_${opts.n}`,
      event: EVENT_TYPES[opts.n % EVENT_TYPES.length],
      timestamp: new Date(opts.now).toISOString(),
      organizationId: opts.org,
      data: { id: opts.key, seq: opts.seq, n: opts.n, title: "Implement login page", producedAt: opts.now },
    }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number | undefined) => Math.round((bytes ?? 0) / 2 ** 20);

export async function runOrderedScenario(ctx: ScenarioContext): Promise<Result> {
  const { infra, runId, logger, receiver, options } = ctx;
  const pipeline = await startBenchPipeline(ctx, "ordered", { env: { RETRY_DELAYS: RETRY_DELAYS_MS.map((d) => `${d}ms`).join(","), CIRCUIT_PROBE_INTERVAL: "1s" } });
  const hooks = [
    ...Array.from({ length: WEBHOOKS }, (_, w) => ({ org: `org_ord_${w}`, url: receiver.url(`/ordered/${w}`), ordered: true })),
    ...Array.from({ length: WEBHOOKS }, (_, w) => ({ org: `org_ord_${w}`, url: receiver.url(`/ordered-control/${w}`) })),
    ...(options.held ? Array.from({ length: WEBHOOKS }, (_, w) => ({ org: `org_held_${w}`, url: receiver.url(`/ordered/held-${w}`), ordered: true })) : []),
  ];
  const ids = await pipeline.createWebhooks(hooks, 4);
  const orderedIds = ids.slice(0, WEBHOOKS);
  const mongo = await connectMongo(pipeline.mongoUrl);
  const held = mongo.db.collection(COLLECTIONS.held);
  const kafka = createKafka({ brokers: infra.kafkaBrokers.split(","), clientId: `${runId}-producer`, logger });
  const producer = createProducer(kafka);
  await producer.connect();
  const sequences = new Map<string, number>();
  let n = 0;
  /** The next event of the round: webhook n % 20, its key n / 20 % 50, each key's events numbered from 0. */
  const nextEvent = (keyOf: (w: number, round: number) => string, orgOf: (w: number) => string) => {
    const w = n % WEBHOOKS;
    const key = keyOf(w, Math.floor(n / WEBHOOKS));
    const seq = sequences.get(key) ?? 0;
    sequences.set(key, seq + 1);
    return orderedEvent({ runId, n: n++, org: orgOf(w), key, seq, now: Date.now() });
  };
  const loadEvent = () =>
    nextEvent(
      (w, round) => `key_${w}_${round % KEYS_PER_WEBHOOK}`,
      (w) => `org_ord_${w}`,
    );
  const produceAt = async (rate: number, seconds: number): Promise<number> => {
    let sent = 0;
    for (const began = Date.now(); Date.now() - began < seconds * 1000; await sleep(50)) {
      const due = Math.floor((rate * (Date.now() - began)) / 1000) - sent;
      if (due <= 0) continue;
      await sendInChunks(producer, [{ topic: pipeline.topics.events, messages: Array.from({ length: due }, loadEvent) }]);
      sent += due;
    }
    return sent;
  };
  const waitFor = async (what: string, done: () => Promise<boolean>, timeoutMs: number) => {
    for (const until = Date.now() + timeoutMs; !(await done()); await sleep(500)) if (Date.now() > until) throw new Error(`ordered: ${what} within ${timeoutMs / 1000} s`);
  };

  // Warm-up without failures, so that no key starts the measured load behind a retry.
  await receiver.orderedFailures(false);
  const warm = await produceAt(options.pacedRate, Math.max(1, options.warmUpS));
  await waitFor(`the warm-up's ${warm} deliveries`, async () => (await receiver.counts()).orderedAccepted >= warm, 120_000);
  await receiver.reset();
  await receiver.orderedFailures(true);

  const sampler = new ProcessSampler(pipeline.pids({ receiver: receiver.pid }));
  sampler.start();
  let heldPeak = 0;
  const heldSampler = setInterval(() => {
    void held.countDocuments({}).then(
      (c) => (heldPeak = Math.max(heldPeak, c)),
      () => undefined,
    );
  }, 2_000);
  const began = Date.now();
  const progress = setInterval(async () => {
    const c = await receiver.counts();
    process.stdout.write(`\rordered  t=${Math.round((Date.now() - began) / 1000)}s produced=${n - warm} accepted=${c.orderedAccepted} control=${c.orderedControl} heldPeak=${heldPeak}      `);
  }, 2_000);
  const produced = await produceAt(options.orderedRate, options.durationS);
  const loadEndedAt = Date.now();
  const acceptedUnderLoad = (await receiver.counts()).orderedAccepted;

  // Each delivery ends accepted or, after six refusals in a row (1 in 729 of a failing key's), failed.
  const ended = async () => {
    const statuses = await Promise.all(orderedIds.map((id) => countByStatus(mongo.db, id)));
    return statuses.reduce((sum, s) => sum + (s.succeeded ?? 0) + (s.failed ?? 0), 0) - warm;
  };
  await waitForDrain({
    check: async () => {
      const [c, endedCount] = [await receiver.counts(), await ended()];
      return { done: endedCount >= produced && c.orderedControl >= produced, progress: endedCount };
    },
    stallMs: 30_000,
    giveUpAt: loadEndedAt + 180_000,
    pollMs: 1_000,
  });
  clearInterval(heldSampler);
  clearInterval(progress);
  sampler.stop();
  process.stdout.write("\n");
  const s = await receiver.stats();
  const usage = sampler.finish(() => (Date.now() - began) / 1000);
  const statuses: Partial<Record<DeliveryStatus, number>> = {};
  for (const id of orderedIds) for (const [status, count] of Object.entries(await countByStatus(mongo.db, id))) statuses[status as DeliveryStatus] = (statuses[status as DeliveryStatus] ?? 0) + count;
  const o = s.ordered;
  const pairs = bystanderLateness(o);
  const summary: OrderedSummary = {
    keys: WEBHOOKS * KEYS_PER_WEBHOOK,
    acceptedPerSecondUnderLoad: Math.round(acceptedUnderLoad / ((loadEndedAt - began) / 1000)),
    accepted: o.accepted,
    lastAcceptedAfterLoadS: Math.round((o.lastAcceptedAt - loadEndedAt) / 100) / 10,
    statuses,
    requests: o.requests,
    refused: o.refused,
    repeats: o.repeats,
    backwards: o.backwards,
    firstRequestBackwards: o.firstRequestBackwards,
    heldPeak,
    bystanderLatencyMs: latencySummary(pairs.bystander),
    controlLatencyMs: latencySummary(pairs.control),
    bystanderLatenessMs: latencySummary(pairs.lateness),
    failingKeyLatencyMs: latencySummary(o.failingKeyLatencyMs),
    held: options.held ? await heldPhase() : null,
  };

  async function heldPhase(): Promise<HeldPhase> {
    const dispatcher = pipeline.service("dispatcher");
    const heldSamples = new ProcessSampler({ dispatcher: dispatcher.pid! });
    heldSamples.start();
    const before = mb((await dispatcherMetrics(dispatcher.opsPort)).find((m) => m.name === "process_resident_memory_bytes")?.value);
    const stuckEvent = () =>
      nextEvent(
        (w, round) => `stuck_${w}_${round % STUCK_KEYS_PER_WEBHOOK}`,
        (w) => `org_held_${w}`,
      );
    const from = Date.now();
    for (let sent = 0; sent < options.held; sent += 5_000) {
      await sendInChunks(producer, [{ topic: pipeline.topics.events, messages: Array.from({ length: Math.min(5_000, options.held - sent) }, stuckEvent) }]);
    }
    // Every delivery but each stuck key's first is held; the first climbs its ladder.
    const target = options.held - WEBHOOKS * STUCK_KEYS_PER_WEBHOOK;
    let heldNow = 0;
    let lastHeld = -1;
    let stable = Date.now();
    while (heldNow < target && Date.now() - stable < 30_000) {
      await sleep(2_000);
      heldNow = await held.countDocuments({});
      if (heldNow !== lastHeld) stable = Date.now();
      lastHeld = heldNow;
      process.stdout.write(`\rordered  held=${heldNow} of ${target} after ${Math.round((Date.now() - from) / 1000)}s      `);
    }
    const holdsPerSecond = Math.round(heldNow / ((Date.now() - from) / 1000));
    // Ten more seconds of holding them, for the resident size to settle.
    await sleep(10_000);
    heldSamples.stop();
    process.stdout.write("\n");
    const metrics = await dispatcherMetrics(dispatcher.opsPort);
    const rss = heldSamples.finish(() => (Date.now() - from) / 1000).dispatcher!;
    return {
      produced: options.held,
      heldReached: heldNow,
      holdsPerSecond,
      dispatcherRssMb: { before, peak: rss.peakRssMb, end: rss.rssEndMb },
      dispatcherHeapMb: mb(metrics.find((m) => m.name === "nodejs_heap_size_used_bytes")?.value),
    };
  }

  await producer.disconnect();
  await mongo.client.close();
  await pipeline.stop();
  const deliveries = o.accepted + Object.keys(o.controlLatencyMs).length;
  const activeSeconds = Math.max(0.001, (o.lastAcceptedAt - o.firstAcceptedAt) / 1000);
  return {
    scenario: "ordered",
    offeredEventsPerSecond: options.orderedRate,
    webhooks: hooks.length,
    produced,
    deliveries,
    deliveriesPerSecond: Math.round(deliveries / activeSeconds),
    healthyDeliveriesPerSecond: Math.round(Object.keys(o.controlLatencyMs).length / activeSeconds),
    perHealthyEndpointPerSecond: Math.round((Object.keys(o.controlLatencyMs).length / activeSeconds / WEBHOOKS) * 10) / 10,
    dispatcherOutcomes: {},
    latencyMs: summary.controlLatencyMs,
    steadyLatencyMs: summary.controlLatencyMs,
    services: usage,
    cpuMsPerDelivery: cpuPerDelivery(usage, deliveries),
    ordered: summary,
  };
}
