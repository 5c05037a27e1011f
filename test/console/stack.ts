// The whole product for the browser tests, in this process: the admin API (serving the
// built page), fanout, dispatcher and retry on the real broker and database, with this
// file's own topics, consumer groups and database, and a receiver on loopback.
import { randomBytes } from "node:crypto";
import { allTopics, CONFIG_DEFAULTS, connectMongo, createKafka, createProducer, endpointHealthSettings, ensureIndexes, ensureTopics, prefixedTopicNames } from "@agiletune/shared";
import { startReceiver, type ReceivedRequest } from "@agiletune/local-infra/receiver";
import { Registry } from "prom-client";
import { inject } from "vitest";
import { ensureConsoleBuilt } from "../../scripts/build.js";
import { capturingLogger, startTestApi } from "@agiletune/testing/harness";
import { startDispatcher } from "../../services/dispatcher/src/dispatcher.js";
import { startFanout } from "../../services/fanout/src/fanout.js";
import { startRetryService } from "../../services/retry/src/retry-service.js";

export type Answer = { status: number; body?: string; headers?: Record<string, string> };

export type ConsoleStack = Awaited<ReturnType<typeof startConsoleStack>>;

/** Starts everything; `answers` says what the receiver answers per path (200 "ok" otherwise). */
export async function startConsoleStack(opts: { retryDelaysMs: number[] }) {
  const testId = `ui${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  // Every line the pipeline services log, at debug level and unredacted, to look for secrets in.
  const { logger, lines: logLines } = capturingLogger("debug");
  const kafka = createKafka({ brokers: inject("kafkaBrokers").split(","), clientId: testId, logger });
  const topics = prefixedTopicNames(`${testId}.`);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, allTopics(topics), { numPartitions: 3, replicationFactor: 1 });
  const mongoUrl = new URL(inject("mongoUrl"));
  mongoUrl.pathname = `/${testId}`;
  const mongo = await connectMongo(mongoUrl.toString());
  await ensureIndexes(mongo.db);

  // A clean clone has no built page: build it (esbuild, well under a second) when stale.
  await ensureConsoleBuilt();
  const api = await startTestApi({ db: mongo.db, kafka, topics, allowPrivateUrls: true });

  const registry = new Registry();
  const common = { kafka, topics, logger, registry };
  const retry = await startRetryService({ ...common, groupIdPrefix: `${testId}-retry` });
  const dispatcher = await startDispatcher({
    ...common,
    db: mongo.db,
    groupId: `${testId}-dispatcher`,
    // The admin API sealed the secrets: the dispatcher must open them with the same key.
    encryptionKey: api.encryptionKey,
    retryDelaysMs: opts.retryDelaysMs,
    deliveryTimeoutMs: 5_000,
    allowPrivateUrls: true,
    maxInFlight: 64,
    maxInFlightPerEndpoint: 8,
    maxInFlightBytes: CONFIG_DEFAULTS.DISPATCH_MAX_IN_FLIGHT_BYTES,
    health: endpointHealthSettings(CONFIG_DEFAULTS),
    // Written often, so the page's charts show an attempt within a second.
    endpointStats: { flushIntervalMs: 300 },
  });
  const fanout = await startFanout({ ...common, db: mongo.db, groupId: `${testId}-fanout` });
  const producer = createProducer(kafka);
  await producer.connect();

  const answers = new Map<string, Answer>();
  const receiver = await startReceiver((req: ReceivedRequest) => answers.get(req.path) ?? { status: 200, body: "ok" });

  let counter = 0;
  return {
    testId,
    api,
    db: mongo.db,
    receiver,
    logLines,
    /** What the receiver answers at `path` from now on. */
    answer: (path: string, answer: Answer) => answers.set(path, answer),
    /** Produces one domain event to `agiletune.events` (this file's prefixed copy), as an upstream service would. */
    async produceEvent(organizationId: string, event: string, data: Record<string, unknown>) {
      counter++;
      const domainEvent = { id: `evt_${testId}_${counter}`, event, timestamp: new Date().toISOString(), organizationId, data };
      await producer.send({ topic: topics.events, messages: [{ key: organizationId, value: JSON.stringify(domainEvent) }] });
      return domainEvent;
    },
    async stop() {
      await producer.disconnect();
      await fanout.stop();
      await dispatcher.stop();
      await retry.stop();
      await receiver.close();
      try {
        // Checks every response of the harness's own requests against the OpenAPI document and for leaked secrets.
        await api.close();
      } finally {
        await mongo.db.dropDatabase().catch(() => undefined);
        await mongo.client.close();
        await admin.deleteTopics({ topics: allTopics(topics) }).catch(() => undefined);
        await admin.disconnect();
      }
    },
  };
}
