import { randomBytes } from "node:crypto";
import {
  BatchingProducer,
  buildDeliveryBody,
  COLLECTIONS,
  createProducer,
  decodeDeliveryJob,
  DeliveryError,
  encodeDeliveryJob,
  isDuplicateKey,
  newDeliveryEntry,
  signatureHeaders,
  type AttemptDoc,
  type AttemptRecord,
  type DeadLetterDoc,
  type DeliveryDoc,
  type DeliveryJob,
  type ParseResult,
  type Logger,
  type TopicNames,
  type WebhookDoc,
} from "@agiletune/shared";
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import type { Db, Filter } from "mongodb";
import type { Registry } from "prom-client";
import type { Agent } from "undici";
import pkg from "../package.json" with { type: "json" };
import { ConcurrencyGate } from "./concurrency-gate.js";
import { decideOutcome, statusAfter, type Outcome } from "./delivery-outcome.js";
import { createDeliveryAgent, postDelivery, type HttpAttempt } from "./http-delivery.js";
import { InFlightWindow } from "./in-flight-window.js";
import { LogWriter } from "./log-writer.js";
import { createDispatcherMetrics } from "./metrics.js";
import { WebhookCache, type ResolvedWebhook } from "./webhook-cache.js";

/** Made once per process: a pid alone repeats across containers (it is 1 in each). */
const PROCESS_TAG = randomBytes(6).toString("base64url");
let attemptsMade = 0;
/**
 * Unique per attempt made, and fixed before its recording, which may be repeated. A
 * counter rather than random bytes per attempt: those were 1.6 % of the CPU.
 */
function newAttemptId(job: DeliveryJob, startedAt: number): string {
  return `${job.deliveryId}.${job.attempt}.${startedAt.toString(36)}.${PROCESS_TAG}.${(attemptsMade++).toString(36)}`;
}

/** How long taking jobs may hold the event loop before letting I/O (responses, log writes) run. */
const MAX_INTAKE_SLICE_MS = 10;

export const USER_AGENT = `AgileTune-Webhooks/${pkg.version}`;

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

/**
 * Consumes delivery jobs and POSTs them, many at once. Each job's offset is released for
 * commit only after what the attempt caused (retry job, dead letter, log entry) is
 * durable, and commits never pass the lowest unfinished offset of a partition.
 */
