import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePortRun, startKafkaCluster, stopKafkaCluster, type KafkaCluster } from "@agiletune/local-infra";
import { integrationTest } from "./fixtures.js";

const CLUSTER_NODES = 3;

/**
 * `integrationTest` on a three-node KRaft cluster of its own (fresh data dirs, free loopback
 * ports, a 256 MiB heap per node) instead of the shared broker: `kafka`, `topics` (3
 * replicas, `min.insync.replicas` 2) and `serviceProcess` all use it, and `kafkaCluster`
 * kills and restarts its nodes. Stopped and deleted after the test.
 */
export const kafkaClusterTest = integrationTest.extend<{ kafkaCluster: KafkaCluster; kafkaBrokers: string[] }>({
  // eslint-disable-next-line no-empty-pattern
  kafkaCluster: async ({}, use) => {
    const home = mkdtempSync(join(tmpdir(), "agiletune-kafka-cluster-"));
    // Broker ports first, then controller ports.
    const port = await freePortRun(2 * CLUSTER_NODES);
    try {
      await use(await startKafkaCluster({ nodes: CLUSTER_NODES, port, controllerPort: port + CLUSTER_NODES, home, maxHeap: "256m" }));
    } finally {
      // Also the nodes of a start that failed half-way.
      await stopKafkaCluster(home);
      rmSync(home, { recursive: true, force: true });
    }
  },
  kafkaBrokers: async ({ kafkaCluster }, use) => {
    await use(kafkaCluster.brokers.split(","));
  },
});
