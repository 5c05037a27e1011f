import { CONFIG_DEFAULTS, createProducer, endpointHealthSettings, endpointStatsSettings, generateEncryptionKey, type Logger, type TopicNames, type WebhookDoc } from "@agiletune/shared";
import type { Admin, Kafka, Producer } from "kafkajs";
import type { Db } from "mongodb";
import { Registry } from "prom-client";
// The services expose no entry point for running them in-process, so their modules are
// imported by path.
import { startDispatcher } from "../../../services/dispatcher/src/dispatcher.js";
import type { HealthSettings } from "../../../services/dispatcher/src/health/health-policy.js";
import { startFanout } from "../../../services/fanout/src/fanout.js";
import type { RegistryDecoder } from "../../../services/fanout/src/decode-event.js";
import { startRetryService } from "../../../services/retry/src/retry-service.js";
import { insertWebhook } from "./test-data.js";
import { waitFor } from "./wait-for.js";

export type PipelineOptions = {
  kafka: Kafka;
  db: Db;
  topics: TopicNames;
  logger: Logger;
  testId: string;
  /** Seals webhook secrets; share it with an admin API that creates webhooks for this pipeline. */
  encryptionKey?: string;
  retryDelaysMs?: number[];
  deliveryTimeoutMs?: number;
  schemaRegistry?: RegistryDecoder;
  maxInFlightPerEndpoint?: number;
  maxInFlight?: number;
  maxInFlightBytes?: number;
  /** Endpoint health (docs/endpoint-health.md); the contract's defaults when unset. */
  health?: Partial<HealthSettings>;
  /** Endpoint statistics (docs/statistics.md); the defaults when unset. */
  endpointStats?: { flushIntervalMs: number } | null;
  /** CA certificates (PEM) the dispatcher trusts besides Node's: a test's own https endpoints. */
  extraCaCertificates?: string[];
};

/** A short retry ladder (the five tiers in 1 to 5 s), so tests see retries in seconds. */
export const SHORT_RETRY_DELAYS_MS = [1000, 2000, 3000, 4000, 5000];

export type Pipeline = Awaited<ReturnType<typeof startPipeline>>;

