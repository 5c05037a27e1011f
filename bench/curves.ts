// `pnpm bench:curves`: how each cost grows as the work grows, every curve
// from one run of one commit, beside the machine's ceilings measured in the same run.
//   webhooks  10, 1,000, 10,000 subscriptions across 1,000 organizations: fanout's CPU per event and memory
//   fanout    one event to 1, 100, 1,000 webhooks of one organization: deliveries/s, produce to last delivery
//   size      events of 1 KB, 100 KB, 1 MB to 50 webhooks: deliveries/s and every process's memory
//   backlog   1,000, 10,000, 100,000 jobs waiting in the retry tiers, all due at once: the retry service's memory and lateness
// Writes results/curves-<time>-<commit>.json and a chart per curve next to it.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "@agiletune/local-infra";
import { createKafka, createProducer, deliveryIdFor, encodeDeliveryJob, sendInChunks, type DeliveryJob } from "@agiletune/shared";
import { measureCeilings, type Ceilings } from "./ceilings.js";
import { renderPng } from "./chart.js";
import { benchEvent, startBenchPipeline, type BenchPipeline, type PipelineContext } from "./pipeline.js";
import type { ReceiverProcess } from "./receiver-client.js";
import { ceilingsLine, cpuPerDelivery, percentile } from "./report.js";
import { startHarness } from "./harness.js";
import { ProcessSampler, type ServiceUsage } from "./sampling.js";
import type { TopLevelSpec } from "vega-lite";

const CURVES = ["webhooks", "fanout", "size", "backlog"] as const;
type Curve = (typeof CURVES)[number];

const HELP = `pnpm bench:curves [-- options]

  --curves LIST   comma-separated, of: ${CURVES.join(", ")} (default: all)
  --scale F       multiply every point's size and load by F (e.g. 0.01 for a smoke run; default 1)
  --no-ceilings   skip the raw HTTP, Kafka and log-insert ceilings
  --points LIST   only these points of the curves (e.g. 10000)
  --profile SERVICE  write a V8 CPU profile of that service to bench/results/profiles/
  --chart FILE    only redraw the charts of an earlier run's results/curves-*.json
  --help          this text`;

type Producer = ReturnType<typeof createProducer>;
type CurveContext = PipelineContext & { receiver: ReceiverProcess; scale: number };
type Point = Record<string, number | string | Record<string, number>>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;
const peakRss = (usage: Record<string, ServiceUsage>) => Object.fromEntries(Object.entries(usage).map(([n, u]) => [n, u.peakRssMb]));

async function untilReceived(receiver: ReceiverProcess, expected: number, what: string, stallMs = 30_000): Promise<void> {
  let last = -1;
  let stableSince = Date.now();
  for (;;) {
    const { received } = await receiver.counts();
    if (received >= expected) return;
    if (received !== last) stableSince = Date.now();
    else if (Date.now() - stableSince > stallMs) throw new Error(`${what}: ${received} of ${expected} deliveries, none for ${stallMs / 1000} s`);
    last = received;
    await sleep(100);
  }
}

async function connectedProducer(ctx: CurveContext): Promise<Producer> {
  const producer = createProducer(createKafka({ brokers: ctx.infra.kafkaBrokers.split(","), clientId: `${ctx.runId}-curves`, logger: ctx.logger }));
  await producer.connect();
  return producer;
}

/** One event to every organization that has a webhook, delivered, then the receiver's counts reset: connections, caches and JIT as in a running pipeline. */
async function warmUp(ctx: CurveContext, pipeline: BenchPipeline, producer: Producer, hooks: Array<{ org: string }>): Promise<void> {
  const orgs = [...new Set(hooks.map((h) => h.org))];
  await ctx.receiver.reset();
  await sendInChunks(producer, [{ topic: pipeline.topics.events, messages: orgs.map((org, i) => benchEvent(ctx.runId, i, org, Date.now(), { idPrefix: "warmup_" })) }]);
  await untilReceived(ctx.receiver, hooks.length, "warm-up");
  await ctx.receiver.reset();
}

