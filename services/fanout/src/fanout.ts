import { BatchTtlCache, createProducer, encodeDeliveryJob, findActiveWebhooks, retryUntil, sendInChunks, type DomainEvent, type Logger, type TopicNames, type WebhookRoute } from "@agiletune/shared";
import { CompressionTypes, type EachBatchPayload, type Kafka, type KafkaMessage, type Message } from "kafkajs";
import type { Db } from "mongodb";
import { Counter, Histogram, type Registry } from "prom-client";
import { decodeEvent, type RegistryDecoder } from "./decode-event.js";
import { planDeliveries, tooLargeForJobs } from "./plan-deliveries.js";

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
  // A short idle wait: measured with 500 ms, the paced p99 rose from ~630 ms to ~1 s.
  const consumer = opts.kafka.consumer({ groupId, maxWaitTimeInMs: 50, sessionTimeout: 30_000, heartbeatInterval: 3_000 });
  let stopping = false;

  async function processChunk(messages: KafkaMessage[], partition: number): Promise<void> {
    const timer = metrics.chunkSeconds.startTimer();
    const invalid: Message[] = [];
    const tooLarge: Message[] = [];
    const events: DomainEvent[] = [];
    const setAside = (message: KafkaMessage, reason: string): Message => {
      log.warn({ partition, offset: message.offset, reason }, "invalid event set aside");
      return {
        key: message.key,
        value: message.value,
        headers: {
          ...message.headers,
          "x-error": reason,
          "x-original-topic": opts.topics.events,
          "x-original-partition": String(partition),
          "x-original-offset": message.offset,
          "x-original-timestamp": message.timestamp,
        },
      };
    };
    for (const message of messages) {
      const result = await decodeEvent(message.value, opts.schemaRegistry);
      if (!result.ok) {
        invalid.push(setAside(message, result.reason));
        continue;
      }
      const oversize = tooLargeForJobs(result.value, message.value?.length ?? 0);
      if (oversize) tooLarge.push(setAside(message, oversize));
      else events.push(result.value);
    }
    const byOrganization = await routes.getMany(new Set(events.map((e) => e.organizationId)));
    const webhooks = [...byOrganization.values()].flatMap((list) => list ?? []);
    const jobs = planDeliveries(events, webhooks, now());
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
    // One at a time and compressed: such an event may be within a few hundred bytes of the
    // topic's limit, which the headers above would pass uncompressed.
    for (const message of tooLarge) await producer.sendBatch({ topicMessages: [{ topic: opts.topics.eventsInvalid, messages: [message] }], compression: CompressionTypes.GZIP });
    metrics.events.inc({ result: "valid" }, events.length);
    metrics.events.inc({ result: "invalid" }, invalid.length + tooLarge.length);
    metrics.jobs.inc(jobs.length);
    timer();
  }

  async function eachBatch({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    for (let i = 0; i < batch.messages.length; i += chunkSize) {
      const chunk = batch.messages.slice(i, i + chunkSize);
      // MongoDB, the broker or the registry may be away: the events are not at fault. Hold
      // the chunk (heartbeating, so the group keeps us) and try again.
      const fannedOut = await retryUntil(() => processChunk(chunk, batch.partition), {
        initialDelayMs: 200,
        maxDelayMs: 5_000,
        giveUp: () => !isRunning() || isStale() || stopping,
        onFailure: (err) => log.error({ err, partition: batch.partition, offset: chunk[0]!.offset }, "fan-out failed; retrying the chunk"),
        afterWait: heartbeat,
      });
      if (!fannedOut.ok) return;
      const last = chunk[chunk.length - 1]!.offset;
      resolveOffset(last);
      // Commit only after the chunk's jobs are acknowledged: a crash before this re-reads it.
      await commitOffsetsIfNecessary({ topics: [{ topic: opts.topics.events, partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }] }] });
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
