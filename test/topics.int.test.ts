import { randomBytes } from "node:crypto";
import { ConfigResourceTypes } from "kafkajs";
import { pino } from "pino";
import { expect, inject, test } from "vitest";
import { createKafka, ensureTopics } from "@agiletune/shared";
import { capturingLogger } from "@agiletune/testing";

type Admin = ReturnType<ReturnType<typeof createKafka>["admin"]>;

test("two services creating the same topics at once: both start, and the loser's race is a debug line, not an error", async () => {
  const { logger, lines: logged } = capturingLogger("debug");
  const lines = (): Array<{ level: number; msg: string; error?: string; clientId?: string }> => logged.map((l) => JSON.parse(l));
  const brokers = inject("kafkaBrokers").split(",");
  const id = `t${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  const topics = [`${id}.a`, `${id}.b`, `${id}.c`];
  const admins = [createKafka({ brokers, clientId: `${id}-one`, logger }).admin(), createKafka({ brokers, clientId: `${id}-two`, logger }).admin()];
  await Promise.all(admins.map((a) => a.connect()));
  // Both list the topics before either creates them, as two services starting together do.
  let listed = 0;
  let bothListed!: () => void;
  const barrier = new Promise<void>((resolve) => (bothListed = resolve));
  const racing = (admin: Admin): Admin => ({
    ...admin,
    listTopics: async () => {
      const names = await admin.listTopics();
      if (++listed === 2) bothListed();
      await barrier;
      return names;
    },
  });
  try {
    const created = await Promise.all(admins.map((a) => ensureTopics(racing(a), topics, { numPartitions: 1, replicationFactor: 1 })));
    expect(created).toEqual([topics, topics]);
    expect(await admins[0]!.listTopics()).toEqual(expect.arrayContaining(topics));
    // The race did happen (one CreateTopics answered "already exists"), and nothing was logged as an error.
    expect(
      lines()
        .filter((l) => l.msg.startsWith("Response CreateTopics"))
        .map((l) => [l.level, l.error]),
    ).toEqual([[20, "Topic creation errors"]]);
    expect(lines().filter((l) => l.level >= 50)).toEqual([]);
  } finally {
    await admins[0]!.deleteTopics({ topics }).catch(() => undefined);
    await Promise.all(admins.map((a) => a.disconnect()));
  }
});

test("without a replication factor, new topics follow the cluster: one replica per broker up to 3, min.insync.replicas 2 set only with 3", async () => {
  const brokers = inject("kafkaBrokers").split(",");
  const topic = `t${Date.now().toString(36)}${randomBytes(3).toString("hex")}.follows`;
  const admin = createKafka({ brokers, clientId: topic, logger: pino({ level: "silent" }) }).admin();
  await admin.connect();
  try {
    const live = (await admin.describeCluster()).brokers.length;
    await ensureTopics(admin, [topic], { numPartitions: 1 });
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    const [config] = (await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ["min.insync.replicas"] }], includeSynonyms: false })).resources;
    const minInsync = config!.configEntries.find((e) => e.configName === "min.insync.replicas")!;
    // A value the topic sets itself has configSource TOPIC_CONFIG (1); otherwise the broker's stands.
    const setOnTopic = minInsync.configSource === 1 ? minInsync.configValue : undefined;
    expect({ replicas: metadata!.partitions[0]!.replicas.length, setOnTopic }).toEqual(live >= 3 ? { replicas: 3, setOnTopic: "2" } : { replicas: live, setOnTopic: undefined });
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
});
