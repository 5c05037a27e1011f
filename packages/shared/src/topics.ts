import type { Admin } from "kafkajs";
import { retryUntil } from "./retry-until.js";

/** max.message.bytes of the topics the services create: room for large events. */
export const TOPIC_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/** Topic names of docs/topics-and-formats.md#topics. Fixed: operators and upstream services rely on them. */
export const TOPICS = {
  events: "agiletune.events",
  eventsInvalid: "agiletune.events.invalid",
  deliveries: "agiletune.deliveries",
  deadLetters: "agiletune.deliveries.dlq",
  notifications: "agiletune.webhooks.notifications",
} as const;

/** One retry topic per tier, in order: retry 1 goes to the first, retry 5 to the last. */
export const RETRY_TOPICS = ["agiletune.retry.1m", "agiletune.retry.5m", "agiletune.retry.30m", "agiletune.retry.2h", "agiletune.retry.12h"] as const;

export type TopicNames = {
  events: string;
  eventsInvalid: string;
  deliveries: string;
  deadLetters: string;
  notifications: string;
  retries: readonly string[];
};

export const DEFAULT_TOPIC_NAMES: TopicNames = { ...TOPICS, retries: RETRY_TOPICS };

/** Same names with a prefix, so integration tests never share topics. */
export function prefixedTopicNames(prefix: string): TopicNames {
  return {
    events: prefix + TOPICS.events,
    eventsInvalid: prefix + TOPICS.eventsInvalid,
    deliveries: prefix + TOPICS.deliveries,
    deadLetters: prefix + TOPICS.deadLetters,
    notifications: prefix + TOPICS.notifications,
    retries: RETRY_TOPICS.map((t) => prefix + t),
  };
}

export function allTopics(names: TopicNames): string[] {
  return [names.events, names.eventsInvalid, names.deliveries, names.deadLetters, names.notifications, ...names.retries];
}

/**
 * Replication that follows the cluster's size: 3 replicas where there are 3 brokers or more,
 * a write acknowledged (acks=all) once 2 of them have it, so one broker can be lost without
 * losing an acknowledged write or stopping writes; one broker keeps one replica, as it must.
 */
export function replicationFor(brokers: number): { replicationFactor: number; minInsyncReplicas: number } {
  const replicationFactor = Math.max(1, Math.min(3, brokers));
  return { replicationFactor, minInsyncReplicas: minInsyncFor(replicationFactor) };
}

function minInsyncFor(replicationFactor: number): number {
  return replicationFactor >= 3 ? 2 : 1;
}

export type TopicLayout = {
  numPartitions: number;
  /** Unset: follows the cluster, by `replicationFor` the brokers live when the topics are created. */
  replicationFactor?: number | undefined;
};

/**
 * Creates the topics that do not exist yet. Safe to call from every service at every
 * start-up: existing topics (whatever their partition count or replication) are left alone.
 */
export async function ensureTopics(admin: Admin, topics: string[], layout: TopicLayout): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length === 0) return [];
  const replicationFactor = layout.replicationFactor ?? replicationFor((await admin.describeCluster()).brokers.length).replicationFactor;
  const configEntries = [
    // Room for large events: a job carries its event, plus headers, so it is a little
    // larger than the event upstream produced.
    { name: "max.message.bytes", value: String(TOPIC_MAX_MESSAGE_BYTES) },
    // Below 3 replicas the broker's own default stands (1 unless its operator chose otherwise).
    ...(replicationFactor >= 3 ? [{ name: "min.insync.replicas", value: String(minInsyncFor(replicationFactor)) }] : []),
  ];
  try {
    await admin.createTopics({
      // kafkajs' own wait trips over UNKNOWN_TOPIC_OR_PARTITION while a KRaft broker is
      // still publishing the new topics; waitForLeaders below tolerates that.
      waitForLeaders: false,
      topics: missing.map((topic) => ({ topic, numPartitions: layout.numPartitions, replicationFactor, configEntries })),
    });
  } catch (err) {
    // Another service may have created them between list and create; that is fine.
    const after = new Set(await admin.listTopics());
    if (missing.some((t) => !after.has(t))) throw err;
  }
  await waitForLeaders(admin, missing);
  return missing;
}

async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const led = await retryUntil(
    async () => {
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
      if (!metadata.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) throw new Error(`topics have no leader after ${timeoutMs} ms: ${topics.join(", ")}`);
      // A KRaft broker may name itself leader in its metadata a moment before it serves the
      // partition ("not the leader for that topic-partition"): ready once every partition
      // answers for its offsets.
      await Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic)));
    },
    { initialDelayMs: 100, maxDelayMs: 100, timeoutMs },
  );
  if (!led.ok) throw led.error;
}
