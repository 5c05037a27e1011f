import { BatchingProducer, createProducer, DeliveryLogWriter, retryUntil, type DeliveryJob, type Logger, type TopicNames } from "@agiletune/shared";
import type { Kafka } from "kafkajs";
import type { Db } from "mongodb";
import type { Registry } from "prom-client";
import type { Agent } from "undici";
import { attemptDelivery, unsignableAttempt, type AttemptOptions } from "./attempt.js";
import { ConcurrencyGate } from "./concurrency-gate.js";
import { createDeliveryAgent } from "./http-delivery.js";
import { InFlightBudget } from "./in-flight-budget.js";
import { HealthKeeper, type SendKind } from "./health-keeper.js";
import type { HealthSettings } from "./health-policy.js";
import { startIntake, type IntakeContext, type TakenJob } from "./intake.js";
import { createDispatcherMetrics } from "./metrics.js";
import { RateLimiter } from "./rate-limiter.js";
import { Recorder } from "./recorder.js";
import { triage, type PendingDelivery } from "./triage.js";
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
  /** CONTRACT §8: CIRCUIT_FAILURE_THRESHOLD, CIRCUIT_PROBE_INTERVAL, DISABLE_AFTER. */
  health: HealthSettings;
  groupId?: string;
  agent?: Agent;
  now?: () => number;
};

export type Dispatcher = { stop: () => Promise<void> };

const GONE_OR_DISABLED = "the webhook was disabled";

/** Time a stop gives deliveries in flight beyond the delivery timeout: their recording. */
const STOP_GRACE_BEYOND_TIMEOUT_MS = 2_000;

