import { createProducer, type Logger, type TopicNames } from "@agiletune/shared";
import type { Kafka } from "kafkajs";
import { Counter, Histogram, type Registry } from "prom-client";
import { startTierConsumer, type TierConsumer } from "./tier-consumer.js";

export type RetryService = { tiers: TierConsumer[]; stop: () => Promise<void> };

/** One consumer (and consumer group) per retry tier topic, sharing one producer. */
export async function startRetryService(opts: { kafka: Kafka; topics: TopicNames; logger: Logger; registry: Registry; groupIdPrefix?: string }): Promise<RetryService> {
  const metrics = {
    handedBack: new Counter({ name: "retry_jobs_handed_back_total", help: "Jobs returned to the deliveries topic, per tier", labelNames: ["tier"], registers: [opts.registry] }),
    lateness: new Histogram({
      name: "retry_handback_lateness_seconds",
      help: "How long after its due time a job was handed back",
      labelNames: ["tier"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 30],
      registers: [opts.registry],
    }),
  };
  const producer = createProducer(opts.kafka);
  await producer.connect();
  const prefix = opts.groupIdPrefix ?? "agiletune-retry";
  const tiers = await Promise.all(
    opts.topics.retries.map((tierTopic) =>
      startTierConsumer({ kafka: opts.kafka, producer, tierTopic, deliveriesTopic: opts.topics.deliveries, groupId: `${prefix}-${tierTopic}`, logger: opts.logger, metrics }),
    ),
  );
  return {
    tiers,
    async stop() {
      await Promise.all(tiers.map((t) => t.stop()));
      await producer.disconnect();
    },
  };
}
