import { Kafka, logLevel } from "kafkajs";
import { MongoClient } from "mongodb";
import { startFerretDb, stopFerretDb } from "./ferretdb.js";
import { startKafka, stopKafka } from "./kafka-broker.js";
import { startKafkaCluster, stopKafkaCluster } from "./kafka-cluster.js";
import { waitFor } from "./processes.js";

export type Infra = {
  kafkaBrokers: string;
  mongoUrl: string;
  /** What this call started (and so what `stop` stops). */
  started: string[];
  stop: () => Promise<void>;
};

/**
 * Kafka and a MongoDB-compatible server, ready to use. `KAFKA_BROKERS` / `MONGO_URL` set
 * means: use those, start nothing. Otherwise a local KRaft broker from Maven Central jars,
 * and the database server at `opts.mongoUrl` (the tests pass a MongoDB container's where a
 * Docker engine runs), else FerretDB. Servers already answering on the default ports are
 * reused, not restarted. `opts.brokers` 3: a local three-node KRaft cluster on 19092-19094
 * instead of the single broker on 9092.
 */
export async function infraUp(opts: { mongoUrl?: string; brokers?: number } = {}): Promise<Infra> {
  const started: string[] = [];
  const stops: Array<() => Promise<unknown>> = [];

  let kafkaBrokers = process.env.KAFKA_BROKERS;
  const brokerCount = opts.brokers ?? 1;
  if (!kafkaBrokers && brokerCount > 1) {
    const cluster = await startKafkaCluster({ nodes: brokerCount });
    kafkaBrokers = cluster.brokers;
    if (cluster.started) {
      started.push(`kafka cluster (${brokerCount} brokers)`);
      stops.push(cluster.stop);
    }
  } else if (!kafkaBrokers) {
    const kafka = await startKafka();
    kafkaBrokers = kafka.brokers;
    if (kafka.started) {
      started.push("kafka");
      stops.push(stopKafka);
    }
  }

  let mongoUrl = process.env.MONGO_URL ?? opts.mongoUrl;
  if (!mongoUrl) {
    const ferret = await startFerretDb();
    mongoUrl = ferret.url;
    if (ferret.started) {
      started.push("ferretdb");
      stops.push(stopFerretDb);
    }
  }

  await Promise.all([waitForKafka(kafkaBrokers), waitForMongo(mongoUrl)]);
  return {
    kafkaBrokers,
    mongoUrl,
    started,
    stop: async () => {
      for (const stop of stops.reverse()) await stop();
    },
  };
}

/** Stops the local broker and database started by an earlier `infraUp`, whoever started them. */
export async function infraDown(): Promise<string[]> {
  const stopped: string[] = [];
  if (await stopKafka()) stopped.push("kafka");
  if (await stopKafkaCluster()) stopped.push("the kafka cluster");
  if (await stopFerretDb()) stopped.push("ferretdb");
  return stopped;
}

/** Ready means a metadata request is answered, not just that the port is open. */
export async function waitForKafka(brokers: string, timeoutMs = 60_000): Promise<void> {
  const kafka = new Kafka({ brokers: brokers.split(","), clientId: "infra-check", logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  await waitFor(
    `Kafka at ${brokers}`,
    async () => {
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.listTopics();
        return true;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    timeoutMs,
  );
}

export async function waitForMongo(url: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `MongoDB at ${url}`,
    async () => {
      const client = new MongoClient(url, { serverSelectionTimeoutMS: 1_000 });
      try {
        await client.connect();
        await client.db().command({ ping: 1 });
        return true;
      } finally {
        await client.close().catch(() => undefined);
      }
    },
    timeoutMs,
  );
}
