// The admin API process's wiring: clients, the app, its server and, unless told otherwise,
// the delivery log's retention. main.ts runs it; `pnpm bench:query-api` runs it without the
// sweeper (bench/README.md, "Big delivery log").
import type { AddressInfo } from "node:net";
import {
  allTopics,
  connectMongo,
  createKafka,
  createRegistry,
  createProducer,
  ensureIndexes,
  migrateLegacyLayout,
  PendingWrites,
  ensureTopics,
  kafkaReachable,
  prefixedTopicNames,
  startRetention,
  type Config,
  type Logger,
} from "@agiletune/shared";
import { createApp } from "./app.js";
import { sweepExpiredIdempotencyKeys } from "./idempotency.js";

/** How often expired `Idempotency-Key` answers are deleted; every instance sweeps, which is harmless (the deletes are idempotent). */
const IDEMPOTENCY_SWEEP_INTERVAL_MS = 10 * 60 * 1000;

export async function startAdminApiProcess(config: Config, logger: Logger, opts: { retention: boolean } = { retention: true }): Promise<{ stop: () => Promise<void> }> {
  const mongo = await connectMongo(config.MONGO_URL, { appName: "admin-api" });
  // Timed: on a large existing log, building a newly added index takes a while (78.6 s for three on 1 000 000 deliveries).
  const indexing = Date.now();
  await ensureIndexes(mongo.db);
  logger.info({ ms: Date.now() - indexing }, "indexes ensured");
  await migrateLegacyLayout(mongo.db, logger);

  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: "admin-api", logger });
  const admin = kafka.admin();
  await admin.connect();
  const topics = prefixedTopicNames(config.TOPIC_PREFIX);
  await ensureTopics(admin, allTopics(topics), { numPartitions: config.KAFKA_TOPIC_PARTITIONS, replicationFactor: config.KAFKA_REPLICATION_FACTOR });
  const producer = createProducer(kafka);
  await producer.connect();

  const registry = createRegistry("admin-api");
  const background = new PendingWrites();
  const app = createApp({
    registry,
    background,
    db: mongo.db,
    producer,
    topics,
    config,
    logger,
    kafkaReady: kafkaReachable(admin),
  });
  const server = app.listen(config.ADMIN_API_PORT);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  // Slow-loris protection: a request must arrive in full within these.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  logger.info({ port: (server.address() as AddressInfo).port, topicPrefix: config.TOPIC_PREFIX, retention: opts.retention }, "admin API listening");
  // The delivery log's retention runs here, in one service only: the admin API is off the
  // delivery path, so its sweeps (where the store has no TTL indexes) never take a dispatcher's CPU, and one owner
  // means no two sweepers and no two configurations of the TTL indexes.
  const retention = opts.retention ? await startRetention(mongo.db, { deliveriesMs: config.DELIVERY_LOG_RETENTION, deadLettersMs: config.DEAD_LETTER_RETENTION }, logger, { registry }) : null;
  const sweep = setInterval(() => {
    sweepExpiredIdempotencyKeys(mongo.db, new Date()).catch((err: unknown) => logger.warn({ err }, "sweeping expired idempotency keys failed; the next sweep tries again"));
  }, IDEMPOTENCY_SWEEP_INTERVAL_MS).unref();

  return {
    stop: async () => {
      // Stop taking requests first, then let in-flight ones finish before closing clients.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      clearInterval(sweep);
      await background.settled();
      await retention?.stop();
      await producer.disconnect();
      await admin.disconnect();
      await mongo.client.close();
    },
  };
}