/** Ends a point's measured window (since `began`) and tears it down: each process's usage, the receiver's stats, the window's length. */
async function endPoint(ctx: CurveContext, sampler: ProcessSampler, began: number, producer: Producer, pipeline: BenchPipeline) {
  sampler.stop();
  const wallS = (Date.now() - began) / 1000;
  const usage = sampler.finish(() => wallS);
  const stats = await ctx.receiver.stats();
  await producer.disconnect();
  await pipeline.stop();
  return { usage, stats, wallS };
}

/** Webhooks: `subscriptions` spread over 1,000 organizations, events to all 1,000 in turn at a fixed rate. */
async function webhooksPoint(ctx: CurveContext, subscriptions: number): Promise<Point> {
  const pipeline = await startBenchPipeline(ctx, `webhooks${subscriptions}`);
  const orgCount = Math.max(1, Math.round(1000 * ctx.scale));
  const hooks = Array.from({ length: Math.max(1, Math.round(subscriptions * ctx.scale)) }, (_, i) => ({ org: `org_${i % orgCount}`, url: ctx.receiver.url(`/ok/${i}`) }));
  const createdAt = Date.now();
  await pipeline.createWebhooks(hooks, 8);
  const createS = (Date.now() - createdAt) / 1000;
  const producer = await connectedProducer(ctx);
  await warmUp(ctx, pipeline, producer, hooks);
  const hooksPerOrg = new Map<string, number>();
  for (const h of hooks) hooksPerOrg.set(h.org, (hooksPerOrg.get(h.org) ?? 0) + 1);

  // 100 events/s for 30 s: at 10,000 webhooks that is 1,000 deliveries/s, under the
  // dispatcher's ceiling, so fanout's figures are not those of a backlog.
  const rate = 100;
  const events = Math.max(10, Math.round(3000 * ctx.scale));
  const fanoutRssBefore = (await sampleOnce(pipeline)).fanout ?? 0;
  // What fanout spends with no events (polling, heartbeats, metrics), to take off the per-event figure.
  const idle = new ProcessSampler(pipeline.pids());
  idle.start();
  await sleep(10_000);
  const idleCpuPerSecond = idle.finish(() => 10).fanout!.cpuSeconds / 10;
  const sampler = new ProcessSampler(pipeline.pids({ receiver: ctx.receiver.pid }));
  sampler.start();
  const began = Date.now();
  let expected = 0;
  for (let sent = 0; sent < events; ) {
    const due = Math.floor(((Date.now() - began) * rate) / 1000) + 1;
    const messages = [];
    for (; sent < Math.min(due, events); sent++) {
      const org = `org_${sent % orgCount}`;
      expected += hooksPerOrg.get(org) ?? 0;
      messages.push(benchEvent(ctx.runId, sent, org, Date.now()));
    }
    if (messages.length) await sendInChunks(producer, [{ topic: pipeline.topics.events, messages }]);
    await sleep(20);
  }
  await untilReceived(ctx.receiver, expected, `webhooks ${subscriptions}`);
  const { usage, stats: s, wallS } = await endPoint(ctx, sampler, began, producer, pipeline);
  return {
    subscriptions: hooks.length,
    organizations: orgCount,
    createWebhooksS: round(createS, 1),
    events,
    deliveries: s.received,
    fanoutCpuMsPerEvent: round((usage.fanout!.cpuSeconds * 1000) / events, 3),
    fanoutIdleCpuMsPerSecond: round(idleCpuPerSecond * 1000, 1),
    fanoutCpuMsPerEventLessIdle: round(((usage.fanout!.cpuSeconds - idleCpuPerSecond * wallS) * 1000) / events, 3),
    fanoutRssBeforeMb: fanoutRssBefore,
    fanoutPeakRssMb: usage.fanout!.peakRssMb,
    deliveryLatencyP99Ms:
      percentile(
        [...s.latenciesMs].sort((a, b) => a - b),
        99,
      ) ?? 0,
    cpuSeconds: Object.fromEntries(Object.entries(usage).map(([n, u]) => [n, u.cpuSeconds])),
    peakRssMb: peakRss(usage),
  };
}

/** RSS of each process now, in MB. */
async function sampleOnce(pipeline: BenchPipeline): Promise<Record<string, number>> {
  const sampler = new ProcessSampler(pipeline.pids());
  sampler.start();
  return Object.fromEntries(Object.entries(sampler.finish(() => 1)).map(([n, u]) => [n, u.rssEndMb]));
}

