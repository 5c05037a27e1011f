import { Kafka, logLevel, Partitioners, type LogEntry, type Producer } from "kafkajs";
import type { Logger } from "./logger.js";

const LEVEL_NAMES: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/** A kafkajs client whose own log lines go through our pino logger. */
export function createKafka(opts: { brokers: string[]; clientId: string; logger: Logger }): Kafka {
  const kafkaLogger = opts.logger.child({ component: "kafkajs" });
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    // kafkajs logs every retried connection at ERROR; WARN keeps real problems visible.
    logLevel: logLevel.WARN,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5_000 },
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, timestamp: _t, logger: _l, ...fields } = log;
        kafkaLogger[LEVEL_NAMES[level] ?? "info"](fields, message);
      },
  });
}

/**
 * The producer every service uses: idempotent and acks=all by default (kafkajs sends
 * acks -1 unless told otherwise), so an acknowledged send is durable and retries do
 * not duplicate within a session.
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    // Never give up on a send: callers hold their offsets until it is acknowledged, so
    // waiting out a broker outage is the only way not to lose or reorder anything.
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 5_000 },
  });
}