/** The three pipeline services, in this process, on the test's own topics and groups. */
export async function startPipeline(opts: PipelineOptions) {
  const encryptionKey = opts.encryptionKey ?? generateEncryptionKey();
  const registry = new Registry();
  const common = { kafka: opts.kafka, topics: opts.topics, logger: opts.logger, registry };
  const groups = {
    fanout: `${opts.testId}-fanout`,
    dispatcher: `${opts.testId}-dispatcher`,
    retryPrefix: `${opts.testId}-retry`,
  };
  const retryService = await startRetryService({ ...common, groupIdPrefix: groups.retryPrefix });
  const dispatcher = await startDispatcher({
    ...common,
    db: opts.db,
    groupId: groups.dispatcher,
    encryptionKey,
    retryDelaysMs: opts.retryDelaysMs ?? SHORT_RETRY_DELAYS_MS,
    deliveryTimeoutMs: opts.deliveryTimeoutMs ?? 5_000,
    allowPrivateUrls: true,
    maxInFlight: opts.maxInFlight ?? CONFIG_DEFAULTS.DISPATCH_MAX_IN_FLIGHT,
    maxInFlightPerEndpoint: opts.maxInFlightPerEndpoint ?? CONFIG_DEFAULTS.DISPATCH_MAX_IN_FLIGHT_PER_ENDPOINT,
    maxInFlightBytes: opts.maxInFlightBytes ?? CONFIG_DEFAULTS.DISPATCH_MAX_IN_FLIGHT_BYTES,
    health: { ...endpointHealthSettings(CONFIG_DEFAULTS), ...opts.health },
    endpointStats: opts.endpointStats === undefined ? endpointStatsSettings(CONFIG_DEFAULTS) : opts.endpointStats,
    ...(opts.extraCaCertificates && { extraCaCertificates: opts.extraCaCertificates }),
  });
  const fanout = await startFanout({ ...common, db: opts.db, groupId: groups.fanout, schemaRegistry: opts.schemaRegistry });
  const producer = createProducer(opts.kafka);
  const admin = opts.kafka.admin();
  await Promise.all([producer.connect(), admin.connect()]);
  // Each consumer group with the topic it reads, in the order jobs flow.
  const consumed = [
    { groupId: groups.fanout, topic: opts.topics.events },
    { groupId: groups.dispatcher, topic: opts.topics.deliveries },
    ...opts.topics.retries.map((topic) => ({ groupId: `${groups.retryPrefix}-${topic}`, topic })),
  ];
  let stopped: Promise<void> | undefined;
  return {
    encryptionKey,
    registry,
    producer,
    /** A metric of the services', summed over the series carrying `labels` (0 if none has yet). */
    async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
      const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
      return (found?.values ?? []).filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
    },
    /** Stores a webhook as the admin API would (secret sealed). */
    createWebhook: (fields: Partial<WebhookDoc> & { url: string; secret?: string }) => insertWebhook(opts.db, encryptionKey, fields),
    async produceEvents(events: object[], producerOverride?: Producer): Promise<void> {
      await (producerOverride ?? producer).send({
        topic: opts.topics.events,
        messages: events.map((e) => ({ key: String((e as { organizationId?: string }).organizationId ?? "none"), value: JSON.stringify(e) })),
      });
    },
    /**
     * Resolves once the pipeline has finished everything produced so far: every event fanned
     * out, every job attempted, every retry that is due handed back and attempted. What
     * was not delivered by then will not be (until a retry falls due), so a test can
     * assert that something did not happen without sleeping for a guessed time.
     */
    waitUntilIdle: (timeoutMs = 30_000) => waitFor(() => idle(admin, consumed), { timeout: timeoutMs, message: () => lagReport(admin, consumed) }),
    stop() {
      stopped ??= (async () => {
        await producer.disconnect();
        await admin.disconnect();
        await fanout.stop();
        await dispatcher.stop();
        await retryService.stop();
      })();
      return stopped;
    },
  };
}

type Consumed = Array<{ groupId: string; topic: string }>;

/**
 * Idle: every group has committed up to the end of its topic, and no topic grew meanwhile.
 * Each service commits a message only after what it caused is produced (fanout: the jobs;
 * dispatcher: the retry job or dead letter, and the log entry; retry: the job handed
 * back), so work in progress always shows as a lag somewhere; the second look at the end
 * offsets catches a hand-over between the reads.
 */
async function idle(admin: Admin, consumed: Consumed): Promise<boolean> {
  const before = await endOffsets(admin, consumed);
  const lags = await groupLags(admin, consumed, before);
  if (lags.some((l) => l.lag > 0n)) return false;
  const after = await endOffsets(admin, consumed);
  return [...before].every(([key, end]) => after.get(key) === end);
}

async function endOffsets(admin: Admin, consumed: Consumed): Promise<Map<string, bigint>> {
  const ends = new Map<string, bigint>();
  for (const { topic } of consumed) {
    for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}/${p.partition}`, BigInt(p.high));
  }
  return ends;
}

async function groupLags(admin: Admin, consumed: Consumed, ends: Map<string, bigint>) {
  const lags: Array<{ groupId: string; topic: string; partition: number; lag: bigint }> = [];
  for (const { groupId, topic } of consumed) {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    for (const p of committed?.partitions ?? []) {
      const end = ends.get(`${topic}/${p.partition}`) ?? 0n;
      // -1: nothing committed yet, which is caught up only on a partition never written.
      const at = BigInt(p.offset) < 0n ? 0n : BigInt(p.offset);
      lags.push({ groupId, topic, partition: p.partition, lag: end - at });
    }
  }
  return lags;
}

async function lagReport(admin: Admin, consumed: Consumed): Promise<string> {
  const lags = await groupLags(admin, consumed, await endOffsets(admin, consumed)).catch(() => []);
  const behind = lags.filter((l) => l.lag > 0n).map((l) => `${l.groupId} ${l.lag} behind on ${l.topic}/${l.partition}`);
  return `pipeline idle (${behind.length ? behind.join(", ") : "no lag seen at the deadline"})`;
}