/** Fan-out: `width` webhooks in one organization. Single events one at a time (produce to last delivery), then a burst of ~20,000 deliveries (deliveries/s). */
async function fanoutPoint(ctx: CurveContext, width: number): Promise<Point> {
  const pipeline = await startBenchPipeline(ctx, `fanout${width}`);
  const hooks = Array.from({ length: width }, (_, i) => ({ org: "org_wide", url: ctx.receiver.url(`/ok/${i}`) }));
  await pipeline.createWebhooks(hooks, 8);
  const producer = await connectedProducer(ctx);
  await warmUp(ctx, pipeline, producer, hooks);

  const singles: number[] = [];
  for (let i = 0; i < 5; i++) {
    await ctx.receiver.reset();
    await sendInChunks(producer, [{ topic: pipeline.topics.events, messages: [benchEvent(ctx.runId, i, "org_wide", Date.now(), { idPrefix: "single_" })] }]);
    await untilReceived(ctx.receiver, width, `fanout ${width} single event`);
    singles.push(Math.max(...(await ctx.receiver.stats()).latenciesMs));
  }

  await ctx.receiver.reset();
  const events = Math.max(1, Math.round((20_000 * ctx.scale) / width));
  const sampler = new ProcessSampler(pipeline.pids({ receiver: ctx.receiver.pid }));
  sampler.start();
  const began = Date.now();
  await sendInChunks(producer, [{ topic: pipeline.topics.events, messages: Array.from({ length: events }, (_, i) => benchEvent(ctx.runId, i, "org_wide", began, { idPrefix: "burst_" })) }]);
  await untilReceived(ctx.receiver, events * width, `fanout ${width} burst`);
  const { usage, stats: s } = await endPoint(ctx, sampler, began, producer, pipeline);
  return {
    width,
    singleEventToLastDeliveryMs: { median: [...singles].sort((a, b) => a - b)[2]!, min: Math.min(...singles), max: Math.max(...singles) },
    burstEvents: events,
    burstDeliveries: s.received,
    deliveriesPerSecond: Math.round(s.received / Math.max(0.001, (s.lastAt - began) / 1000)),
    burstToLastDeliveryMs: s.lastAt - began,
    cpuMsPerDelivery: cpuPerDelivery(usage, s.received),
    peakRssMb: peakRss(usage),
  };
}

/** Event size: events padded to `bytes` to 50 webhooks in 50 organizations, ~`budgetMb` of them produced at once. */
async function sizePoint(ctx: CurveContext, bytes: number): Promise<Point> {
  const pipeline = await startBenchPipeline(ctx, `size${bytes}`);
  const hooks = Array.from({ length: 50 }, (_, i) => ({ org: `org_${i}`, url: ctx.receiver.url(`/ok/${i}`) }));
  await pipeline.createWebhooks(hooks, 8);
  const producer = await connectedProducer(ctx);
  await warmUp(ctx, pipeline, producer, hooks);
  // Padded so the event's JSON is `bytes` long (ids grow by a digit or two with the count).
  const padding = "x".repeat(Math.max(1, bytes - (benchEvent(ctx.runId, 0, "org_0", Date.now(), { padding: "x" }).value.length - 1)));
  const sample = benchEvent(ctx.runId, 0, "org_0", Date.now(), { padding }).value.length;
  const events = Math.max(50, Math.round((Math.min(20_000, 300_000_000 / bytes) * ctx.scale) / 50) * 50);
  const sampler = new ProcessSampler(pipeline.pids({ receiver: ctx.receiver.pid }));
  sampler.start();
  const began = Date.now();
  // Made as they are sent: 300 events of 1 MB are not held at once here either.
  const messages = (function* () {
    for (let i = 0; i < events; i++) yield benchEvent(ctx.runId, i, `org_${i % 50}`, Date.now(), { padding });
  })();
  await sendInChunks(producer, [{ topic: pipeline.topics.events, messages }]);
  const producedS = (Date.now() - began) / 1000;
  await untilReceived(ctx.receiver, events, `size ${bytes}`, 60_000);
  const { usage, stats: s } = await endPoint(ctx, sampler, began, producer, pipeline);
  return {
    eventBytes: sample,
    events,
    producedInS: round(producedS, 1),
    deliveries: s.received,
    deliveriesPerSecond: Math.round(s.received / Math.max(0.001, (s.lastAt - began) / 1000)),
    megabytesPerSecond: round((s.received * sample) / 1e6 / Math.max(0.001, (s.lastAt - began) / 1000), 1),
    latencyP99Ms:
      percentile(
        [...s.latenciesMs].sort((a, b) => a - b),
        99,
      ) ?? 0,
    cpuMsPerDelivery: cpuPerDelivery(usage, s.received),
    peakRssMb: peakRss(usage),
  };
}

