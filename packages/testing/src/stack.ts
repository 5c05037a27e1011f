// The whole system for a test outside vitest's fixtures (a browser test, a benchmark): the
// three pipeline services and the admin API in this process, on topics with a random prefix
// and a database of a random name, a short retry ladder, and a receiver on loopback to
// point webhooks at. `stop()` closes all of it and fails if any client was left open.
import { randomBytes } from "node:crypto";
import { infraUp } from "@agiletune/local-infra";
import { startReceiver, type Receiver, type Responder } from "@agiletune/local-infra/receiver";
import { allTopics, connectMongo, createKafka, createLogger, ensureIndexes, ensureTopics, generateEncryptionKey, prefixedTopicNames, type Logger, type TopicNames } from "@agiletune/shared";
import type { Kafka } from "kafkajs";
import type { Db } from "mongodb";
import { startTestApi, type TestApi } from "./api-harness.js";
import { ResourceTracker } from "./leaks.js";
import { SHORT_RETRY_DELAYS_MS, startPipeline, type Pipeline } from "./pipeline.js";

export type StackOptions = {
  /** Default: KAFKA_BROKERS, else the local broker (started if need be). */
  kafkaBrokers?: string;
  /** Default: MONGO_URL, else the local FerretDB (started if need be). Only the server is used: the database gets a random name. */
  mongoUrl?: string;
  /** Default: 1 to 5 s. */
  retryDelaysMs?: number[];
  deliveryTimeoutMs?: number;
  /** How the receiver answers (default: 200 to everything); `receiver.setResponder` changes it later. */
  respond?: Responder;
  /** Default: silent, or TEST_LOG_LEVEL. */
  logger?: Logger;
};

export type Stack = {
  /** Prefixes the topics and consumer groups, and names the database. */
  id: string;
  kafka: Kafka;
  topics: TopicNames;
  db: Db;
  pipeline: Pipeline;
  /** The admin API: `api.baseUrl`, `api.adminToken`, `api.request(...)`. Private URLs allowed, so webhooks can point at `receiver`. */
  api: TestApi;
  receiver: Receiver;
  stop: () => Promise<void>;
};

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const resources = new ResourceTracker();
  const id = `s${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  const logger = opts.logger ?? createLogger("test", process.env.TEST_LOG_LEVEL ?? "silent");
  const infra = opts.kafkaBrokers && opts.mongoUrl ? { kafkaBrokers: opts.kafkaBrokers, mongoUrl: opts.mongoUrl } : await infraUp();
  const kafka = resources.kafka(createKafka({ brokers: (opts.kafkaBrokers ?? infra.kafkaBrokers).split(","), clientId: id, logger }));
  const topics = prefixedTopicNames(`${id}.`);
  const mongoUrl = new URL(opts.mongoUrl ?? infra.mongoUrl);
  mongoUrl.pathname = `/${id}`;

  // Undone in reverse order by stop(), also when a later step of the start fails.
  const undo: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    const errors: unknown[] = [];
    for (const step of undo.splice(0).reverse()) await step().catch((err: unknown) => errors.push(err));
    await resources.check({ handles: false }).catch((err: unknown) => errors.push(err));
    if (errors.length === 1) throw errors[0];
    if (errors.length) throw new AggregateError(errors, `stopping the stack: ${errors.length} errors`);
  };
  try {
    const admin = kafka.admin();
    await admin.connect();
    undo.push(() => admin.disconnect());
    await ensureTopics(admin, allTopics(topics), { numPartitions: 3 });
    undo.push(() => admin.deleteTopics({ topics: allTopics(topics) }));
    const mongo = await connectMongo(mongoUrl.toString());
    resources.mongoClient(mongo.client, "the stack's MongoClient");
    undo.push(() => mongo.client.close());
    undo.push(() => mongo.db.dropDatabase());
    await ensureIndexes(mongo.db);
    const receiver = await startReceiver(opts.respond);
    undo.push(receiver.close);
    const encryptionKey = generateEncryptionKey();
    const pipeline = await startPipeline({
      kafka,
      db: mongo.db,
      topics,
      logger,
      testId: id,
      encryptionKey,
      retryDelaysMs: opts.retryDelaysMs ?? SHORT_RETRY_DELAYS_MS,
      deliveryTimeoutMs: opts.deliveryTimeoutMs,
    });
    undo.push(pipeline.stop);
    const api = await startTestApi({ db: mongo.db, kafka, topics, encryptionKey, allowPrivateUrls: true });
    undo.push(api.close);
    return { id, kafka, topics, db: mongo.db, pipeline, api, receiver, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
