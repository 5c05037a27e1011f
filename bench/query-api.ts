// The admin API for `pnpm bench:queries` (bench/README.md, "Big delivery log"): wired as
// services/admin-api/src/main.ts, with the same configuration (ADMIN_API_PORT,
// ADMIN_TOKEN, MONGO_URL, ...) and the services' own indexes, but without the retention
// sweeper. On FerretDB a sweeper pass over a log of 1 000 000 deliveries with nothing
// expired reads every document of the three collections (~280 s of a core, measured,
// every pass), which would measure the sweeper, not the queries; that cost is reported
// on its own. Run: `pnpm bench:query-api`.
import type { AddressInfo } from "node:net";
import { allTopics, connectMongo, createKafka, createProducer, createRegistry, ensureIndexes, ensureTopics, kafkaReachable, prefixedTopicNames, runService } from "@agiletune/shared";
import { createApp } from "../services/admin-api/src/app.js";

await runService("admin-api", async (config, logger) => {
  const mongo = await connectMongo(config.MONGO_URL, { appName: "admin-api" });
  const indexing = Date.now();
  await ensureIndexes(mongo.db);
  logger.info({ ms: Date.now() - indexing }, "indexes ensured");
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: "admin-api", logger });
  const admin = kafka.admin();
  await admin.connect();
  const topics = prefixedTopicNames(config.TOPIC_PREFIX);
  await ensureTopics(admin, allTopics(topics), { numPartitions: config.KAFKA_TOPIC_PARTITIONS, replicationFactor: config.KAFKA_REPLICATION_FACTOR });
  const producer = createProducer(kafka);
  await producer.connect();
  const app = createApp({ registry: createRegistry("admin-api"), db: mongo.db, producer, topics, config, logger, kafkaReady: kafkaReachable(admin) });
  const server = app.listen(config.ADMIN_API_PORT, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  logger.info({ port: (server.address() as AddressInfo).port }, "admin API listening (no retention sweeper)");
  return {
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await producer.disconnect();
      await admin.disconnect();
      await mongo.client.close();
    },
  };
});
