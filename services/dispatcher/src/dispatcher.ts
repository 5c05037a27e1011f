import { BatchingProducer, createProducer, DeliveryLogWriter, retryUntil, type DeliveryJob, type Logger, type TopicNames } from "@agiletune/shared";
import type { Kafka } from "kafkajs";
import type { Db } from "mongodb";
import type { Registry } from "prom-client";
import type { Agent } from "undici";
import { attemptDelivery, unsignableAttempt, type AttemptOptions } from "./attempt.js";
import { ConcurrencyGate } from "./concurrency-gate.js";
import { createDeliveryAgent } from "./http-delivery.js";
import { InFlightBudget } from "./in-flight-budget.js";
import { startIntake, type IntakeContext, type TakenJob } from "./intake.js";
import { createDispatcherMetrics } from "./metrics.js";
import { Recorder } from "./recorder.js";
import { triage } from "./triage.js";
import { WebhookCache } from "./webhook-cache.js";

export type DispatcherOptions = {
  kafka: Kafka;
  db: Db;
  topics: TopicNames;
  logger: Logger;
  registry: Registry;
  encryptionKey: string;
  retryDelaysMs: readonly number[];
  deliveryTimeoutMs: number;
  allowPrivateUrls: boolean;
  maxInFlight: number;
  maxInFlightPerEndpoint: number;
  /** Serialized jobs taken and not finished, in bytes: a count alone lets large events fill the heap. */
  maxInFlightBytes: number;
  groupId?: string;
  agent?: Agent;
  now?: () => number;
};

export type Dispatcher = { stop: () => Promise<void> };

/** Time a stop gives deliveries in flight beyond the delivery timeout: their recording. */
export const STOP_GRACE_BEYOND_TIMEOUT_MS = 2_000;

/**
 * Wires the stages a delivery job walks through, in this order:
 *   intake.ts     Kafka batch → TakenJob; commits only up to the lowest unfinished offset
 *   triage.ts     TakenJob + its webhook → send, cancel or unsignable
 *   concurrency-gate.ts   a slot of the webhook's endpoint, or turned away → parked on tier 1
 *   attempt.ts    signed POST → AttemptResult (with the outcome of delivery-outcome.ts)
 *   recorder.ts   retry / dead-letter job produced, attempt logged → the offset is released
 * in-flight-budget.ts bounds the jobs taken and not yet recorded.
 */
