// The drain scenario: the backlog a stopped pipeline finds when it starts. --drain-events
// events (one delivery each) are produced to the events topic while fanout and the
// dispatcher are not yet started; then both start and the drain is measured at the
// receiver (drain-measure.ts): deliveries/s from the first receipt to the last, and the
// machine's CPU per delivery until the delivery log holds every one. healthy's layout:
// 50 organizations with one webhook each (/ok/0 ... /ok/49), events spread evenly. The
// twin of `pnpm bench:svix` (svix-drain.ts), which measures a Svix worker the same way.
import { connectMongo, createKafka, createProducer, deliveriesCollection, sendInChunks } from "@agiletune/shared";
import type { Ceilings } from "./ceilings.js";
import { measureDrain } from "./drain-measure.js";
import { benchEvent, startBenchPipeline } from "./pipeline.js";
import { cpuPerDelivery, latencySummary, percentOfCeiling, type Result } from "./report.js";
import { dispatcherCounts, dispatcherMetrics, ProcessSampler } from "./sampling.js";
import type { ScenarioContext } from "./scenarios.js";

const WEBHOOKS = 50;
/** Events per produce call; sendInChunks splits each into size-bounded requests. */
const PRODUCE_BATCH = 5_000;

export async function runDrainScenario(ctx: ScenarioContext, ceilings: Ceilings | null): Promise<Result> {
  const { infra, runId, logger, receiver, options } = ctx;
  const pipeline = await startBenchPipeline({ ...ctx, profile: options.profile, heapProfile: options.heapProfile }, "drain", {
    env: {
      ...(options.endpointStats ? {} : { ENDPOINT_STATS: "false" }),
      ...(ctx.otlpEndpoint ? { OTEL_EXPORTER_OTLP_ENDPOINT: ctx.otlpEndpoint } : {}),
    },
    deferred: ["fanout", "dispatcher"],
  });
  const orgs = Array.from({ length: WEBHOOKS }, (_, i) => `org_${i}`);
  await pipeline.createWebhooks(orgs.map((org, i) => ({ org, url: receiver.url(`/ok/${i}`) })));

  const producer = createProducer(createKafka({ brokers: infra.kafkaBrokers.split(","), clientId: `${runId}-producer`, logger }));
  await producer.connect();
  const padding = "x".repeat(options.eventBytes);
  for (let from = 0; from < options.drainEvents; from += PRODUCE_BATCH) {
    const count = Math.min(PRODUCE_BATCH, options.drainEvents - from);
    const messages = Array.from({ length: count }, (_, i) => benchEvent(runId, from + i, orgs[(from + i) % WEBHOOKS]!, Date.now(), { padding }));
    await sendInChunks(producer, [{ topic: pipeline.topics.events, messages }]);
  }
  await producer.disconnect();
  console.log(`drain: ${options.drainEvents} events produced with fanout and the dispatcher stopped; starting them`);

  const mongo = await connectMongo(pipeline.mongoUrl);
  // Per process from the services' readiness on; the machine's window opens later still, at the first receipt.
  const perProcess: { sampler?: ProcessSampler; startedAt: number } = { startedAt: 0 };
  const drain = await measureDrain({
    receiver,
    expected: options.drainEvents,
    httpCeiling: ceilings?.httpRequestsPerSecond ?? null,
    firstWithinMs: 120_000,
    stallMs: 30_000,
    logWithinMs: 120_000,
    start: async () => {
      await pipeline.startDeferred();
      perProcess.sampler = new ProcessSampler(pipeline.pids({ receiver: receiver.pid }));
      perProcess.sampler.start();
      perProcess.startedAt = Date.now();
    },
    // The log's writes the server acknowledged, by the dispatcher's count: a count of 30,000
    // entries costs FerretDB about 3 s of CPU, which would land in the measured window (and
    // stretch it by up to a count's time). The log itself is counted once the window is over.
    logComplete: async () => (dispatcherCounts(await dispatcherMetrics(pipeline.service("dispatcher").opsPort))["log:deliveries/inserts:operations"] ?? 0) >= options.drainEvents,
    onProgress: (received) => process.stdout.write(`\rdrain    delivered ${received} of ${options.drainEvents}      `),
  });
  process.stdout.write("\n");
  perProcess.sampler?.stop();
  const succeededInLog = await deliveriesCollection(mongo.db).countDocuments({ status: "succeeded" });
  if (drain.logCompleteAfterLastDeliveryMs !== null && succeededInLog < options.drainEvents) {
    throw new Error(`the dispatcher counted every log write acknowledged, but the log holds ${succeededInLog} succeeded deliveries of ${options.drainEvents}`);
  }
  const usage = perProcess.sampler?.finish(() => (Date.now() - perProcess.startedAt) / 1000) ?? {};
  const dispatcherOutcomes = dispatcherCounts(await dispatcherMetrics(pipeline.service("dispatcher").opsPort));
  await mongo.client.close();
  await pipeline.stop();

  // Produce-to-receipt latency would measure how long the pipeline was stopped: not reported.
  const noLatency = latencySummary([]);
  return {
    scenario: "drain",
    offeredEventsPerSecond: 0,
    webhooks: WEBHOOKS,
    produced: options.drainEvents,
    deliveries: drain.deliveries,
    deliveriesPerSecond: drain.deliveriesPerSecond,
    healthyDeliveriesPerSecond: drain.deliveriesPerSecond,
    perHealthyEndpointPerSecond: Math.round((drain.deliveriesPerSecond / WEBHOOKS) * 10) / 10,
    dispatcherOutcomes,
    latencyMs: noLatency,
    steadyLatencyMs: noLatency,
    services: usage,
    cpuMsPerDelivery: cpuPerDelivery(usage, drain.deliveries),
    ...(ceilings && { percentOfCeiling: percentOfCeiling(drain.deliveriesPerSecond, ceilings) }),
    drain,
  };
}
