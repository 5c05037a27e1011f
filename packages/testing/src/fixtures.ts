import { randomBytes } from "node:crypto";
import { ServiceProcess, type ServiceName } from "@agiletune/local-infra";
import { startReceiver as startLoopbackReceiver, type Receiver, type Responder } from "@agiletune/local-infra/receiver";
import { createKafka, createLogger, ensureTopics, prefixedTopicNames, allTopics, connectMongo, ensureIndexes, type Logger, type Mongo, type TopicNames } from "@agiletune/shared";
import type { Kafka } from "kafkajs";
import { inject, test as base } from "vitest";
// Types only: the services and the admin API are loaded by the fixtures that start them,
// so that a test of the database alone does not load them all.
import type { TestApi, TestApiOptions } from "./api-harness.js";
import { ResourceTracker } from "./leaks.js";
import type { Pipeline, PipelineOptions } from "./pipeline.js";

export type InfraFixtures = {
  /**
   * Watches everything the test and its fixtures open. Set up before any other fixture and
   * torn down after all of them: a client, server or child process still open then fails
   * the test (and is closed). Runs for every test, asked for or not.
   */
  resources: ResourceTracker;
  /** A unique id for this test; prefixes its topics, consumer groups and database. */
  testId: string;
  logger: Logger;
  kafkaBrokers: string[];
  /** A client of the real broker; every producer, consumer and admin made from it is watched. */
  kafka: Kafka;
  /** This test's own copy of every topic of docs/topics-and-formats.md#topics, created before the test. */
  topics: TopicNames;
  /** This test's own database, dropped after the test. */
  mongo: Mongo;
  mongoUrl: string;
  /** Starts a real HTTP receiver on loopback; every one started is closed after the test. */
  startReceiver: (respond?: Responder) => Promise<Receiver>;
  /**
   * A service as its own OS process (not started yet), configured for this test's broker,
   * database and topic prefix plus `env`; stopped after the test.
   */
  serviceProcess: (name: ServiceName, env?: NodeJS.ProcessEnv) => ServiceProcess;
};

/** Vitest fixtures for tests that need the real broker and database server. */
export const integrationTest = base.extend<InfraFixtures>({
  resources: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const resources = new ResourceTracker();
      await use(resources);
      await resources.check();
    },
    { auto: true },
  ],
  // eslint-disable-next-line no-empty-pattern
  testId: async ({}, use) => {
    await use(`t${Date.now().toString(36)}${randomBytes(3).toString("hex")}`);
  },
  // eslint-disable-next-line no-empty-pattern
  logger: async ({}, use) => {
    await use(createLogger("test", process.env.TEST_LOG_LEVEL ?? "silent"));
  },
  // eslint-disable-next-line no-empty-pattern
  kafkaBrokers: async ({}, use) => {
    await use(inject("kafkaBrokers").split(","));
  },
  kafka: async ({ resources, kafkaBrokers, logger, testId }, use) => {
    await use(resources.kafka(createKafka({ brokers: kafkaBrokers, clientId: testId, logger })));
  },
  topics: async ({ kafka, testId }, use) => {
    const names = prefixedTopicNames(`${testId}.`);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, allTopics(names), { numPartitions: 3 });
      await use(names);
      await admin.deleteTopics({ topics: allTopics(names) }).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
  },
  mongoUrl: async ({ testId }, use) => {
    const url = new URL(inject("mongoUrl"));
    url.pathname = `/${testId}`;
    await use(url.toString());
  },
  mongo: async ({ resources, mongoUrl }, use) => {
    const mongo = await connectMongo(mongoUrl);
    resources.mongoClient(mongo.client, "the test's MongoClient");
    try {
      await ensureIndexes(mongo.db);
      await use(mongo);
      await mongo.db.dropDatabase().catch(() => undefined);
    } finally {
      await mongo.client.close();
    }
  },
  // eslint-disable-next-line no-empty-pattern
  startReceiver: async ({}, use) => {
    const started: Receiver[] = [];
    await use(async (respond) => {
      const receiver = await startLoopbackReceiver(respond);
      started.push(receiver);
      return receiver;
    });
    await Promise.all(started.map((r) => r.close()));
  },
  serviceProcess: async ({ kafkaBrokers, mongoUrl, testId }, use) => {
    const made: ServiceProcess[] = [];
    await use((name, env = {}) => {
      const service = new ServiceProcess(name, { KAFKA_BROKERS: kafkaBrokers.join(","), MONGO_URL: mongoUrl, TOPIC_PREFIX: `${testId}.`, METRICS_PORT: "0", LOG_LEVEL: "info", ...env });
      made.push(service);
      return service;
    });
    await Promise.all(made.map((s) => s.stop()));
  },
});

/** `integrationTest` plus `startPipeline`: the three services in this process on the test's own topics, groups and database, stopped after the test. */
export const pipelineTest = integrationTest.extend<{ startPipeline: (opts?: Omit<PipelineOptions, "kafka" | "db" | "topics" | "logger" | "testId">) => Promise<Pipeline> }>({
  startPipeline: async ({ kafka, mongo, topics, logger, testId }, use) => {
    const { startPipeline } = await import("./pipeline.js");
    const started: Pipeline[] = [];
    await use(async (opts = {}) => {
      const pipeline = await startPipeline({ kafka, db: mongo.db, topics, logger, testId, ...opts });
      started.push(pipeline);
      return pipeline;
    });
    for (const pipeline of started.reverse()) await pipeline.stop();
  },
});

/**
 * `integrationTest` plus the admin API on the test's own database and topics: `api` (one
 * with the defaults) or `startApi` (with options). Each is closed after the test, which
 * fails it if a response broke the OpenAPI document or a secret leaked.
 */
export const apiTest = integrationTest.extend<{ startApi: (opts?: Omit<TestApiOptions, "db" | "kafka" | "topics">) => Promise<TestApi>; api: TestApi }>({
  startApi: async ({ mongo, kafka, topics }, use) => {
    const { startTestApi } = await import("./api-harness.js");
    const started: TestApi[] = [];
    await use(async (opts = {}) => {
      const api = await startTestApi({ db: mongo.db, kafka, topics, ...opts });
      started.push(api);
      return api;
    });
    const failures: unknown[] = [];
    for (const api of started.reverse()) await api.close().catch((err: unknown) => failures.push(err));
    if (failures.length) throw failures[0];
  },
  api: async ({ startApi }, use) => {
    await use(await startApi());
  },
});