/**
 * Retry backlog: `jobs` delivery jobs spread over the five tiers, all due at one moment,
 * with only the retry service running. Lateness is each job's hand-back (its record's
 * timestamp on the deliveries topic) less its due time.
 */
async function backlogPoint(ctx: CurveContext, jobs: number): Promise<Point> {
  const pipeline = await startBenchPipeline(ctx, `backlog${jobs}`, { instances: { dispatcher: 0, fanout: 0, "admin-api": 0 } });
  const count = Math.max(10, Math.round(jobs * ctx.scale));
  const producer = await connectedProducer(ctx);
  const kafka = createKafka({ brokers: ctx.infra.kafkaBrokers.split(","), clientId: `${ctx.runId}-backlog-reader`, logger: ctx.logger });
  const handedBack: number[] = [];
  const reader = kafka.consumer({ groupId: `${ctx.runId}-backlog${jobs}-reader`, maxWaitTimeInMs: 100 });
  await reader.connect();
  await reader.subscribe({ topic: pipeline.topics.deliveries, fromBeginning: true });
  await reader.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) handedBack.push(Number(m.timestamp) - (JSON.parse(m.value!.toString()) as { dueAt: number }).dueAt);
    },
  });
  const sampler = new ProcessSampler(pipeline.pids());
  sampler.start();
  // Due after the produce has certainly finished (~20 k jobs/s here), plus 10 s of waiting.
  const producedAt = Date.now();
  const dueAt = producedAt + Math.ceil(count / 20_000) * 1000 + 10_000;
  const job = (n: number): DeliveryJob => {
    const webhookId = `wh_backlog_${n % 100}`;
    const eventId = `evt_${ctx.runId}_backlog_${n}`;
    return {
      deliveryId: deliveryIdFor(eventId, webhookId),
      webhookId,
      organizationId: `org_${n % 100}`,
      eventId,
      event: "task.updated",
      timestamp: new Date(producedAt).toISOString(),
      data: { id: `obj_${n}`, title: "Implement login page" },
      attempt: 1 + (n % 5),
      source: "event",
      dueAt,
      enqueuedAt: producedAt,
    };
  };
  const tiers = pipeline.topics.retries;
  await sendInChunks(
    producer,
    tiers.map((topic, t) => ({
      topic,
      messages: (function* () {
        for (let n = t; n < count; n += tiers.length) yield { key: job(n).webhookId, value: encodeDeliveryJob(job(n)) };
      })(),
    })),
  );
  const producedS = (Date.now() - producedAt) / 1000;
  if (Date.now() > dueAt) console.warn(`backlog ${jobs}: the produce ended after the due time`);
  await sleep(Math.max(0, dueAt - Date.now() - 500));
  const retryRssWaitingMb = (await sampleOnce(pipeline)).retry ?? 0;
  for (let stableSince = Date.now(), last = -1; handedBack.length < count; await sleep(200)) {
    if (handedBack.length !== last) stableSince = Date.now();
    else if (Date.now() - stableSince > 30_000) throw new Error(`backlog ${jobs}: ${handedBack.length} of ${count} handed back`);
    last = handedBack.length;
  }
  sampler.stop();
  const usage = sampler.finish(() => (Date.now() - producedAt) / 1000);
  await reader.disconnect();
  await producer.disconnect();
  await pipeline.stop();
  const lateness = [...handedBack].sort((a, b) => a - b);
  return {
    jobs: count,
    producedInS: round(producedS, 1),
    handedBack: handedBack.length,
    latenessMs: { p50: percentile(lateness, 50)!, p99: percentile(lateness, 99)!, max: lateness.at(-1)! },
    retryRssWaitingMb,
    retryPeakRssMb: usage.retry!.peakRssMb,
    retryCpuSeconds: usage.retry!.cpuSeconds,
    kafkaPeakRssMb: usage.kafka?.peakRssMb ?? 0,
  };
}

