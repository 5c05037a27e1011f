import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { INFRA_DIR, LOG_DIR, REPO_ROOT } from "./paths.js";
import { portAnswers, spawnDetached, stopPidFile, waitFor } from "./processes.js";

/** Chosen after checking kafkajs 2.2.4 against 3.9.x and 4.x brokers (infra/kafka/README.md). */
export const DEFAULT_KAFKA_VERSION = "3.9.2";

export type KafkaBrokerOptions = { version?: string; port?: number; controllerPort?: number };

function brokerPaths(version: string) {
  const home = join(INFRA_DIR, "kafka", version);
  return {
    libs: join(home, "libs"),
    tools: join(home, "tools"),
    installed: join(home, "libs", ".complete"),
    data: join(home, "data"),
    config: join(home, "server.properties"),
    pidFile: join(INFRA_DIR, "kafka.pid"),
    logFile: join(LOG_DIR, "kafka.log"),
  };
}

/** Fetches the broker's jars from Maven Central once; later calls find them in place. */
export function installKafka(version = DEFAULT_KAFKA_VERSION): void {
  const paths = brokerPaths(version);
  if (existsSync(paths.installed)) return;
  process.stderr.write(`[infra] fetching Apache Kafka ${version} jars with Maven (once)\n`);
  execFileSync(
    "mvn",
    [
      "-q",
      "-B",
      "-Dstyle.color=never",
      "-f",
      join(REPO_ROOT, "infra/kafka/pom.xml"),
      "dependency:copy-dependencies",
      `-Dkafka.version=${version}`,
      `-DoutputDirectory=${paths.libs}`,
      "-DincludeScope=runtime",
    ],
    { stdio: "inherit" },
  );
  if (!readdirSync(paths.libs).some((f) => f.startsWith("kafka_2.13-"))) throw new Error(`Maven did not fetch kafka_2.13-${version}`);
  writeFileSync(paths.installed, new Date().toISOString());
}

/**
 * The command-line tools' jar (kafka-metadata-quorum.sh's MetadataQuorumCommand, ...), kept
 * apart from the broker's jars: its own dependencies (Connect, Jetty) are not needed for the
 * tools we run, and stay off the broker's classpath. Returns the classpath that runs them.
 */
export function installKafkaTools(version = DEFAULT_KAFKA_VERSION): string {
  installKafka(version);
  const paths = brokerPaths(version);
  const jar = join(paths.tools, `kafka-tools-${version}.jar`);
  if (!existsSync(jar)) {
    process.stderr.write(`[infra] fetching the Apache Kafka ${version} tools jar with Maven (once)\n`);
    execFileSync("mvn", ["-q", "-B", "-Dstyle.color=never", "dependency:copy", `-Dartifact=org.apache.kafka:kafka-tools:${version}`, `-DoutputDirectory=${paths.tools}`], { stdio: "inherit" });
    if (!existsSync(jar)) throw new Error(`Maven did not fetch kafka-tools-${version}.jar`);
  }
  return `${paths.tools}/*:${paths.libs}/*`;
}

/** Where the broker's jars of `version` are, once `installKafka` has fetched them. */
export function kafkaLibs(version = DEFAULT_KAFKA_VERSION): string {
  return brokerPaths(version).libs;
}

/** The KRaft settings every local node shares: a PLAINTEXT broker listener and a CONTROLLER one, both on loopback. */
export function kraftListeners(node: { id: number; port: number; controllerPort: number; voters: string; dataDir: string }): string {
  return `process.roles=broker,controller
node.id=${node.id}
controller.quorum.voters=${node.voters}
listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${node.port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${node.dataDir}
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
log.retention.hours=168
`;
}

function serverProperties(port: number, controllerPort: number, dataDir: string): string {
  return `# Written by packages/local-infra: a single-node KRaft broker for local use and tests.
${kraftListeners({ id: 1, port, controllerPort, voters: `1@127.0.0.1:${controllerPort}`, dataDir })}num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
`;
}

/** A cluster id for `StorageTool format`: every node of one cluster is formatted with the same. */
export function newClusterId(): string {
  // A base64url id may start with "-", which the tool then reads as an option (1 draw in 64
  // failed that way): draw until it starts with a letter or digit.
  let clusterId: string;
  do clusterId = randomBytes(16).toString("base64url");
  while (!/^[A-Za-z0-9]/.test(clusterId));
  return clusterId;
}

/** Formats a node's log dir once; a formatted one is left as it is. */
export function formatStorage(opts: { libs: string; config: string; dataDir: string; clusterId: string }): void {
  if (existsSync(join(opts.dataDir, "meta.properties"))) return;
  execFileSync("java", ["-cp", `${opts.libs}/*`, "kafka.tools.StorageTool", "format", "-t", opts.clusterId, "-c", opts.config, "--ignore-formatted"], { stdio: ["ignore", "pipe", "pipe"] });
}

/** Starts one KRaft node detached, with its heap, GC log and log file. */
export function spawnKafkaNode(opts: { libs: string; config: string; heap: { initial: string; max: string }; gcLog: string; logFile: string; pidFile: string }): number {
  return spawnDetached({
    command: "java",
    args: [
      `-Xms${opts.heap.initial}`,
      `-Xmx${opts.heap.max}`,
      "-XX:+UseG1GC",
      // Pause times, to tell a broker GC pause from other stalls in the benchmark.
      `-Xlog:gc:file=${opts.gcLog}:time,uptime:filecount=2,filesize=10M`,
      "-Djava.awt.headless=true",
      "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
      "-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info",
      "-Dorg.slf4j.simpleLogger.showDateTime=true",
      "-cp",
      `${opts.libs}/*`,
      "kafka.Kafka",
      opts.config,
    ],
    logFile: opts.logFile,
    pidFile: opts.pidFile,
  });
}

/** Starts the broker detached unless something already answers on its port. */
export async function startKafka(opts: KafkaBrokerOptions = {}): Promise<{ brokers: string; started: boolean }> {
  const version = opts.version ?? DEFAULT_KAFKA_VERSION;
  const port = opts.port ?? 9092;
  const controllerPort = opts.controllerPort ?? port + 1;
  const brokers = `127.0.0.1:${port}`;
  if (await portAnswers(port)) return { brokers, started: false };

  installKafka(version);
  const paths = brokerPaths(version);
  mkdirSync(paths.data, { recursive: true });
  writeFileSync(paths.config, serverProperties(port, controllerPort, paths.data));
  formatStorage({ libs: paths.libs, config: paths.config, dataDir: paths.data, clusterId: newClusterId() });
  spawnKafkaNode({ libs: paths.libs, config: paths.config, heap: { initial: "256m", max: "1g" }, gcLog: join(LOG_DIR, "kafka-gc.log"), logFile: paths.logFile, pidFile: paths.pidFile });
  await waitFor(`Kafka ${version} on ${brokers}`, () => portAnswers(port), 90_000, paths.logFile);
  return { brokers, started: true };
}

export async function stopKafka(): Promise<boolean> {
  return stopPidFile(brokerPaths(DEFAULT_KAFKA_VERSION).pidFile, 30_000);
}