export async function startDispatcher(opts: DispatcherOptions): Promise<Dispatcher> {
  const now = opts.now ?? Date.now;
  const log = opts.logger.child({ component: "dispatcher" });
  const groupId = opts.groupId ?? "agiletune-dispatcher";
  // Outcomes not yet recorded (logged, and produced onward) hold their offsets back.
  const side = new Set<Promise<void>>();
  let sideBytes = 0;
  // Many webhooks can share one origin (a chat service, a CI host): the pool per origin must
  // not be what limits them, or one hanging webhook would starve its neighbours. The gate
  // below bounds each webhook instead.
  const agent = opts.agent ?? createDeliveryAgent({ allowPrivate: opts.allowPrivateUrls, connectionsPerOrigin: opts.maxInFlight });
  // Work waiting on a slow endpoint is parked on the first retry tier instead of filling
  // the shared capacity (see ConcurrencyGate). `settle` releases the job's offset.
  type GateItem = { job: DeliveryJob; webhook: ResolvedWebhook; settle: (work: Promise<void>) => void };
  const gate = new ConcurrencyGate<GateItem>(
    {
      maxTotal: opts.maxInFlight,
      maxPerKey: opts.maxInFlightPerEndpoint,
      maxQueuedWhenSlow: opts.maxInFlightPerEndpoint,
      // Slow: a request of this endpoint has been running for half the timeout. Lower
      // thresholds mistook healthy endpoints on a loaded machine for slow ones.
      slowAfterMs: Math.max(2_000, opts.deliveryTimeoutMs / 2),
      // Large jobs reach the byte limit long before the count is half full: without this a
      // hanging endpoint's queue could hold the whole byte budget and stop intake for all.
      shortOfRoom: () => sideBytes * 2 >= opts.maxInFlightBytes,
    },
    async (item) => {
      const exchange = attempt(item.job, item.webhook);
      item.settle(exchange.then((e) => e.recorded));
      await exchange;
    },
    (item) => item.settle(defer(item.job)),
  );
  const webhooks = new WebhookCache(opts.db, opts.encryptionKey, { ttlMs: 1_000 });
  const metrics = createDispatcherMetrics(opts.registry, { inFlight: () => gate.size, unrecorded: () => side.size, unrecordedBytes: () => sideBytes });
  const logWriter = new LogWriter(opts.db, {
    onCommand: ({ collection, withUpdates, operations, seconds }) => {
      const labels = { collection, kind: withUpdates ? "with_updates" : "inserts" };
      metrics.logWriteSeconds.observe(labels, seconds);
      metrics.logWriteOperations.inc(labels, operations);
    },
  });
  const producer = createProducer(opts.kafka);
  const batching = new BatchingProducer(producer, { onBatch: ({ seconds }) => metrics.produceSeconds.observe(seconds) });
  // A short idle wait: measured with 500 ms, the paced p99 rose from ~630 ms to ~1 s.
  // maxBytesPerPartition stays at kafkajs's 1 MB: a smaller limit saved memory under a
  // backlog (bench/README.md) but a record batch larger than it (fanout writes up to
  // 512 KB at once) can then be fetched only when its partition comes first, and stalls.
  const consumer: Consumer = opts.kafka.consumer({ groupId, maxWaitTimeInMs: 50, sessionTimeout: 30_000, heartbeatInterval: 3_000 });

  // One window per partition of the current group generation; a rebalance starts afresh,
  // and completions from the previous generation no longer move any commit.
  let windows = new Map<number, InFlightWindow>();
  let stopping = false;
  /** Set when shutdown gives up waiting: unfinished work is left for a redelivery. */
  let abandoned = false;

  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    windows = new Map();
    log.info({ assignment: event.payload.memberAssignment }, "partitions assigned");
  });

  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: opts.topics.deliveries, fromBeginning: true });

  /** Retries a durable write until it succeeds: losing it would lose the delivery's fate. */
  async function durably(what: string, fn: () => Promise<void>): Promise<void> {
    for (let delay = 100; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        return await fn();
      } catch (err) {
        // Its offset stays uncommitted, so the job is redelivered after restart.
        if (abandoned) throw err;
        log.error({ err, what }, "durable write failed; retrying");
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /**
   * Logs an attempt (CONTRACT §5 shows each one). A delivery's first attempt usually
   * creates its entry, with the attempt inside it: one insert. Any other attempt is
   * inserted apart, under `attemptId`, and the entry updated to name it; the entry then
   * stays small, which keeps its updates cheap (see DeliveryDoc). The attempt is stored
   * before the entry names it, so a crash in between leaves at most an unnamed attempt.
   */
  async function writeDelivery(job: DeliveryJob, set: Partial<DeliveryDoc>, record: AttemptRecord, attemptId: string): Promise<void> {
    const at = new Date(now());
    const payload = { event: job.event, timestamp: job.timestamp, data: job.data };
    const identity = { webhookId: job.webhookId, organizationId: job.organizationId, eventId: job.eventId, event: job.event };
    const lastAttempt = { startedAt: record.startedAt, responseStatus: record.response?.status ?? null };
    if (job.attempt === 0 && job.source === "event" && set.status !== undefined) {
      const document = newDeliveryEntry(job, at, { ...set, attempts: [record], firstAttemptId: attemptId, lastAttempt, payload });
      try {
        return await logWriter.write<DeliveryDoc>(COLLECTIONS.deliveries, { insertOne: { document } });
      } catch (err) {
        // Logged before: a parked or repeated job, or a repeat of this very recording
        // (which readers recognise by `firstAttemptId`). The attempt goes apart, like a retry.
        if (!isDuplicateKey(err)) throw err;
      }
    }
    // Fields an attempt does not decide start as a pending delivery's.
    const onInsert: Partial<DeliveryDoc> = { ...identity, createdAt: at };
    if (set.status === undefined) onInsert.status = "pending";
    const attemptDoc: AttemptDoc = { _id: attemptId, deliveryId: job.deliveryId, webhookId: job.webhookId, organizationId: job.organizationId, ...record };
    // A repeated recording (see `durably`) finds its attempt already stored.
    await logWriter.write<AttemptDoc>(COLLECTIONS.attempts, { insertOne: { document: attemptDoc } }).catch((err: unknown) => {
      if (!isDuplicateKey(err)) throw err;
    });
    await logWriter.write<DeliveryDoc>(COLLECTIONS.deliveries, {
      updateOne: {
        filter: { _id: job.deliveryId },
        update: { $setOnInsert: onInsert, $set: { ...set, updatedAt: at, payload, lastAttempt }, $addToSet: { attemptIds: attemptId } },
        upsert: true,
      },
    });
  }

  function setHealth(webhook: WebhookDoc, health: WebhookDoc["health"]): Promise<void> {
    if (webhook.health === health) return Promise.resolve();
    webhooks.noteHealth(webhook._id, health);
    return logWriter.write<WebhookDoc>(COLLECTIONS.webhooks, {
      updateOne: { filter: { _id: webhook._id }, update: { $set: { health, updatedAt: new Date(now()) } } },
    });
  }

  /**
   * A log entry with no attempt in it (cancelled, parked). Inserted when the delivery has
   * no log yet (FerretDB v1 drops [] and null from $setOnInsert, so an upsert would leave a
   * partial document); otherwise `fields` are set, only while the entry matches `applyIf`.
   */
  function writeWithoutAttempt(job: DeliveryJob, status: DeliveryDoc["status"], fields: Partial<DeliveryDoc> & { updatedAt: Date }, applyIf: Filter<DeliveryDoc>): Promise<void> {
    const document = newDeliveryEntry(job, fields.updatedAt, { status, ...fields });
    return logWriter.write<DeliveryDoc>(COLLECTIONS.deliveries, { insertOne: { document } }, { updateOne: { filter: { _id: job.deliveryId, ...applyIf }, update: { $set: fields } } });
  }

  async function cancel(job: DeliveryJob, reason: string): Promise<void> {
    metrics.deliveries.inc({ outcome: "cancelled" });
    const cancelled = { status: "cancelled" as const, statusReason: reason, nextAttemptAt: null, updatedAt: new Date(now()) };
    // An existing entry is cancelled unless it succeeded.
    await writeWithoutAttempt(job, "cancelled", cancelled, { status: { $ne: "succeeded" } });
  }

  /**
   * The HTTP exchange holds the endpoint's slot; recording what followed does not, so a
   * slow database never throttles fast endpoints. Resolves with the recording's promise.
   */
  async function attempt(job: DeliveryJob, webhook: ResolvedWebhook): Promise<{ recorded: Promise<void> }> {
    const { body, contentTypeHeader } = buildDeliveryBody(job, webhook.doc.contentType);
    const startedAt = now();
    const headers = {
      "content-type": contentTypeHeader,
      "user-agent": USER_AGENT,
      "x-agiletune-event": job.event,
      "x-agiletune-delivery": job.deliveryId,
      ...signatureHeaders({ deliveryId: job.deliveryId, body, secret: webhook.secret!, previousSecret: webhook.previousSecret, nowSeconds: Math.floor(startedAt / 1000) }),
    };
    const result = await postDelivery({ agent, url: webhook.doc.url, headers, body, timeoutMs: opts.deliveryTimeoutMs, allowPrivate: opts.allowPrivateUrls });
    metrics.attemptSeconds.observe({ result: result.error ? "failure" : "success" }, result.durationMs / 1000);
    const outcome = decideOutcome(job, result.error, now(), opts.retryDelaysMs);
    if (outcome.kind === "succeeded") metrics.endToEndSeconds.observe((now() - job.enqueuedAt) / 1000);
    metrics.deliveries.inc({ outcome: outcome.kind === "dead-letter" ? "dead_lettered" : outcome.kind === "retry" ? "retrying" : outcome.kind.replace("-", "_") });
    log.debug({ deliveryId: job.deliveryId, webhookId: job.webhookId, attempt: job.attempt, status: result.status, outcome: outcome.kind }, "attempt done");
    const attemptId = newAttemptId(job, startedAt);
    return { recorded: durably("attempt outcome", () => recordOutcome(job, webhook, headers, result, outcome, startedAt, attemptId)) };
  }

  /** Produce what follows first, then the log: a crash in between repeats, never loses. */
  async function recordOutcome(job: DeliveryJob, webhook: ResolvedWebhook, headers: Record<string, string>, result: HttpAttempt, outcome: Outcome, startedAt: number, attemptId: string): Promise<void> {
    const writes: Array<Promise<void>> = [];
    if (outcome.kind === "retry") {
      const next: DeliveryJob = { ...job, attempt: outcome.retry, dueAt: outcome.dueAt };
      await batching.send(opts.topics.retries[outcome.tier]!, { key: job.webhookId, value: encodeDeliveryJob(next) });
    } else if (outcome.kind === "dead-letter") {
      await batching.send(opts.topics.deadLetters, { key: job.webhookId, value: encodeDeliveryJob(job), headers: { "x-error": outcome.reason } });
      const deadLetter: Omit<DeadLetterDoc, "_id"> = {
        organizationId: job.organizationId,
        webhookId: job.webhookId,
        event: job.event,
        eventId: job.eventId,
        job,
        lastError: outcome.reason,
        deadLetteredAt: new Date(now()),
        replayedAt: null,
        replayCount: 0,
      };
      const { replayCount: _keep, ...fresh } = deadLetter;
      writes.push(
        logWriter.write<DeadLetterDoc>(COLLECTIONS.deadLetters, {
          updateOne: { filter: { _id: job.deliveryId }, update: { $set: fresh, $setOnInsert: { replayCount: 0 } }, upsert: true },
        }),
      );
      writes.push(setHealth(webhook.doc, "failing"));
    } else if (outcome.kind === "succeeded") {
      writes.push(setHealth(webhook.doc, "healthy"));
    }

    const record: AttemptRecord = {
      attempt: job.attempt,
      source: job.source,
      startedAt: new Date(startedAt),
      durationMs: result.durationMs,
      outcome: result.error ? "failed" : "succeeded",
      request: { url: webhook.doc.url, headers },
      response: result.status === null ? null : { status: result.status, headers: result.headers, body: result.body, bodyTruncated: result.bodyTruncated },
      error: result.error ? { code: result.error.code, message: result.error.message } : null,
    };
    const status = statusAfter(outcome, job.source);
    const set: Partial<DeliveryDoc> = {};
    if (status) {
      set.status = status;
      set.nextAttemptAt = outcome.kind === "retry" ? new Date(outcome.dueAt) : null;
      set.statusReason = outcome.kind === "dead-letter" ? outcome.reason : null;
    }
    writes.push(writeDelivery(job, set, record, attemptId));
    await Promise.all(writes);
  }

  /** A busy endpoint's overflow waits one tier-1 delay instead of filling shared capacity. */
  async function defer(job: DeliveryJob): Promise<void> {
    metrics.deliveries.inc({ outcome: "deferred" });
    const dueAt = now() + opts.retryDelaysMs[0]!;
    // The log says why nothing was attempted yet, so a late delivery is explainable. It is
    // written before the parking, so the attempt that follows always has the last word.
    const parked = { nextAttemptAt: new Date(dueAt), statusReason: "endpoint busy: parked until the first retry delay has passed", updatedAt: new Date(now()) };
    await durably("defer log", () => writeWithoutAttempt(job, "pending", parked, { status: { $in: ["pending", "retrying"] } }));
    await durably("defer", () => batching.send(opts.topics.retries[0]!, { key: job.webhookId, value: encodeDeliveryJob({ ...job, dueAt }) }));
  }

  let sideWaiters: Array<() => void> = [];
  function sideSettled(): Promise<void> {
    return new Promise((resolve) => sideWaiters.push(resolve));
  }

  function track(partition: number, window: InFlightWindow, message: KafkaMessage, work: Promise<void>): void {
    const { offset } = message;
    const bytes = message.value?.length ?? 0;
    sideBytes += bytes;
    const done = work
      .catch((err: unknown) => {
        if (!abandoned) log.error({ err, partition, offset }, "delivery handling failed");
      })
      .finally(() => {
        window.finish(offset);
        side.delete(done);
        sideBytes -= bytes;
        const waiters = sideWaiters;
        sideWaiters = [];
        for (const wake of waiters) wake();
      });
    side.add(done);
  }

  async function handle(message: KafkaMessage, decoded: ParseResult<DeliveryJob>, partition: number, window: InFlightWindow, heartbeat: () => Promise<void>): Promise<void> {
    window.start(message.offset);
    if (!decoded.ok) {
      // Only our own services write this topic, so this is a bug, not user input: say so loudly.
      metrics.deliveries.inc({ outcome: "invalid_job" });
      log.error({ topic: opts.topics.deliveries, partition, offset: message.offset, reason: decoded.reason }, "undecodable delivery job skipped");
      window.finish(message.offset);
      return;
    }
    const job = decoded.value;
    // Throwing instead would leave this offset started and never finished.
    const found = await lookUpWebhooks(() => webhooks.get(job.webhookId), heartbeat, () => stopping, { webhookId: job.webhookId });
    // Shutting down: leave it unfinished, so its offset is not committed and it is redelivered.
    if (!found || stopping) return;
    const webhook = found.value;
    if (!webhook || webhook.doc.organizationId !== job.organizationId) {
      track(partition, window, message, durably("cancel", () => cancel(job, "the webhook was deleted")));
      return;
    }
    if (!webhook.doc.active) {
      track(partition, window, message, durably("cancel", () => cancel(job, "the webhook was deactivated")));
      return;
    }
    if (webhook.secret === null) {
      // Unsignable: sending unsigned would break our promise to receivers. Dead-letter it,
      // so an operator can replay once the key is right.
      log.error({ webhookId: job.webhookId, deliveryId: job.deliveryId, reason: webhook.secretError }, "cannot sign delivery");
      const reason = webhook.secretError ?? "cannot sign";
      const error = new DeliveryError("unsignable", reason);
      const result: HttpAttempt = { status: null, headers: {}, body: "", bodyTruncated: false, durationMs: 0, error };
      const startedAt = now();
      const attemptId = newAttemptId(job, startedAt);
      track(partition, window, message, durably("dead-letter unsignable", () => recordOutcome(job, webhook, {}, result, { kind: "dead-letter", reason }, startedAt, attemptId)));
      return;
    }
    // The offset is released when the attempt (or the parking) has settled durably.
    const settled = new Promise<void>((resolve) => gate.submit(job.webhookId, { job, webhook, settle: (work) => resolve(work) }));
    track(partition, window, message, settled);
  }

  /**
   * A webhook read, retried with backoff while MongoDB is away, heartbeating so the group
   * keeps us. Undefined once `giveUp` says so (shutdown, a lost partition).
   */
  async function lookUpWebhooks<T>(read: () => Promise<T>, heartbeat: () => Promise<void>, giveUp: () => boolean, context: Record<string, unknown>): Promise<{ value: T } | undefined> {
    for (let delay = 200; !giveUp(); delay = Math.min(delay * 2, 5_000)) {
      try {
        return { value: await read() };
      } catch (err) {
        log.error({ err, ...context }, "webhook lookup failed; retrying");
        await new Promise((r) => setTimeout(r, delay));
        await heartbeat();
      }
    }
    return undefined;
  }

  /** Waits (heartbeating) until a job can be taken without passing the in-flight caps. */
  async function waitForRoom(heartbeat: () => Promise<void>): Promise<void> {
    for (;;) {
      // Wait only on what is actually full: racing a wait that resolves at once (a gate
      // with room while recordings are full) made this a busy loop that starved the process.
      // Checked before each job is taken, so the bytes held may pass the limit by one job of
      // any size; a job larger than the limit still gets in once the others have finished.
      const sideFull = side.size >= opts.maxInFlight * 2 || sideBytes >= opts.maxInFlightBytes;
      const full = gate.size >= opts.maxInFlight ? gate.waitForCapacity() : sideFull ? sideSettled() : null;
      if (!full) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([full, new Promise((r) => (timer = setTimeout(r, 1_000)))]);
      clearTimeout(timer);
      await heartbeat();
    }
  }

  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    let window = windows.get(batch.partition);
    if (!window) windows.set(batch.partition, (window = new InFlightWindow()));
    const decoded = batch.messages.map((m) => decodeDeliveryJob(m.value));
    const ids = decoded.flatMap((r) => (r.ok ? [r.value.webhookId] : []));
    // Throwing instead would fail the batch and crash the consumer.
    if (!(await lookUpWebhooks(() => webhooks.prefetch(ids), heartbeat, () => !isRunning() || stopping, { partition: batch.partition }))) return;
    let sliceStartedAt = performance.now();
    for (const [i, message] of batch.messages.entries()) {
      // Taking jobs of cached webhooks never waits on I/O, so a large batch used to run in
      // one go, starting hundreds of requests while no response or log write could be
      // handled: at start-up, with cold code, the event loop stalled for up to 600 ms.
      if (performance.now() - sliceStartedAt > MAX_INTAKE_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStartedAt = performance.now();
      }
      if (!isRunning() || isStale() || stopping) break;
      await waitForRoom(heartbeat);
      // The wait can outlast the assignment: a job of a partition now elsewhere would be sent twice.
      if (!isRunning() || isStale() || stopping) break;
      await handle(message, decoded[i]!, batch.partition, window, heartbeat);
      // Resolving moves the fetch position only; the commit follows the window.
      resolveOffset(message.offset);
    }
  }

  let committing: Promise<void> | null = null;
  async function commitWindows(): Promise<void> {
    const offsets = [...windows].flatMap(([partition, window]) => {
      const offset = window.committable();
      return offset === null ? [] : [{ topic: opts.topics.deliveries, partition, offset, window }];
    });
    if (offsets.length === 0) return;
    await consumer.commitOffsets(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
    for (const o of offsets) o.window.markCommitted(o.offset);
  }
  const commitTimer = setInterval(() => {
    if (committing) return;
    committing = commitWindows()
      .catch((err: unknown) => log.warn({ err }, "offset commit failed; will retry"))
      .finally(() => (committing = null));
  }, 200);

  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 8, eachBatch });
  log.info({ groupId, topic: opts.topics.deliveries }, "dispatcher consuming");

  return {
    async stop() {
      stopping = true;
      // Stop fetching, let accepted deliveries finish (bounded), commit what finished.
      consumer.pause([{ topic: opts.topics.deliveries }]);
      const grace = Math.min(opts.deliveryTimeoutMs + 2_000, 35_000);
      const drained = await Promise.race([
        Promise.all([gate.drain(), ...side]).then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), grace)),
      ]);
      if (!drained) {
        abandoned = true;
        log.warn({ inFlight: gate.size, unfinished: side.size }, "abandoning unfinished deliveries; they are redelivered after restart");
      }
      clearInterval(commitTimer);
      while (committing) await committing;
      await commitWindows().catch((err: unknown) => log.warn({ err }, "final commit failed; uncommitted jobs will be redelivered"));
      await consumer.disconnect();
      await logWriter.drain();
      await batching.flush();
      await producer.disconnect();
      if (!opts.agent) await (abandoned ? agent.destroy() : agent.close());
    },
  };
}
