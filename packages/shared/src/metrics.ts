import type { Admin } from "kafkajs";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";

/** A registry per service, with Node's default process metrics. */
export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * `kafka_consumer_lag{topic}`: end offsets minus the group's committed offsets, summed
 * over partitions, computed when Prometheus scrapes (no timer to leak).
 */
export function registerConsumerLag(registry: Registry, admin: Admin, groups: Array<{ groupId: string; topic: string }>): void {
  new Gauge({
    name: "kafka_consumer_lag",
    help: "Messages not yet committed by this service's consumer group, per topic",
    labelNames: ["topic", "group"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const { groupId, topic } of groups) {
        try {
          const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
          const committedByPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
          let lag = 0;
          for (const end of ends) {
            const done = committedByPartition.get(end.partition) ?? -1;
            const low = Number(end.low);
            lag += Math.max(0, Number(end.high) - Math.max(done, low));
          }
          this.set({ topic, group: groupId }, lag);
        } catch {
          // A scrape must not fail because the broker is briefly away; the series is just absent.
        }
      }
    },
  });
}
