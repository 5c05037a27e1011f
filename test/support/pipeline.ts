import { randomBytes } from "node:crypto";
import { createProducer, encryptSecret, generateEncryptionKey, webhooksCollection, type Logger, type TopicNames, type WebhookDoc } from "@agiletune/shared";
import type { Kafka, Producer } from "kafkajs";
import type { Db } from "mongodb";
import { Registry } from "prom-client";
import { startDispatcher } from "../../services/dispatcher/src/dispatcher.js";
import type { HealthSettings } from "../../services/dispatcher/src/health-policy.js";
import { startFanout } from "../../services/fanout/src/fanout.js";
import type { RegistryDecoder } from "../../services/fanout/src/decode-event.js";
import { startRetryService } from "../../services/retry/src/retry-service.js";

export type PipelineOptions = {
  kafka: Kafka;
  db: Db;
  topics: TopicNames;
  logger: Logger;
  testId: string;
  retryDelaysMs?: number[];
  deliveryTimeoutMs?: number;
  schemaRegistry?: RegistryDecoder;
  maxInFlightPerEndpoint?: number;
  maxInFlight?: number;
  maxInFlightBytes?: number;
  /** Endpoint health (CONTRACT §8); the contract's defaults when unset. */
  health?: Partial<HealthSettings>;
};

/** The three pipeline services, in this process, on the test's own topics and groups. */
export async function startPipeline(opts: PipelineOptions) {
  const encryptionKey = generateEncryptionKey();
  const registry = new Registry();
  const common = { kafka: opts.kafka, topics: opts.topics, logger: opts.logger, registry };
  const retryService = await startRetryService({ ...common, groupIdPrefix: `${opts.testId}-retry` });
  const dispatcher = await startDispatcher({
    ...common,
    db: opts.db,
    groupId: `${opts.testId}-dispatcher`,
    encryptionKey,
    retryDelaysMs: opts.retryDelaysMs ?? [1000, 2000, 3000, 4000, 5000],
    deliveryTimeoutMs: opts.deliveryTimeoutMs ?? 5_000,
    allowPrivateUrls: true,
    maxInFlight: opts.maxInFlight ?? 512,
    maxInFlightPerEndpoint: opts.maxInFlightPerEndpoint ?? 16,
    maxInFlightBytes: opts.maxInFlightBytes ?? 16 * 1024 * 1024,
    health: { failureThreshold: 10, probeIntervalMs: 30_000, disableAfterMs: 5 * 86_400_000, ...opts.health },
  });
  const fanout = await startFanout({ ...common, db: opts.db, groupId: `${opts.testId}-fanout`, schemaRegistry: opts.schemaRegistry });
  const producer = createProducer(opts.kafka);
  await producer.connect();
  return {
    encryptionKey,
    registry,
    producer,
    /** Stores a webhook as the admin API would (secret sealed). */
    createWebhook: (fields: Partial<WebhookDoc> & { url: string; secret?: string }) => insertWebhook(opts.db, encryptionKey, fields),
    async produceEvents(events: object[], producerOverride?: Producer): Promise<void> {
      await (producerOverride ?? producer).send({
        topic: opts.topics.events,
        messages: events.map((e) => ({ key: String((e as { organizationId?: string }).organizationId ?? "none"), value: JSON.stringify(e) })),
      });
    },
    async stop() {
      await producer.disconnect();
      await fanout.stop();
      await dispatcher.stop();
      await retryService.stop();
    },
  };
}

/** Stores a webhook as the admin API would: secret sealed with `encryptionKey`. */
export async function insertWebhook(db: Db, encryptionKey: string, fields: Partial<WebhookDoc> & { url: string; secret?: string }): Promise<WebhookDoc & { secret: string }> {
  const secret = fields.secret ?? `secret-${randomBytes(12).toString("hex")}`;
  const doc: WebhookDoc = {
    _id: `wh_${randomBytes(8).toString("hex")}`,
    organizationId: "org_1",
    contentType: "json",
    events: ["*"],
    active: true,
    health: "healthy",
    description: "",
    secretSealed: encryptSecret(secret, encryptionKey),
    secretHint: secret.slice(-4),
    previousSecretSealed: null,
    previousSecretExpiresAt: null,
    createdAt: new Date(),
    updatedAt: new Date(),
    ...fields,
  };
  delete (doc as { secret?: string }).secret;
  await webhooksCollection(db).insertOne(doc);
  return { ...doc, secret };
}

let counter = 0;
/** A valid domain event (CONTRACT §2). */
export function domainEvent(fields: Partial<{ id: string; event: string; timestamp: string; organizationId: string; data: Record<string, unknown> }> = {}) {
  counter++;
  return {
    id: `evt_${Date.now().toString(36)}_${counter}`,
    event: "task.updated",
    timestamp: "2026-03-20T12:00:00Z",
    organizationId: "org_1",
    data: { id: `tsk_${counter}`, title: "Implement login page", status: "in_progress", assignee: { id: "usr_xyz789", name: "Jane Doe" } },
    ...fields,
  };
}

/** Reads messages from the start of a topic until `count` arrived (or the timeout). */
export async function readTopic(kafka: Kafka, topic: string, count: number, timeoutMs = 20_000) {
  const consumer = kafka.consumer({ groupId: `reader-${randomBytes(6).toString("hex")}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const messages: Array<{ key: Buffer | null; value: Buffer | null; headers: Record<string, string> }> = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${messages.length} of ${count} messages from ${topic}`)), timeoutMs);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
            messages.push({ key: message.key, value: message.value, headers });
            if (messages.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}
