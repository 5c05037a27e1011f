// The machine's own ceilings, measured before the scenarios on the same receiver, broker
// and database: what the pipeline's figures are percentages of.
import type { Infra } from "@agiletune/local-infra";
import { connectMongo, createKafka, createProducer, ensureIndexes, newDeliveryEntry, storedAttempts, type Logger } from "@agiletune/shared";
import { Agent, request } from "undici";
import { insertedPerSecond, signedRequestHeaders } from "./log-documents.js";
import type { ReceiverProcess } from "./receiver-client.js";

export type Ceilings = { httpRequestsPerSecond: number; kafka: { produce: number; consume: number }; databaseLogInsertsPerSecond: number };

type CeilingContext = { infra: Infra; runId: string; logger: Logger; receiver: ReceiverProcess };

/** (a) HTTP, (b) Kafka, (c) the database, one after the other. */
export async function measureCeilings(ctx: CeilingContext): Promise<Ceilings> {
  return { httpRequestsPerSecond: await httpCeiling(ctx.receiver, 5), kafka: await kafkaCeiling(ctx), databaseLogInsertsPerSecond: await databaseCeiling(ctx) };
}

/** (a) Raw keep-alive POSTs to the receiver, 64 at a time: requests per second. */
export async function httpCeiling(receiver: ReceiverProcess, seconds: number): Promise<number> {
  const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  const body = JSON.stringify({ event: "task.updated", timestamp: new Date().toISOString(), data: { id: "x", title: "y".repeat(200) } });
  let done = 0;
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (Date.now() < deadline) {
        const res = await request(receiver.url("/ceiling/raw"), { method: "POST", body, headers: { "content-type": "application/json" }, dispatcher: agent });
        await res.body.dump();
        done++;
      }
    }),
  );
  await agent.close();
  return Math.round(done / seconds);
}

/** (b) Raw kafkajs produce, then consume, of 100 000 messages on a topic of its own. */
async function kafkaCeiling({ infra, runId, logger }: CeilingContext): Promise<{ produce: number; consume: number }> {
  const kafka = createKafka({ brokers: infra.kafkaBrokers.split(","), clientId: `${runId}-ceiling`, logger });
  const topic = `${runId}.ceiling`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
  const producer = createProducer(kafka);
  await producer.connect();
  const value = Buffer.alloc(400, "x");
  const total = 100_000;
  let t = Date.now();
  for (let i = 0; i < total; i += 1000) await producer.send({ topic, messages: Array.from({ length: 1000 }, (_, j) => ({ key: String((i + j) % 50), value })) });
  const produce = Math.round(total / ((Date.now() - t) / 1000));
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `${runId}-ceiling`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let consumed = 0;
  t = Date.now();
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        consumed += batch.messages.length;
        if (consumed >= total) resolve();
      },
    });
  });
  const consume = Math.round(total / ((Date.now() - t) / 1000));
  await consumer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  return { produce, consume };
}

/**
 * (c) The database: delivery-log documents of the dispatcher's shape (one attempt with
 * its request and response headers, and the payload, each as JSON text), inserted in batches of 400 by two
 * writers, as the dispatcher's LogWriter lanes do. Every delivery costs one of these.
 */
async function databaseCeiling({ infra, runId, receiver }: CeilingContext): Promise<number> {
  const url = new URL(infra.mongoUrl);
  url.pathname = `/${runId}_ceiling`;
  const mongo = await connectMongo(url.toString());
  const deliveries = mongo.db.collection("deliveries");
  await ensureIndexes(mongo.db);
  const secret = "whsec_ceiling_0123456789";
  const document = (i: number) => {
    const deliveryId = `dlv_${runId}_${i}`;
    const body = JSON.stringify({ event: "task.updated", timestamp: new Date().toISOString(), data: { id: `obj_${i}`, title: "Implement login page", producedAt: Date.now() } });
    const headers = signedRequestHeaders({ deliveryId, event: "task.updated", body }, secret, new Date());
    const at = new Date();
    // The dispatcher's shape for a first attempt that succeeded.
    return newDeliveryEntry({ deliveryId, webhookId: `wh_${i % 50}`, organizationId: `org_${i % 50}`, eventId: `evt_${i}`, event: "task.updated" }, at, {
      status: "succeeded",
      attempts: storedAttempts([
        {
          attempt: 0,
          source: "event",
          startedAt: at,
          durationMs: 3,
          outcome: "succeeded",
          request: { url: receiver.url("/ok/1"), headers },
          response: { status: 200, headers: { "content-length": "2", date: at.toUTCString(), "keep-alive": "timeout=5" }, body: "ok", bodyTruncated: false },
          error: null,
        },
      ]),
      firstAttemptId: `${deliveryId}.0.ceiling`,
      lastAttempt: { startedAt: at, responseStatus: 200 },
      payload: body,
    });
  };
  const perSecond = await insertedPerSecond(deliveries, 8_000, document);
  await mongo.db.dropDatabase();
  await mongo.client.close();
  return perSecond;
}
