import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { replicationFor } from "@agiletune/shared";
import { Kafka, logLevel } from "kafkajs";
import { DEFAULT_KAFKA_VERSION, formatStorage, installKafka, installKafkaTools, kafkaLibs, kraftListeners, newClusterId, spawnKafkaNode } from "./kafka-broker.js";
import { INFRA_DIR } from "./paths.js";
import { isAlive, portAnswers, readPid, sleep, stopPidFile, waitFor } from "./processes.js";

/** `./dev start -- --brokers 3`: node 1 answers on 19092, node 2 on 19093, node 3 on 19094. */
export const CLUSTER_DEFAULT_PORT = 19092;
const DEFAULT_CLUSTER_HOME = join(INFRA_DIR, "kafka-cluster");

export type KafkaClusterOptions = {
  /** Nodes, each a broker and a controller voter (combined KRaft mode); default 3. */
  nodes?: number;
  /** Node i's broker port is `port + i - 1` (default 19092). */
  port?: number;
  /** Node i's controller port is `controllerPort + i - 1` (default `port + 100`). */
  controllerPort?: number;
  /** Its configs, data, logs and pid files (default .infra/kafka-cluster). */
  home?: string;
  /** Each node's -Xmx (default 512m). */
  maxHeap?: string;
  version?: string;
};

export type KafkaCluster = {
  /** The broker list, as KAFKA_BROKERS takes it. */
  brokers: string;
  nodeIds: number[];
  /** Whether this call started any node (else all were answering already). */
  started: boolean;
  brokerPort: (nodeId: number) => number;
  /** SIGKILL: the node gets no chance to hand anything over. */
  kill: (nodeId: number) => Promise<void>;
  /** Starts a node that is not running, and resolves once the cluster lists it as a live broker again. */
  startNode: (nodeId: number) => Promise<void>;
  /** The node id of the active controller, from the quorum's own answer (kafka-metadata-quorum.sh). */
  activeController: () => Promise<number>;
  /** Stops every node that runs (SIGTERM, then SIGKILL). */
  stop: () => Promise<void>;
};

type ClusterNode = { id: number; port: number; controllerPort: number; dir: string; config: string; pidFile: string; logFile: string };

function nodeProperties(node: ClusterNode, voters: string, nodeCount: number): string {
  // The internal topics (consumer offsets) replicated as the services' topics are.
  const { replicationFactor, minInsyncReplicas } = replicationFor(nodeCount);
  return `# Written by packages/local-infra: node ${node.id} of a ${nodeCount}-node local KRaft cluster.
${kraftListeners({ id: node.id, port: node.port, controllerPort: node.controllerPort, voters, dataDir: join(node.dir, "data") })}num.partitions=3
default.replication.factor=${replicationFactor}
min.insync.replicas=${minInsyncReplicas}
offsets.topic.replication.factor=${replicationFactor}
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=${replicationFactor}
transaction.state.log.min.isr=${minInsyncReplicas}
# A node that stops heartbeating is fenced (its partitions get new leaders) after 6 s, not 9.
broker.session.timeout.ms=6000
broker.heartbeat.interval.ms=1000
`;
}

function clusterNodes(opts: KafkaClusterOptions): ClusterNode[] {
  const home = opts.home ?? DEFAULT_CLUSTER_HOME;
  const port = opts.port ?? CLUSTER_DEFAULT_PORT;
  const controllerPort = opts.controllerPort ?? port + 100;
  return Array.from({ length: opts.nodes ?? 3 }, (_, i) => {
    const dir = join(home, `node-${i + 1}`);
    return { id: i + 1, port: port + i, controllerPort: controllerPort + i, dir, config: join(dir, "server.properties"), pidFile: join(dir, "kafka.pid"), logFile: join(dir, "kafka.log") };
  });
}

function isRunning(pidFile: string): boolean {
  const pid = readPid(pidFile);
  return pid !== undefined && isAlive(pid);
}