/**
 * Wires the stages a delivery job walks through, in this order:
 *   intake.ts     Kafka batch → TakenJob; commits only up to the lowest unfinished offset
 *   triage.ts     TakenJob + its webhook → send, cancel or unsignable
 *   health-keeper.ts      the webhook's circuit: send, send as its probe, or park (CONTRACT §8)
 *   concurrency-gate.ts   a slot of the webhook's endpoint, or turned away → deferred on tier 1
 *   rate-limiter.ts       the webhook's rateLimitPerSecond
 *   attempt.ts    signed POST → AttemptResult (with the outcome of delivery-outcome.ts)
 *   recorder.ts   retry / dead-letter job produced, attempt logged → the offset is released;
 *                 then the health keeper learns from it
 * in-flight-budget.ts bounds the jobs taken and not yet recorded; the health keeper also
 * releases parked deliveries into the gate when a circuit closes.
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
  const metrics = createDispatcherMetrics(opts.registry, {
    inFlight: () => gate.size,
    unrecorded: () => budget.jobs,
    unrecordedBytes: () => budget.bytes,
    // Read on a scrape, once the keeper (which needs these metrics) exists.
    openCircuits: () => keeper.openCircuits,
  });
  // A 100 ms margin on the one-second window: sends delayed by a busy event loop arrive
  // closer together than they were let go, and the limit is what the receiver sees.
  const limiter = new RateLimiter({ marginMs: 100, onWait: () => metrics.rateLimitedWaits.inc() });
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
  const keeper = new HealthKeeper({
    db: opts.db,
    kafka: opts.kafka,
    deliveriesTopic: opts.topics.deliveries,
    deliveryLog,
    producer: batching,
    topics: opts.topics,
    settings: opts.health,
    metrics,
    logger: opts.logger,
    now,
    maxReleasing: Math.max(16, Math.floor(opts.maxInFlight / 8)),
  });
  const recorder = new Recorder({ deliveryLog, producer: batching, topics: opts.topics, retryDelaysMs: opts.retryDelaysMs, metrics, logger: opts.logger, now, abandoned: abandon.signal });
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

  async function take({ job, bytes, claim }: TakenJob, ctx: IntakeContext): Promise<{ settled: Promise<void> } | null> {
    const found = await webhookOf(job, ctx);
    // Shutting down or lost the partition: left unfinished, so it is redelivered.
    if (!found || ctx.giveUp()) return null;
    const decision = triage(job, found.value);
    switch (decision.kind) {
      case "cancel":
        return { settled: budget.hold(bytes, recorder.cancel(job, decision.reason)) };
      case "unsignable": {
        log.error({ webhookId: job.webhookId, deliveryId: job.deliveryId, reason: decision.reason }, "cannot sign delivery");
        const result = unsignableAttempt(job, decision.webhook, decision.reason, attemptOptions);
        return { settled: budget.hold(bytes, recorder.record(result, keeper.learn(result, "job"))) };
      }
      case "send": {
        const route = keeper.route(job, decision.delivery.webhook.doc);
        if (route === "cancel") return { settled: budget.hold(bytes, recorder.cancel(job, GONE_OR_DISABLED)) };
        if (route === "park") return { settled: budget.hold(bytes, recorder.holdForCircuit(job)) };
        return { settled: budget.hold(bytes, send(decision.delivery, route === "probe" ? "probe" : "job", claim)) };
      }
    }
  }

  /**
   * One request through the endpoint's slot and its rate limit, then its recording. The
   * HTTP exchange holds the slot; recording does not, so a slow database never throttles
   * fast endpoints. A job whose circuit opened while it waited is parked instead; one whose
   * partition was taken by a rebalance meanwhile is left for the partition's next owner
   * (sending it here too would be a duplicate, and could pass the rate limit).
   */
  function send(delivery: PendingDelivery, kind: SendKind, claim: () => boolean, fromLog = false): Promise<void> {
    const { job, webhook } = delivery;
    const attempted = gate.submit(job.webhookId, async () => {
      const still = keeper.stillSendable(job, kind);
      if (still !== "send") return still;
      await limiter.acquire(job.webhookId, keeper.rateOf(webhook.doc));
      if (!claim()) return "moved" as const;
      const result = await attemptDelivery(delivery, attemptOptions);
      // Learnt before the slot frees, so the next request waiting for this endpoint already
      // sees a circuit this attempt opened.
      return { result, healthChange: keeper.learn(result, kind) };
    });
    return attempted.then((slot): Promise<void> | undefined => {
      if (slot.admitted && typeof slot.value === "object") return recorder.record(slot.value.result, slot.value.healthChange);
      keeper.notSent(job, kind);
      // A delivery released from the log stays parked there; the keeper tries it again later.
      if (fromLog) return undefined;
      if (!slot.admitted) return recorder.deferBusy(job);
      if (slot.value === "cancel") return recorder.cancel(job, GONE_OR_DISABLED);
      if (slot.value === "park") return recorder.holdForCircuit(job);
      // Handed back at a rebalance: the partition's owner after it (perhaps this process) sends it.
      log.info({ webhookId: job.webhookId, deliveryId: job.deliveryId }, "rebalancing: left to the partition's next owner");
      return undefined;
    });
  }

  /**
   * Parked deliveries of one webhook the keeper releases (its probe, or draining after one
   * succeeded), handed to the gate in the order given: oldest first.
   */
  function releaseParked(jobs: DeliveryJob[], kind: "probe" | "drain"): void {
    const webhookId = jobs[0]!.webhookId;
    const settled = (job: DeliveryJob) => () => keeper.releaseSettled(job);
    webhooks
      .get(webhookId)
      .then((webhook) => {
        for (const job of jobs) {
          const decision = triage(job, webhook);
          let sent: Promise<void>;
          if (decision.kind === "send") sent = send(decision.delivery, kind, () => keeper.owns(webhookId), true);
          else {
            keeper.notSent(job, kind);
            // Deleted or deactivated meanwhile: cancelled like any job of such a webhook.
            sent = decision.kind === "cancel" ? recorder.cancel(job, decision.reason) : Promise.resolve();
          }
          sent.catch((err: unknown) => log.warn({ err, webhookId, deliveryId: job.deliveryId }, "releasing a parked delivery failed; it stays parked")).finally(settled(job));
        }
      })
      .catch((err: unknown) => {
        log.warn({ err, webhookId }, "releasing parked deliveries failed; they stay parked");
        for (const job of jobs) {
          keeper.notSent(job, kind);
          keeper.releaseSettled(job);
        }
      });
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
    onAssignment: async (partitions) => {
      // The previous owner's last second of requests and our first never share a second.
      limiter.holdAll();
      await keeper.onAssignment(partitions);
    },
  });
  keeper.start(releaseParked);
  log.info({ groupId, topic: opts.topics.deliveries }, "dispatcher consuming");

  return {
    async stop() {
      // Stop fetching, let accepted deliveries finish (their timeout, then their recording), commit what finished.
      keeper.stop();
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
