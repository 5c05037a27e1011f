import { BatchingProducer, createConsumer, createProducer, DeliveryLogWriter, systemClock, type Clock, type Logger, type TopicNames } from "@agiletune/shared";
import type { Kafka } from "kafkajs";
import type { Db } from "mongodb";
import type { Registry } from "prom-client";
import type { Agent } from "undici";
import { ConcurrencyGate } from "./concurrency-gate.js";
import { deliver, deliverHeld, deliverParked, type DeliveryContext } from "./deliver.js";
import { CircuitBook } from "./health/circuit-book.js";
import type { HealthSettings } from "./health/health-policy.js";
import { HealthWriter } from "./health/health-writer.js";
import { ParkedDrainer } from "./health/parked-drainer.js";
import { PartitionOwnership } from "./health/partition-ownership.js";
import { EndpointAuthenticator } from "./endpoint-auth/authenticator.js";
import { createDeliveryAgent } from "./http-delivery.js";
import { InFlightBudget } from "./in-flight-budget.js";
import { startIntake } from "./intake.js";
import { createDispatcherMetrics } from "./metrics.js";
import { ChainBook } from "./ordering/chain-book.js";
import { Handover } from "./ordering/handover.js";
import { HeldSweeper } from "./ordering/held-sweeper.js";
import { RateLimiter } from "./rate-limiter.js";
import { Recorder } from "./recorder.js";
import { RecentSuccesses } from "./repeats.js";
import { NOT_COUNTED, StatsBook } from "./stats-book.js";
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
  /** docs/endpoint-health.md: CIRCUIT_FAILURE_THRESHOLD, CIRCUIT_PROBE_INTERVAL, DISABLE_AFTER. */
  health: HealthSettings;
  /** docs/statistics.md: tallied in memory, written every `flushIntervalMs`; null switches them off (ENDPOINT_STATS=false). */
  endpointStats: { flushIntervalMs: number } | null;
  groupId?: string;
  agent?: Agent;
  /** CA certificates (PEM) trusted besides Node's, for endpoints behind a private CA. */
  extraCaCertificates?: readonly string[];
  clock?: Clock;
};

export type Dispatcher = { stop: () => Promise<void> };

/** Time a stop gives deliveries in flight beyond the delivery timeout: their recording. */
const STOP_GRACE_BEYOND_TIMEOUT_MS = 2_000;

/**
 * Wires the dispatcher: intake hands each job to `deliver` (deliver.ts, where one job's
 * path reads top to bottom), and the parked drainer hands it parked deliveries to send
 * again (`deliverParked`).
 */