const POINTS: Record<Curve, { values: number[]; run: (ctx: CurveContext, value: number) => Promise<Point> }> = {
  webhooks: { values: [10, 1000, 10_000], run: webhooksPoint },
  fanout: { values: [1, 100, 1000], run: fanoutPoint },
  size: { values: [1000, 100_000, 1_000_000], run: sizePoint },
  backlog: { values: [1000, 10_000, 100_000], run: backlogPoint },
};

/** Two panels per curve: x is the curve's parameter (log scale), one measure on each y. */
function curveChart(curve: Curve, points: Point[], title: string): TopLevelSpec {
  const num = (p: Point, k: string) => p[k] as number;
  const sub = (p: Point, k: string) => p[k] as Record<string, number>;
  type Panels = {
    xTitle: string;
    left: Array<{ series: string; x: number; y: number }>;
    leftTitle: string;
    right: Array<{ series: string; x: number; y: number }>;
    rightTitle: string;
    logY?: "left" | "right";
  };
  // Functions: each reads fields only its own curve's points have.
  const panels: Record<Curve, () => Panels> = {
    webhooks: () => ({
      xTitle: "subscriptions (1,000 organizations)",
      left: points.flatMap((p) => [
        { series: "fanout CPU ms per event", x: num(p, "subscriptions"), y: num(p, "fanoutCpuMsPerEvent") },
        { series: "less its idle CPU", x: num(p, "subscriptions"), y: num(p, "fanoutCpuMsPerEventLessIdle") },
      ]),
      leftTitle: "fanout CPU ms per event",
      right: points.flatMap((p) => [
        { series: "fanout peak RSS", x: num(p, "subscriptions"), y: num(p, "fanoutPeakRssMb") },
        { series: "fanout RSS before the load", x: num(p, "subscriptions"), y: num(p, "fanoutRssBeforeMb") },
      ]),
      rightTitle: "MB",
    }),
    fanout: () => ({
      xTitle: "webhooks one event goes to",
      left: points.map((p) => ({ series: "deliveries/s (burst)", x: num(p, "width"), y: num(p, "deliveriesPerSecond") })),
      leftTitle: "deliveries/s",
      right: points.map((p) => ({ series: "one event: produce to last delivery", x: num(p, "width"), y: sub(p, "singleEventToLastDeliveryMs").median! })),
      rightTitle: "ms, median of 5 (log scale)",
      logY: "right",
    }),
    size: () => ({
      xTitle: "event bytes",
      left: points.map((p) => ({ series: "deliveries/s", x: num(p, "eventBytes"), y: num(p, "deliveriesPerSecond") })),
      leftTitle: "deliveries/s (log scale)",
      logY: "left",
      right: points.flatMap((p) => Object.entries(sub(p, "peakRssMb")).map(([series, y]) => ({ series, x: num(p, "eventBytes"), y }))),
      rightTitle: "peak RSS, MB",
    }),
    backlog: () => ({
      xTitle: "jobs due at once",
      left: points.flatMap((p) => Object.entries(sub(p, "latenessMs")).map(([q, y]) => ({ series: `lateness ${q}`, x: num(p, "jobs"), y: y / 1000 }))),
      leftTitle: "seconds after due",
      right: points.flatMap((p) => [
        { series: "retry peak RSS", x: num(p, "jobs"), y: num(p, "retryPeakRssMb") },
        { series: "retry RSS while waiting", x: num(p, "jobs"), y: num(p, "retryRssWaitingMb") },
      ]),
      rightTitle: "MB",
    }),
  };
  const c = panels[curve]();
  const panel = (values: Array<{ series: string; x: number; y: number }>, yTitle: string, logY: boolean) => ({
    data: { values },
    mark: { type: "line" as const, point: true },
    width: 300,
    height: 220,
    encoding: {
      x: { field: "x", type: "quantitative" as const, scale: { type: "log" as const }, title: c.xTitle },
      y: { field: "y", type: "quantitative" as const, title: yTitle, ...(logY ? { scale: { type: "log" as const } } : {}) },
      color: { field: "series", type: "nominal" as const, legend: { orient: "bottom" as const, title: null, columns: 2, labelLimit: 320 } },
    },
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: { text: title, fontSize: 13 },
    background: "white",
    hconcat: [panel(c.left, c.leftTitle, c.logY === "left"), panel(c.right, c.rightTitle, c.logY === "right")],
    resolve: { scale: { color: "independent" } },
  };
}

type CurvesRun = { at: string; commit: string; command: string; machine: Record<string, unknown>; scale: number; ceilings: Ceilings | null; curves: Partial<Record<Curve, Point[]>> };

/** `<base>-<curve>.png` for each curve of the run. */
async function drawCurves(run: CurvesRun, base: string): Promise<void> {
  const { ceilings } = run;
  for (const [curve, points] of Object.entries(run.curves) as Array<[Curve, Point[]]>) {
    const title = `${curve}: commit ${run.commit}, ${run.at.slice(0, 16).replace("T", " ")} UTC${ceilings ? ` (ceilings: HTTP ${ceilings.httpRequestsPerSecond}/s, log inserts ${ceilings.databaseLogInsertsPerSecond}/s)` : ""}`;
    console.log(`chart: ${await renderPng(curveChart(curve, points, title), `${base}-${curve}.png`)}`);
  }
}

async function main(argv: string[]): Promise<void> {
  const { values: args } = parseArgs({
    args: argv.filter((a) => a !== "--"),
    options: {
      chart: { type: "string" },
      points: { type: "string" },
      profile: { type: "string" },
      curves: { type: "string", default: CURVES.join(",") },
      scale: { type: "string", default: "1" },
      "no-ceilings": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (args.help) return void console.log(HELP);
  if (args.chart) return drawCurves(JSON.parse(readFileSync(args.chart, "utf8")) as CurvesRun, args.chart.replace(/\.json$/, ""));
  const curves = args.curves.split(",").map((c) => c.trim()) as Curve[];
  for (const c of curves) if (!CURVES.includes(c)) throw new Error(`unknown curve "${c}" (of: ${CURVES.join(", ")})`);
  const scale = Number(args.scale);
  if (!(scale > 0)) throw new Error(`--scale must be a positive number, not "${args.scale}"`);

  const { logger, infra, runId, receiver, liveServices, commit, machine } = await startHarness("curves");
  const ceilings: Ceilings | null = args["no-ceilings"] ? null : await measureCeilings({ infra, runId, logger, receiver });
  if (ceilings) console.log(ceilingsLine(ceilings));

  const ctx: CurveContext = { infra, runId, logger, liveServices, receiver, scale, profile: args.profile };
  const only = args.points?.split(",").map(Number);
  const results: Partial<Record<Curve, Point[]>> = {};
  for (const curve of curves) {
    const points: Point[] = [];
    for (const value of POINTS[curve].values.filter((v) => !only || only.includes(v))) {
      process.stdout.write(`${curve} ${value} ... `);
      const point = await POINTS[curve].run(ctx, value);
      console.log(JSON.stringify(point));
      points.push(point);
    }
    results[curve] = points;
  }

  const at = new Date().toISOString();
  const base = join(REPO_ROOT, "bench/results", `curves-${at.replace(/[:.]/g, "-")}-${commit}`);
  const run: CurvesRun = { at, commit, command: `pnpm bench:curves -- ${argv.filter((a) => a !== "--").join(" ")}`.trim(), machine, scale, ceilings, curves: results };
  writeFileSync(`${base}.json`, `${JSON.stringify(run, null, 2)}\n`);
  console.log(`results: ${base}.json`);
  await drawCurves(run, base);
  receiver.exit();
  if (infra.started.length) await infra.stop();
}

if (process.argv[1] === import.meta.filename) await main(process.argv.slice(2));
