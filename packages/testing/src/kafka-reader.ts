import { randomBytes } from "node:crypto";
import { decodeDeliveryJob, type DeliveryJob } from "@agiletune/shared";
import type { Kafka } from "kafkajs";
import { waitFor } from "./wait-for.js";

export type ReadMessage = { partition: number; offset: string; key: Buffer | null; value: Buffer | null; headers: Record<string, string> };

/**
 * Reads a topic from its start, as a consumer group of its own, until `count` messages
 * arrived and then on to the end of the topic as it stood at that moment: everything is
 * returned, so more than `count` (a duplicate, a stray job) is for the test to see, and
 * no time is spent waiting for messages that may never come. Fails after `timeoutMs`.
 */
export async function readTopic(kafka: Kafka, topic: string, count: number, timeoutMs = 20_000): Promise<ReadMessage[]> {
  const consumer = kafka.consumer({ groupId: `${topic}.reader.${randomBytes(4).toString("hex")}`, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  const admin = kafka.admin();
  const messages: ReadMessage[] = [];
  const next = new Map<number, bigint>();
  let crashed: unknown;
  try {
    // A crash is reported at the deadline, as the last error of the wait.
    consumer.on(consumer.events.CRASH, (e) => (crashed = e.payload.error));
    await Promise.all([consumer.connect(), admin.connect()]);
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        messages.push({ partition, offset: message.offset, key: message.key, value: message.value, headers });
        next.set(partition, BigInt(message.offset) + 1n);
      },
    });
    const deadline = Date.now() + timeoutMs;
    const check = (met: () => boolean) => () => {
      if (crashed) throw crashed;
      return met();
    };
    await waitFor(
      check(() => messages.length >= count),
      { timeout: timeoutMs, message: () => `read ${messages.length} of ${count} messages from ${topic}` },
    );
    const ends = await admin.fetchTopicOffsets(topic);
    await waitFor(
      check(() => ends.every((p) => BigInt(p.high) <= (next.get(p.partition) ?? BigInt(p.low)))),
      { timeout: Math.max(5_000, deadline - Date.now()), message: () => `read the rest of ${topic} (${messages.length} messages so far)` },
    );
  } finally {
    await consumer.disconnect();
    await admin.disconnect();
  }
  return messages;
}

/** Reads delivery jobs as `readTopic` reads messages (at least `count`, and whatever else is there), decoded. */
export async function consumeJobs(kafka: Kafka, topic: string, count: number, timeoutMs = 30_000): Promise<Array<{ key: string; job: DeliveryJob }>> {
  return (await readTopic(kafka, topic, count, timeoutMs)).map((m) => {
    const decoded = decodeDeliveryJob(m.value);
    if (!decoded.ok) throw new Error(`bad job on ${topic} at ${m.partition}/${m.offset}: ${decoded.reason}`);
    return { key: m.key?.toString() ?? "", job: decoded.value };
  });
}
