import type { Kafka } from "kafkajs";
import type { Registry } from "prom-client";
import type { Config } from "./config.js";
import { createKafka } from "./kafka.js";
import type { Logger } from "./logger.js";
import { createRegistry, registerConsumerLag } from "./metrics.js";
import { migrateLegacyLayout } from "./delivery-log/migrate-legacy.js";
import { connectMongo, ensureIndexes, type Mongo } from "./mongo.js";
import { kafkaReachable, mongoReachable, startOpsServer } from "./ops-server.js";
import { allTopics, DEFAULT_TOPIC_NAMES, ensureTopics, prefixedTopicNames, type TopicNames } from "./topics.js";

export type WorkerContext = {
  kafka: Kafka;
  mongo: Mongo | null;
  registry: Registry;
  topics: TopicNames;
  /** Closes the ops server, the admin client and MongoDB. */
  close: () => Promise<void>;
};

/**
 * What every worker's `main` does before its own work: connect, create missing topics
 * and indexes, and serve /healthz, /readyz and /metrics on METRICS_PORT.
 */
export async function bootstrapWorker(
  config: Config,
  logger: Logger,
  opts: { needsMongo: boolean; consumerGroups: (topics: TopicNames) => Array<{ groupId: string; topic: string }> },
): Promise<WorkerContext> {
  const topics = config.TOPIC_PREFIX ? prefixedTopicNames(config.TOPIC_PREFIX) : DEFAULT_TOPIC_NAMES;
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `agiletune-${config.service}`, logger });
  const admin = kafka.admin();
  await admin.connect();
  const created = await ensureTopics(admin, allTopics(topics), { numPartitions: config.KAFKA_TOPIC_PARTITIONS, replicationFactor: config.KAFKA_REPLICATION_FACTOR });
  if (created.length) logger.info({ created }, "created topics");

  const mongo = opts.needsMongo ? await connectMongo(config.MONGO_URL, { appName: `agiletune-${config.service}` }) : null;
  if (mongo) {
    await ensureIndexes(mongo.db);
    await migrateLegacyLayout(mongo.db, logger);
  }

  const registry = createRegistry(config.service);
  registerConsumerLag(registry, admin, opts.consumerGroups(topics));
  const ops = await startOpsServer({
    port: config.metricsPort,
    registry,
    checks: mongo ? { kafka: kafkaReachable(admin), mongo: mongoReachable(mongo.db) } : { kafka: kafkaReachable(admin) },
    logger: logger.child({ component: "ops" }),
  });
  logger.info({ port: ops.port }, "ops endpoint listening (/healthz, /readyz, /metrics)");

  return {
    kafka,
    mongo,
    registry,
    topics,
    async close() {
      await ops.close();
      await admin.disconnect();
      await mongo?.client.close();
    },
  };
}
