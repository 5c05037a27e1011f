import { beginWaitSpan, createConsumer, decodeDeliveryJob, encodeDeliveryJob, sendInChunks, systemClock, tracingOn, type Clock, type Logger } from "@agiletune/shared";
import type { Consumer, EachBatchPayload, Kafka, Producer } from "kafkajs";
import type { Counter, Histogram } from "prom-client";
import { PartitionHolds } from "./partition-holds.js";

export type TierConsumerOptions = {
  kafka: Kafka;
  producer: Producer;
  tierTopic: string;
  deliveriesTopic: string;
  groupId: string;
  logger: Logger;
  metrics: { handedBack: Counter<"tier">; lateness: Histogram<"tier"> };
  /** When a job is due and how long to hold its partition: the machine's clock unless a test brings its own. */
  clock?: Clock;
};

export type TierConsumer = { consumer: Consumer; stop: () => Promise<void> };

/**
 * Drains one retry tier. Messages in a tier share one delay, so within a partition they
 * fall due in order: the consumer hands back every due message at the head, then pauses
 * the partition until the next one is due and resumes it then, on the clock. Nothing is polled
 * in a loop, no handler sleeps, and an offset is committed only after its job is back
 * on the deliveries topic.
 */
export async function startTierConsumer(opts: TierConsumerOptions): Promise<TierConsumer> {
  const clock = opts.clock ?? systemClock;
  const log = opts.logger.child({ component: "tier-consumer", topic: opts.tierTopic });
  const tier = opts.tierTopic;
  // A partition resumed when due joins only the next fetch, so the idle wait
  // bounds how late a retry fires: 250 ms keeps retries well within 1 s of due.
  const consumer = createConsumer(opts.kafka, opts.groupId, { maxWaitTimeInMs: 250 });
  const holds = new PartitionHolds(clock);

  consumer.on(consumer.events.GROUP_JOIN, () => {
    // A new assignment starts from committed offsets; pauses of the old one would be
    // left without a wait to lift them.
    holds.clear();
    consumer.resume([{ topic: opts.tierTopic }]);
  });

  function holdUntil(partition: number, dueAt: number): void {
    consumer.pause([{ topic: opts.tierTopic, partitions: [partition] }]);
    const { waitMs, due } = holds.hold(partition, dueAt);
    void due.then((reached) => {
      if (reached) consumer.resume([{ topic: opts.tierTopic, partitions: [partition] }]);
    });
    log.debug({ partition, dueAt, waitMs }, "holding partition until due");
  }

  async function eachBatch({ batch, resolveOffset, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const due: Array<{ offset: string; value: Buffer; key: Buffer | null; lateness: number }> = [];
    const holdSpans: Array<() => void> = [];
    let holdFor: number | null = null;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const decoded = decodeDeliveryJob(message.value);
      if (!decoded.ok) {
        // Only the dispatcher writes tier topics; an undecodable job is a bug. Pass it on
        // unchanged so the dispatcher logs it where operators look, rather than hold the tier.
        log.error({ partition: batch.partition, offset: message.offset, reason: decoded.reason }, "undecodable job in retry tier");
        due.push({ offset: message.offset, value: message.value ?? Buffer.alloc(0), key: message.key, lateness: 0 });
        continue;
      }
      const dueAt = decoded.value.dueAt ?? 0;
      if (dueAt > clock.now()) {
        holdFor = dueAt;
        break;
      }
      let job = decoded.value;
      if (tracingOn()) {
        // The hold as a span: from when the dispatcher produced the retry to its hand-back; the next attempt is its child.
        const hold = beginWaitSpan(job, { name: "webhook retry hold", startTime: Number(message.timestamp), attributes: { "agiletune.retry.topic": tier, "agiletune.retry.due_at": dueAt } });
        job = hold.job;
        holdSpans.push(hold.end);
      }
      due.push({ offset: message.offset, value: encodeDeliveryJob(job), key: message.key, lateness: clock.now() - dueAt });
    }

    if (due.length) {
      // A fetch holds up to 1 MB per partition, re-encoded here: in size-bounded requests.
      await sendInChunks(opts.producer, [{ topic: opts.deliveriesTopic, messages: due.map((d) => ({ key: d.key, value: d.value })) }]);
      const last = due[due.length - 1]!.offset;
      resolveOffset(last);
      // Commit only now: the jobs are acknowledged on the deliveries topic.
      await commitOffsetsIfNecessary({ topics: [{ topic: opts.tierTopic, partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }] }] });
      for (const end of holdSpans) end();
      for (const d of due) {
        opts.metrics.handedBack.inc({ tier });
        opts.metrics.lateness.observe({ tier }, Math.max(0, d.lateness) / 1000);
      }
    }
    if (holdFor !== null) holdUntil(batch.partition, holdFor);
  }

  await consumer.connect();
  await consumer.subscribe({ topic: opts.tierTopic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 4, eachBatch });
  log.info({ groupId: opts.groupId }, "retry tier consuming");

  return {
    consumer,
    async stop() {
      holds.clear();
      // Everything handed back is committed inside eachBatch; disconnect waits for a running batch.
      await consumer.disconnect();
    },
  };
}
