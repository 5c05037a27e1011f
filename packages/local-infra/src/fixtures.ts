import { randomBytes } from "node:crypto";
import { createKafka, createLogger, ensureTopics, prefixedTopicNames, allTopics, connectMongo, ensureIndexes, type Logger, type Mongo, type TopicNames } from "@agiletune/shared";
import type { Kafka } from "kafkajs";
import { inject, test as base } from "vitest";

export type InfraFixtures = {
  /** A unique id for this test; prefixes its topics, consumer groups and database. */
  testId: string;
  logger: Logger;
  kafkaBrokers: string[];
  kafka: Kafka;
  /** This test's own copy of every topic of CONTRACT §1, created before the test. */
  topics: TopicNames;
  /** This test's own database, dropped after the test. */
  mongo: Mongo;
  mongoUrl: string;
};

/** Vitest fixtures for tests that need the real broker and database server. */
export const integrationTest = base.extend<InfraFixtures>({
  // Vitest reads a fixture's dependencies from its first parameter, which must be an object
  // pattern: `{}` is how a fixture says it needs none.
  testId: async ({}, use) => {
    await use(`t${Date.now().toString(36)}${randomBytes(3).toString("hex")}`);
  },
  logger: async ({}, use) => {
    await use(createLogger("test", process.env.TEST_LOG_LEVEL ?? "silent"));
  },
  kafkaBrokers: async ({}, use) => {
    await use(inject("kafkaBrokers").split(","));
  },
  kafka: async ({ kafkaBrokers, logger, testId }, use) => {
    await use(createKafka({ brokers: kafkaBrokers, clientId: testId, logger }));
  },
  topics: async ({ kafka, testId }, use) => {
    const names = prefixedTopicNames(`${testId}.`);
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, allTopics(names), { numPartitions: 3, replicationFactor: 1 });
    await use(names);
    await admin.deleteTopics({ topics: allTopics(names) }).catch(() => undefined);
    await admin.disconnect();
  },
  mongoUrl: async ({ testId }, use) => {
    const url = new URL(inject("mongoUrl"));
    url.pathname = `/${testId}`;
    await use(url.toString());
  },
  mongo: async ({ mongoUrl }, use) => {
    const mongo = await connectMongo(mongoUrl);
    await ensureIndexes(mongo.db);
    await use(mongo);
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.client.close();
  },
});
