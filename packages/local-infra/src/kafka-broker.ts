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

function serverProperties(port: number, controllerPort: number, dataDir: string): string {
  return `# Written by packages/local-infra: a single-node KRaft broker for local use and tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${dataDir}
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
`;
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
  const classpath = `${paths.libs}/*`;
  if (!existsSync(join(paths.data, "meta.properties"))) {
    // A base64url id may start with "-", which the tool then reads as an option (1 draw in 64
    // failed that way): draw until it starts with a letter or digit.
    let clusterId: string;
    do clusterId = randomBytes(16).toString("base64url");
    while (!/^[A-Za-z0-9]/.test(clusterId));
    execFileSync("java", ["-cp", classpath, "kafka.tools.StorageTool", "format", "-t", clusterId, "-c", paths.config, "--ignore-formatted"], { stdio: ["ignore", "pipe", "pipe"] });
  }
  spawnDetached({
    command: "java",
    args: [
      "-Xms256m",
      "-Xmx1g",
      "-XX:+UseG1GC",
      // Pause times, to tell a broker GC pause from other stalls in the benchmark.
      `-Xlog:gc:file=${join(LOG_DIR, "kafka-gc.log")}:time,uptime:filecount=2,filesize=10M`,
      "-Djava.awt.headless=true",
      "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
      "-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info",
      "-Dorg.slf4j.simpleLogger.showDateTime=true",
      "-cp",
      classpath,
      "kafka.Kafka",
      paths.config,
    ],
    logFile: paths.logFile,
    pidFile: paths.pidFile,
  });
  await waitFor(`Kafka ${version} on ${brokers}`, () => portAnswers(port), 90_000, paths.logFile);
  return { brokers, started: true };
}

export async function stopKafka(): Promise<boolean> {
  return stopPidFile(brokerPaths(DEFAULT_KAFKA_VERSION).pidFile, 30_000);
}