export async function startDispatcher(opts: DispatcherOptions): Promise<Dispatcher> {
  const now = opts.now ?? Date.now;
  const log = opts.logger.child({ component: "dispatcher" });
  const groupId = opts.groupId ?? "agiletune-dispatcher";
  const abandon = new AbortController();

  const budget = new InFlightBudget({ maxJobs: opts.maxInFlight * 2, maxBytes: opts.maxInFlightBytes });
  const gate = new ConcurrencyGate({
    maxTotal: opts.maxInFlight,
    maxPerKey: opts.maxInFlightPerEndpoint,
    maxQueuedWhenSlow: opts.maxInFlightPerEndpoint,
    // Slow: a request of this endpoint has been running for half the timeout. Lower
    // thresholds mistook healthy endpoints on a loaded machine for slow ones.
    slowAfterMs: Math.max(2_000, opts.deliveryTimeoutMs / 2),
    // Large jobs reach the byte limit long before the count is half full: without this a
    // hanging endpoint's queue could hold the whole byte budget and stop intake for all.
    shortOfRoom: () => budget.isHalfFullByBytes(),
  });
  const metrics = createDispatcherMetrics(opts.registry, { inFlight: () => gate.size, unrecorded: () => budget.jobs, unrecordedBytes: () => budget.bytes });
  // Many webhooks can share one origin (a chat service, a CI host): the pool per origin must
  // not be what limits them, or one hanging webhook would starve its neighbours. The gate
  // bounds each webhook instead.
  const agent = opts.agent ?? createDeliveryAgent({ allowPrivate: opts.allowPrivateUrls, connectionsPerOrigin: opts.maxInFlight });
  const attemptOptions: AttemptOptions = { agent, timeoutMs: opts.deliveryTimeoutMs, allowPrivateUrls: opts.allowPrivateUrls, retryDelaysMs: opts.retryDelaysMs, now };
  const webhooks = new WebhookCache(opts.db, opts.encryptionKey, { ttlMs: 1_000 });
  const deliveryLog = new DeliveryLogWriter(opts.db, {
    now,
    onCommand: ({ collection, withUpdates, operations, seconds }) => {
      const labels = { collection, kind: withUpdates ? "with_updates" : "inserts" };
      metrics.logWriteSeconds.observe(labels, seconds);
      metrics.logWriteOperations.inc(labels, operations);
    },
  });
  const producer = createProducer(opts.kafka);
  const batching = new BatchingProducer(producer, { onBatch: ({ seconds }) => metrics.produceSeconds.observe(seconds) });
  const recorder = new Recorder({ db: opts.db, deliveryLog, producer: batching, topics: opts.topics, webhooks, retryDelaysMs: opts.retryDelaysMs, metrics, logger: opts.logger, now, abandoned: abandon.signal });
  // A short idle wait: measured with 500 ms, the paced p99 rose from ~630 ms to ~1 s.
  // maxBytesPerPartition stays at kafkajs's 1 MB: a smaller limit saved memory under a
  // backlog (bench/README.md) but a record batch larger than it (fanout writes up to
  // 512 KB at once) can then be fetched only when its partition comes first, and stalls.
  const consumer = opts.kafka.consumer({ groupId, maxWaitTimeInMs: 50, sessionTimeout: 30_000, heartbeatInterval: 3_000 });

  /** The webhook as last read, waiting out a database outage; undefined once intake gives up. */
  async function webhookOf(job: DeliveryJob, ctx: IntakeContext) {
    const read = await retryUntil(() => webhooks.get(job.webhookId), {
      initialDelayMs: 200,
      maxDelayMs: 5_000,
      giveUp: ctx.giveUp,
      onFailure: (err) => log.error({ err, webhookId: job.webhookId }, "webhook lookup failed; retrying"),
      afterWait: ctx.heartbeat,
    });
    return read.ok ? read : undefined;
  }

  async function take({ job, bytes }: TakenJob, ctx: IntakeContext): Promise<{ settled: Promise<void> } | null> {
    const found = await webhookOf(job, ctx);
    // Shutting down or lost the partition: left unfinished, so it is redelivered.
    if (!found || ctx.giveUp()) return null;
    const decision = triage(job, found.value);
    switch (decision.kind) {
      case "cancel":
        return { settled: budget.hold(bytes, recorder.cancel(job, decision.reason)) };
      case "unsignable":
        log.error({ webhookId: job.webhookId, deliveryId: job.deliveryId, reason: decision.reason }, "cannot sign delivery");
        return { settled: budget.hold(bytes, recorder.record(unsignableAttempt(job, decision.webhook, decision.reason, attemptOptions))) };
      case "send": {
        // The HTTP exchange holds the endpoint's slot; recording what followed does not, so
        // a slow database never throttles fast endpoints.
        const work = gate.submit(job.webhookId, () => attemptDelivery(decision.delivery, attemptOptions)).then((slot) => (slot.admitted ? recorder.record(slot.value) : recorder.park(job)));
        return { settled: budget.hold(bytes, work) };
      }
    }
  }

  await producer.connect();
  await consumer.connect();
  const intake = await startIntake({
    consumer,
    topic: opts.topics.deliveries,
    logger: opts.logger,
    prepare: (jobs) => webhooks.prefetch(jobs.map((j) => j.webhookId)),
    // Checked before each job is taken, so the bytes held may pass the limit by one job of
    // any size; a job larger than the limit still gets in once the others have finished.
    room: () => (gate.size >= opts.maxInFlight ? gate.waitForCapacity() : budget.isFull() ? budget.nextRelease() : null),
    take,
    onInvalid: () => metrics.deliveries.inc({ outcome: "invalid_job" }),
  });
  log.info({ groupId, topic: opts.topics.deliveries }, "dispatcher consuming");

  return {
    async stop() {
      // Stop fetching, let accepted deliveries finish (their timeout, then their recording), commit what finished.
      const drained = await intake.stop(() => budget.drain(), opts.deliveryTimeoutMs + STOP_GRACE_BEYOND_TIMEOUT_MS);
      if (!drained) {
        log.warn({ inFlight: gate.size, unfinished: budget.jobs }, "abandoning unfinished deliveries; they are redelivered after restart");
        abandon.abort();
      }
      await deliveryLog.drain();
      await batching.flush();
      await producer.disconnect();
      if (!opts.agent) await (drained ? agent.close() : agent.destroy());
    },
  };
}
