// The admin API process: wiring only. Logic lives in app.ts and the modules it uses.
import type { AddressInfo } from "node:net";
import { allTopics, connectMongo, createKafka, createRegistry, createProducer, ensureIndexes, ensureTopics, kafkaReachable, prefixedTopicNames, runService, startRetention } from "@agiletune/shared";
import { createApp } from "./app.js";

await runService("admin-api", async (config, logger) => {
  const mongo = await connectMongo(config.MONGO_URL, { appName: "admin-api" });
  await ensureIndexes(mongo.db);

  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: "admin-api", logger });
  const admin = kafka.admin();
  await admin.connect();
  const topics = prefixedTopicNames(config.TOPIC_PREFIX);
  await ensureTopics(admin, allTopics(topics), { numPartitions: config.KAFKA_TOPIC_PARTITIONS, replicationFactor: config.KAFKA_REPLICATION_FACTOR });
  const producer = createProducer(kafka);
  await producer.connect();

  const registry = createRegistry("admin-api");
  const app = createApp({
    registry,
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
  logger.info({ port: (server.address() as AddressInfo).port, topicPrefix: config.TOPIC_PREFIX }, "admin API listening");
  // The delivery log's retention runs here, in one service only: the admin API is off the
  // delivery path, so its sweeps (FerretDB) never take a dispatcher's CPU, and one owner
  // means no two sweepers and no two configurations of the TTL indexes.
  const retention = await startRetention(mongo.db, { deliveriesMs: config.DELIVERY_LOG_RETENTION, deadLettersMs: config.DEAD_LETTER_RETENTION }, logger, { registry });

  return {
    stop: async () => {
      // Stop taking requests first, then let in-flight ones finish before closing clients.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await retention.stop();
      await producer.disconnect();
      await admin.disconnect();
      await mongo.client.close();
    },
  };
});
