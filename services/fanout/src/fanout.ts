import {
  BatchTtlCache,
  createConsumer,
  createProducer,
  describeFailure,
  encodeDeliveryJob,
  findActiveWebhooks,
  isRetryable,
  OUTAGE_RETRY,
  retryUntil,
  sendInChunks,
  type Logger,
  type RetryResult,
  type TopicNames,
  type WebhookRoute,
} from "@agiletune/shared";
import { CompressionTypes, type EachBatchPayload, type Kafka, type KafkaMessage, type Message } from "kafkajs";
import type { Db } from "mongodb";
import { Counter, Histogram, type Registry } from "prom-client";
import { decodeEvent, type RegistryDecoder } from "./decode-event.js";
import { beginEventTrace, type EventTrace } from "./event-trace.js";
import { planDeliveries, tooLargeForJobs, type SequencedEvent } from "./plan-deliveries.js";
import { setAsideMessage } from "./set-aside.js";

export type FanoutOptions = {
  kafka: Kafka;
  db: Db;
  topics: TopicNames;
  logger: Logger;
  registry: Registry;
  schemaRegistry?: RegistryDecoder | undefined;
  groupId?: string;
  /** Events handled per MongoDB query and produce round. */
  chunkSize?: number;
  now?: () => number;
};

export type Fanout = { stop: () => Promise<void> };

/**
 * Turns domain events into delivery jobs: the webhooks of a whole chunk's organizations
 * from a 1 s cache (one query for the stale ones), one produce for its jobs (and its invalid events), and only
 * then the commit. A crash anywhere before the commit re-reads the chunk; the delivery
 * ids are deterministic, so the repeat is recognisable.
 */
