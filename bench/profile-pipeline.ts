// Profiling harness: runs the three pipeline services in this process against the local
// broker and database with a loopback receiver, and reports CPU use and event-loop delay.
// `node --cpu-prof --import tsx bench/profile-pipeline.ts [events] [webhooks]`
import { randomBytes } from "node:crypto";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { startReceiver } from "@agiletune/local-infra/receiver";
import { allTopics, connectMongo, createKafka, createLogger, ensureIndexes, ensureTopics, prefixedTopicNames } from "@agiletune/shared";
import { domainEvent, startPipeline } from "@agiletune/testing/harness";

const events = Number(process.argv[2] ?? 30);
const webhookCount = Number(process.argv[3] ?? 20);
const testId = `prof${randomBytes(3).toString("hex")}`;
const logger = createLogger("profile", "warn");
const kafka = createKafka({ brokers: [process.env.KAFKA_BROKERS ?? "127.0.0.1:9092"], clientId: testId, logger });
const topics = prefixedTopicNames(`${testId}.`);
const admin = kafka.admin();
await admin.connect();
await ensureTopics(admin, allTopics(topics), { numPartitions: 3, replicationFactor: 1 });
const mongo = await connectMongo(`mongodb://127.0.0.1:27017/${testId}`);
await ensureIndexes(mongo.db);

const receiver = await startReceiver(() => ({ status: 200 }));
const pipeline = await startPipeline({ kafka, db: mongo.db, topics, logger, testId, deliveryTimeoutMs: 10_000, maxInFlightPerEndpoint: 4, maxInFlight: 128 });
for (let i = 0; i < webhookCount; i++) await pipeline.createWebhook({ url: receiver.url(`/h-${i}`) });

const loop = monitorEventLoopDelay({ resolution: 20 });
loop.enable();
const cpu0 = process.cpuUsage();
const t0 = Date.now();
await pipeline.produceEvents(Array.from({ length: events }, () => domainEvent()));
await receiver.waitFor((all) => all.length >= events * webhookCount, 120_000);
const elapsed = Date.now() - t0;
const cpu = process.cpuUsage(cpu0);
console.log(
  JSON.stringify({
    deliveries: receiver.requests.length,
    elapsedMs: elapsed,
    perSecond: Math.round((receiver.requests.length * 1000) / elapsed),
    cpuPercentOfOneCore: Math.round((cpu.user + cpu.system) / 10 / elapsed),
    loopDelayP99Ms: Math.round(loop.percentile(99) / 1e6),
    loopDelayMaxMs: Math.round(loop.max / 1e6),
  }),
);
await pipeline.stop();
await receiver.close();
await admin.deleteTopics({ topics: allTopics(topics) });
await admin.disconnect();
await mongo.db.dropDatabase();
await mongo.client.close();
