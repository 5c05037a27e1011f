import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

// kafkajs's own produce path (its sendMessages, with patches/kafkajs@2.2.4.patch applied)
// driven through a failover with the cluster's metadata scripted: which broker leads which
// partition, and which broker's request fails. The broker itself is tested in
// test/kafka-cluster.int.test.ts; this pins the one sequence that lost messages there.
const require = createRequire(import.meta.url);
const kafkajsRoot = require.resolve("kafkajs").replace(/index\.js$/, "");
type SendMessages = (args: {
  acks: number;
  timeout: number;
  compression: number;
  topicMessages: Array<{ topic: string; messages: Array<{ partition: number; value: string }> }>;
}) => Promise<unknown[]>;
const createSendMessages = require(`${kafkajsRoot}src/producer/sendMessages.js`) as (opts: Record<string, unknown>) => SendMessages;
const createRetry = require(`${kafkajsRoot}src/retry/index.js`) as (opts: Record<string, unknown>) => unknown;
const { KafkaJSConnectionClosedError } = require(`${kafkajsRoot}src/errors.js`) as { KafkaJSConnectionClosedError: new (message: string, opts: Record<string, unknown>) => Error };

const TOPIC = "agiletune.deliveries";
const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Two brokers; `leaders` maps partition to node. Node 1 dies on its first request and, after the metadata refresh, node 2 leads everything. */
function failoverCluster() {
  let leaders: Record<number, number> = { 0: 1, 1: 2 };
  const produced: Array<{ node: number; partition: number; values: string[] }> = [];
  const broker = (node: number) => ({
    nodeId: node,
    async produce({ topicData }: { topicData: Array<{ topic: string; partitions: Array<{ partition: number; messages: Array<{ value: string }> }> }> }) {
      if (node === 1) throw new KafkaJSConnectionClosedError("Closed connection", { host: "127.0.0.1", port: 1 });
      for (const { partitions } of topicData) for (const p of partitions) produced.push({ node, partition: p.partition, values: p.messages.map((m) => m.value) });
      return { topics: topicData.map(({ topic, partitions }) => ({ topicName: topic, partitions: partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: "0" })) })) };
    },
  });
  const brokers = new Map([1, 2].map((n) => [n, broker(n)]));
  const metadata = () => Object.entries(leaders).map(([partition, leader]) => ({ partitionId: Number(partition), leader }));
  const cluster = {
    targetTopics: new Set([TOPIC]),
    async refreshMetadataIfNecessary() {},
    async refreshMetadata() {
      leaders = { 0: 2, 1: 2 };
    },
    async addMultipleTargetTopics() {},
    isConnected: () => true,
    removeBroker() {},
    findTopicPartitionMetadata: () => metadata(),
    findLeaderForPartitions(_topic: string, partitions: string[]) {
      const result: Record<number, number[]> = {};
      for (const id of partitions.map(Number)) (result[leaders[id]!] ??= []).push(id);
      return result;
    },
    async findBroker({ nodeId }: { nodeId: string | number }) {
      return brokers.get(Number(nodeId))!;
    },
  };
  return { cluster, produced };
}

const eosManager = {
  isTransactional: () => false,
  getSequence: () => 0,
  updateSequence() {},
  getProducerId: () => -1,
  getProducerEpoch: () => 0,
  async acquireBrokerLock() {},
  async releaseBrokerLock() {},
};

describe("kafkajs produce, patched", () => {
  it("sends a partition again when its new leader already answered for another partition of the same send", async () => {
    const { cluster, produced } = failoverCluster();
    const sendMessages = createSendMessages({
      logger: quietLogger,
      cluster,
      partitioner: ({ message }: { message: { partition: number } }) => message.partition,
      eosManager,
      retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
    });

    await sendMessages({
      acks: -1,
      timeout: 30_000,
      compression: 0,
      topicMessages: [
        {
          topic: TOPIC,
          messages: [
            { partition: 0, value: "job for webhook A" },
            { partition: 1, value: "job for webhook B" },
          ],
        },
      ],
    });

    // Unpatched, the retry found node 2 already answered and sent nothing: partition 0's job was lost.
    expect(produced).toEqual([
      { node: 2, partition: 1, values: ["job for webhook B"] },
      { node: 2, partition: 0, values: ["job for webhook A"] },
    ]);
  });
});