export async function startFanout(opts: FanoutOptions): Promise<Fanout> {
  const now = opts.now ?? Date.now;
  const log = opts.logger.child({ component: "fanout", topic: opts.topics.events });
  const groupId = opts.groupId ?? "agiletune-fanout";
  const chunkSize = opts.chunkSize ?? 500;
  const metrics = {
    events: new Counter({ name: "fanout_events_total", help: "Domain events consumed, by result (valid, invalid)", labelNames: ["result"], registers: [opts.registry] }),
    jobs: new Counter({ name: "fanout_delivery_jobs_total", help: "Delivery jobs produced", registers: [opts.registry] }),
    chunkSeconds: new Histogram({
      name: "fanout_chunk_duration_seconds",
      help: "Time to resolve and produce one chunk of events",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [opts.registry],
    }),
  };
  // Each organization's webhooks, at most 1 s old: the contract gives changes 2 s, and a
  // query per chunk (dozens a second) was a large share of the database's work.
  const routes = new BatchTtlCache<WebhookRoute[]>(
    async (organizationIds) => {
      const byOrganization = new Map<string, WebhookRoute[]>(organizationIds.map((id) => [id, []]));
      for (const webhook of await findActiveWebhooks(opts.db, organizationIds)) byOrganization.get(webhook.organizationId)?.push(webhook);
      return byOrganization;
    },
    { ttlMs: 1_000, now },
  );
  const producer = createProducer(opts.kafka);
  const consumer = createConsumer(opts.kafka, groupId);
  let stopping = false;

  async function processChunk(messages: KafkaMessage[], partition: number): Promise<void> {
    const timer = metrics.chunkSeconds.startTimer();
    const invalid: Message[] = [];
    const tooLarge: Message[] = [];
    const events: SequencedEvent[] = [];
    const traces: EventTrace[] = [];
    const setAside = (message: KafkaMessage, reason: string): Message => {
      log.warn({ partition, offset: message.offset, reason }, "invalid event set aside");
      return setAsideMessage(message, { topic: opts.topics.events, partition }, reason);
    };
    for (const message of messages) {
      const result = await decodeEvent(message.value, opts.schemaRegistry);
      if (!result.ok) {
        invalid.push(setAside(message, result.reason));
        continue;
      }
      const oversize = tooLargeForJobs(result.value, message.value?.length ?? 0);
      if (oversize) tooLarge.push(setAside(message, oversize));
      else {
        const trace = beginEventTrace(message, { topic: opts.topics.events, partition, eventId: result.value.id });
        traces.push(trace);
        events.push({ event: result.value, sequence: Number(message.offset), ...(trace.forJobs && { trace: trace.forJobs }) });
      }
    }
    try {
      await fanOut(events, invalid);
    } catch (err) {
      for (const trace of traces) trace.end(err);
      throw err;
    }
    for (const trace of traces) trace.end();
    await sendSetAside(tooLarge);
    metrics.events.inc({ result: "valid" }, events.length);
    metrics.events.inc({ result: "invalid" }, invalid.length + tooLarge.length);
    timer();
  }

  /** The chunk's jobs and invalid events, produced together. */
  async function fanOut(events: SequencedEvent[], invalid: Message[]): Promise<void> {
    const byOrganization = await routes.getMany(new Set(events.map((e) => e.event.organizationId)));
    const webhooks = [...byOrganization.values()].flatMap((list) => list ?? []);
    const jobs = planDeliveries({ events, webhooks, enqueuedAt: now() });
    await sendInChunks(producer, [
      // Encoded as sent: the jobs share their event's data, their encodings do not, and one
      // large event to a few hundred webhooks would otherwise be hundreds of MB at once.
      {
        topic: opts.topics.deliveries,
        messages: (function* () {
          for (const job of jobs) yield { key: job.webhookId, value: encodeDeliveryJob(job) };
        })(),
      },
      { topic: opts.topics.eventsInvalid, messages: invalid },
    ]);
    metrics.jobs.inc(jobs.length);
  }

  /**
   * One at a time and compressed: such an event may be within a few hundred bytes of the
   * topic's limit, which the set-aside headers would pass uncompressed.
   */
  async function sendSetAside(messages: Message[]): Promise<void> {
    for (const message of messages) await producer.sendBatch({ topicMessages: [{ topic: opts.topics.eventsInvalid, messages: [message] }], compression: CompressionTypes.GZIP });
  }

  async function eachBatch({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { partition } = batch;
    // MongoDB, the broker or the registry may be away: the events are not at fault. Hold
    // the chunk (heartbeating, so the group keeps us) and try again. What no retry can
    // help (a record the broker refuses) ends the retries instead of stalling the partition.
    const untilDone = (what: string, offset: string, fn: () => Promise<void>) =>
      retryUntil(fn, {
        ...OUTAGE_RETRY,
        isRetryable,
        giveUp: () => !isRunning() || isStale() || stopping,
        onFailure: (err) => log.error({ err, partition, offset }, `${what} failed; retrying`),
        afterWait: heartbeat,
      });

    const from = { topic: opts.topics.events, partition };
    /** Each event alone, in order: the one that fails for good is set aside, the others are fanned out. */
    async function oneByOne(chunk: KafkaMessage[]): Promise<RetryResult<void>> {
      for (const message of chunk) {
        const alone = await untilDone("fan-out", message.offset, () => processChunk([message], partition));
        if (alone.ok) continue;
        if (alone.retryable) return alone;
        const reason = `could not be fanned out: ${describeFailure(alone.error)}`;
        log.error({ err: alone.error, partition, offset: message.offset }, "event set aside: fanning it out fails for good");
        const setAside = await untilDone("setting aside", message.offset, () => sendSetAside([setAsideMessage(message, from, reason)]));
        if (setAside.ok) continue;
        if (setAside.retryable) return setAside;
        // Refused by the invalid topic too (too large even compressed): set aside where it
        // is instead, the bytes staying on the events topic (until its retention) at the offset named.
        const without = `${reason}; its value is left out, the invalid topic refused it too: ${describeFailure(setAside.error)}`;
        const noted = await untilDone("setting aside", message.offset, () => sendSetAside([setAsideMessage({ ...message, value: null }, from, without)]));
        if (noted.ok) continue;
        if (noted.retryable) return noted;
        log.error({ err: noted.error, partition, offset: message.offset }, "event skipped: neither fanned out nor set aside");
      }
      return { ok: true, value: undefined };
    }

    for (let i = 0; i < batch.messages.length; i += chunkSize) {
      const chunk = batch.messages.slice(i, i + chunkSize);
      let fannedOut = await untilDone("fan-out", chunk[0]!.offset, () => processChunk(chunk, partition));
      if (!fannedOut.ok && !fannedOut.retryable) {
        log.warn({ err: fannedOut.error, partition, offset: chunk[0]!.offset }, "a chunk failed for good; fanning out its events one by one");
        fannedOut = await oneByOne(chunk);
      }
      if (!fannedOut.ok) return;
      const last = chunk[chunk.length - 1]!.offset;
      resolveOffset(last);
      // Commit only after the chunk's jobs are acknowledged: a crash before this re-reads it.
      await commitOffsetsIfNecessary({ topics: [{ topic: opts.topics.events, partitions: [{ partition, offset: (BigInt(last) + 1n).toString() }] }] });
      await heartbeat();
    }
  }

  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: opts.topics.events, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 4, eachBatch });
  log.info({ groupId }, "fanout consuming");

  return {
    async stop() {
      stopping = true;
      // disconnect waits for the running batch; its committed chunks stay committed.
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}