export async function startDispatcher(opts: DispatcherOptions): Promise<Dispatcher> {
  const clock = opts.clock ?? systemClock;
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
    openCircuits: () => circuits.openCircuits,
  });
  // A 100 ms margin on the one-second window: sends delayed by a busy event loop arrive
  // closer together than they were let go, and the limit is what the receiver sees.
  const limiter = new RateLimiter({ clock, marginMs: 100, onWait: () => metrics.rateLimitedWaits.inc() });
  // Many webhooks can share one origin (a chat service, a CI host): the pool per origin must
  // not be what limits them, or one hanging webhook would starve its neighbours. The gate
  // bounds each webhook instead.
  const agentOptions = { allowPrivate: opts.allowPrivateUrls, connectionsPerOrigin: opts.maxInFlight, extraCaCertificates: opts.extraCaCertificates };
  const agent = opts.agent ?? createDeliveryAgent(agentOptions);
  const authenticator = new EndpointAuthenticator({ agent, agentOptions, timeoutMs: opts.deliveryTimeoutMs, clock });
  const webhooks = new WebhookCache(opts.db, opts.encryptionKey, { ttlMs: 1_000 });
  const deliveryLog = new DeliveryLogWriter(opts.db, {
    now: () => clock.now(),
    onCommand: ({ collection, withUpdates, operations, seconds }) => {
      const labels = { collection, kind: withUpdates ? "with_updates" : "inserts" };
      metrics.logWriteSeconds.observe(labels, seconds);
      metrics.logWriteOperations.inc(labels, operations);
    },
  });
  const producer = createProducer(opts.kafka);
  const batching = new BatchingProducer(producer, { onBatch: ({ seconds }) => metrics.produceSeconds.observe(seconds) });
  const circuits = new CircuitBook({ settings: opts.health, clock });
  const ownership = new PartitionOwnership({ kafka: opts.kafka, deliveriesTopic: opts.topics.deliveries });
  const healthWriter = new HealthWriter({ db: opts.db, deliveryLog, producer: batching, topics: opts.topics, metrics, logger: opts.logger, clock });
  const stats = opts.endpointStats
    ? new StatsBook({ db: opts.db, flushIntervalMs: opts.endpointStats.flushIntervalMs, clock, logger: opts.logger, onFlush: (seconds) => metrics.statsFlushSeconds.observe(seconds) })
    : null;
  const recorder = new Recorder({
    deliveryLog,
    producer: batching,
    health: healthWriter,
    topics: opts.topics,
    retryDelaysMs: opts.retryDelaysMs,
    metrics,
    stats: stats ?? NOT_COUNTED,
    logger: opts.logger,
    clock,
    abandoned: abandon.signal,
  });
  const handover = new Handover({ clock, attemptTimeoutMs: opts.deliveryTimeoutMs });
  const chains = new ChainBook({ db: opts.db, clock, logger: opts.logger, handover });
  const ctx: DeliveryContext = {
    db: opts.db,
    webhooks,
    chains,
    handover,
    circuits,
    ownership,
    gate,
    limiter,
    attempt: { authenticator, timeoutMs: opts.deliveryTimeoutMs, allowPrivateUrls: opts.allowPrivateUrls, retryDelaysMs: opts.retryDelaysMs, clock },
    recorder,
    recent: new RecentSuccesses(),
    metrics,
    logger: log,
  };
  const drainer = new ParkedDrainer({
    book: circuits,
    writer: healthWriter,
    db: opts.db,
    deliveryLog,
    metrics,
    logger: opts.logger,
    clock,
    release: (job, as) => deliverParked(job, as, ctx),
    maxReleasing: Math.max(16, Math.floor(opts.maxInFlight / 8)),
  });
  const sweeper = new HeldSweeper({ ctx, clock, logger: opts.logger });
  // maxBytesPerPartition stays at kafkajs's 1 MB: a smaller limit saved memory under a
  // backlog (bench/README.md) but a record batch larger than it (fanout writes up to
  // 512 KB at once) can then be fetched only when its partition comes first, and stalls.
  const consumer = createConsumer(opts.kafka, groupId);
  // Parked and held deliveries are sent outside intake: they stop at a rebalance's start too.
  consumer.on(consumer.events.REBALANCING, () => ownership.revoke());

  await producer.connect();
  await consumer.connect();
  const intake = await startIntake({
    consumer,
    topic: opts.topics.deliveries,
    logger: opts.logger,
    metrics,
    budget,
    // Checked before each job is taken, so the bytes held may pass the limit by one job of
    // any size; a job larger than the limit still gets in once the others have finished.
    untilRoom: () => (gate.size >= opts.maxInFlight ? gate.waitForCapacity() : budget.isFull() ? budget.nextRelease() : null),
    prefetch: (jobs) => webhooks.prefetch(jobs.map((j) => j.webhookId)),
    deliver: (lease) => deliver(lease, ctx),
    onAssignment: async (partitions) => {
      // The previous owner's last second of requests and our first never share a second.
      limiter.holdAll();
      await ownership.assign(partitions);
      circuits.keepOnly((id) => ownership.owns(id));
      circuits.pickUp((await healthWriter.openCircuits()).filter((doc) => ownership.owns(doc._id)));
      log.info({ partitions, openCircuits: circuits.openCircuits }, "endpoint health picked up for the assignment");
      const resumed = await chains.resume((id) => ownership.owns(id));
      // Released by the previous owner, which may be sending them still; meanwhile their
      // chains may have moved on (a rebalance again, or their end recorded).
      if (resumed.length)
        void handover.untilPreviousOwnerDone().then(() => {
          for (const job of resumed.filter((j) => chains.stillUnderWay(j)))
            deliverHeld(job, ctx).catch((err: unknown) => log.warn({ err, deliveryId: job.deliveryId }, "resuming a held delivery failed; the next assignment resumes it"));
        });
    },
  });
  drainer.start();
  sweeper.start();
  stats?.start();
  log.info({ groupId, topic: opts.topics.deliveries }, "dispatcher consuming");

  return {
    async stop() {
      // Stop fetching, let accepted deliveries finish (their timeout, then their recording), commit what finished.
      drainer.stop();
      sweeper.stop();
      const drained = await intake.stop(opts.deliveryTimeoutMs + STOP_GRACE_BEYOND_TIMEOUT_MS);
      if (!drained) {
        log.warn({ inFlight: gate.size, unfinished: budget.jobs }, "abandoning unfinished deliveries; they are redelivered after restart");
        abandon.abort();
      }
      await deliveryLog.drain();
      // After the last recording, so a clean stop leaves no attempt uncounted.
      await stats?.stop();
      await batching.flush();
      await producer.disconnect();
      await (drained ? authenticator.close() : authenticator.destroy());
      if (!opts.agent) await (drained ? agent.close() : agent.destroy());
    },
  };
}