/** Node ids of the brokers that `broker` lists as live (registered and not fenced). */
async function liveBrokers(broker: string): Promise<number[]> {
  const kafka = new Kafka({ brokers: [broker], clientId: "infra-cluster-check", logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1_000 });
  const admin = kafka.admin();
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.map((b) => b.nodeId);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * A local KRaft cluster from the same jars as the single broker: every node is a broker and
 * a controller voter. Nodes already answering on their ports are left as they are. Resolves
 * once every node is a live broker, so that topics created next get all their replicas.
 */
export async function startKafkaCluster(opts: KafkaClusterOptions = {}): Promise<KafkaCluster> {
  const version = opts.version ?? DEFAULT_KAFKA_VERSION;
  const home = opts.home ?? DEFAULT_CLUSTER_HOME;
  const nodes = clusterNodes(opts);
  const brokers = nodes.map((n) => `127.0.0.1:${n.port}`).join(",");
  const voters = nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(",");
  const node = (id: number): ClusterNode => {
    const found = nodes.find((n) => n.id === id);
    if (!found) throw new Error(`the cluster has no node ${id} (nodes ${nodes.map((n) => n.id).join(", ")})`);
    return found;
  };

  installKafka(version);
  const libs = kafkaLibs(version);
  mkdirSync(home, { recursive: true });
  const clusterIdFile = join(home, "cluster.id");
  if (!existsSync(clusterIdFile)) writeFileSync(clusterIdFile, newClusterId());
  const clusterId = readFileSync(clusterIdFile, "utf8").trim();

  const launch = (n: ClusterNode): void => {
    spawnKafkaNode({ libs, config: n.config, heap: { initial: "64m", max: opts.maxHeap ?? "512m" }, gcLog: join(n.dir, "gc.log"), logFile: n.logFile, pidFile: n.pidFile });
  };
  // Each live node must list them all: one that has not yet seen a node unfenced would
  // create a topic with fewer replicas.
  const waitLive = (ids: number[]): Promise<void> =>
    waitFor(
      `Kafka cluster nodes ${ids.join(", ")} on ${brokers}`,
      async () => {
        const answering = await Promise.all(nodes.map((n) => portAnswers(n.port)));
        const asked = nodes.filter((_, i) => answering[i]);
        const answers = await Promise.all(asked.map((n) => liveBrokers(`127.0.0.1:${n.port}`)));
        return ids.every((id) => asked.some((n) => n.id === id)) && answers.every((live) => ids.every((id) => live.includes(id)));
      },
      120_000,
      node(ids[0]!).logFile,
    );

  let started = false;
  for (const n of nodes) {
    if (await portAnswers(n.port)) continue;
    mkdirSync(join(n.dir, "data"), { recursive: true });
    writeFileSync(n.config, nodeProperties(n, voters, nodes.length));
    formatStorage({ libs, config: n.config, dataDir: join(n.dir, "data"), clusterId });
    launch(n);
    started = true;
  }
  await waitLive(nodes.map((n) => n.id));

  return {
    brokers,
    nodeIds: nodes.map((n) => n.id),
    started,
    brokerPort: (id) => node(id).port,
    async kill(id) {
      const pid = readPid(node(id).pidFile);
      if (pid === undefined || !isAlive(pid)) throw new Error(`Kafka cluster node ${id} is not running`);
      process.kill(pid, "SIGKILL");
      while (isAlive(pid)) await sleep(20);
    },
    async startNode(id) {
      const n = node(id);
      if (isRunning(n.pidFile)) throw new Error(`Kafka cluster node ${id} is running already`);
      launch(n);
      await waitLive([id]);
    },
    activeController: () => activeController(brokers, version),
    stop: async () => {
      await stopKafkaCluster(home);
    },
  };
}

const execFileAsync = promisify(execFile);

/** kafka-metadata-quorum.sh describe --status: its `LeaderId` is the active controller. */
async function activeController(brokers: string, version: string): Promise<number> {
  const classpath = installKafkaTools(version);
  // C1 only: a one-shot tool is done before C2 would pay off, and the cores are shared.
  const { stdout } = await execFileAsync(
    "java",
    [
      "-Xmx128m",
      "-XX:TieredStopAtLevel=1",
      "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
      "-cp",
      classpath,
      "org.apache.kafka.tools.MetadataQuorumCommand",
      "--bootstrap-server",
      brokers,
      "describe",
      "--status",
    ],
    { timeout: 60_000 },
  );
  const leader = /^LeaderId:\s+(\d+)$/m.exec(stdout);
  if (!leader) throw new Error(`kafka-metadata-quorum named no leader:\n${stdout}`);
  return Number(leader[1]);
}

/** Stops every node of the cluster at `home` that runs; returns whether any did. */
export async function stopKafkaCluster(home = DEFAULT_CLUSTER_HOME): Promise<boolean> {
  if (!existsSync(home)) return false;
  const pidFiles = readdirSync(home)
    .filter((entry) => entry.startsWith("node-"))
    .map((entry) => join(home, entry, "kafka.pid"));
  const stopped = await Promise.all(pidFiles.map((pidFile) => stopPidFile(pidFile, 30_000)));
  return stopped.some(Boolean);
}
