import { encodeDeliveryJob, REPLAY_BATCH_SIZE, sendInChunks, type DeliveryJob, type TopicNames } from "@agiletune/shared";
import type { Producer } from "kafkajs";

/** Where a batch ends in the sort order of its query (time, then id), so the next one starts after it. */
type Position = { at: Date; id: string };

export type ResendOptions<Doc> = {
  producer: Pick<Producer, "sendBatch">;
  topics: Pick<TopicNames, "deliveries">;
  clock?: (() => Date) | undefined;
  /** At most REPLAY_BATCH_SIZE. */
  batchSize?: number | undefined;
  /** The next documents after `after`, oldest first. */
  next: (after: Position | undefined, limit: number) => Promise<Doc[]>;
  positionOf: (doc: Doc) => Position;
  /** The job that sends `doc` again, or undefined when it cannot be (it is skipped and left as it is). */
  jobOf: (doc: Doc, now: Date) => DeliveryJob | undefined;
  /** Marks what was sent, after the broker has acknowledged its jobs. */
  mark: (sent: Doc[], now: Date) => Promise<void>;
};

/**
 * The loop of a dead-letter replay and a recover: batch after batch, oldest first, produce
 * the jobs (acknowledged by all in-sync replicas, in requests under the broker's size
 * limit: fifty jobs of large events exceed it together), then mark them. A crash between
 * the two sends that batch again next time: at-least-once, like the rest of the pipeline,
 * with the same delivery ids; marking first would lose them instead. Yields each batch's
 * sent and skipped documents for the caller to count and log.
 */
export async function* resendInBatches<Doc>(opts: ResendOptions<Doc>): AsyncGenerator<{ sent: Doc[]; skipped: Doc[] }> {
  const batchSize = Math.min(opts.batchSize ?? REPLAY_BATCH_SIZE, REPLAY_BATCH_SIZE);
  const clock = opts.clock ?? (() => new Date());
  let after: Position | undefined;
  for (;;) {
    const batch = await opts.next(after, batchSize);
    if (batch.length === 0) return;
    const now = clock();
    const sent: Array<{ doc: Doc; job: DeliveryJob }> = [];
    const skipped: Doc[] = [];
    for (const doc of batch) {
      const job = opts.jobOf(doc, now);
      if (job) sent.push({ doc, job });
      else skipped.push(doc);
    }
    if (sent.length) {
      await sendInChunks(opts.producer, [{ topic: opts.topics.deliveries, messages: sent.map(({ job }) => ({ key: job.webhookId, value: encodeDeliveryJob(job) })) }]);
      await opts.mark(
        sent.map((s) => s.doc),
        now,
      );
    }
    yield { sent: sent.map((s) => s.doc), skipped };
    after = opts.positionOf(batch[batch.length - 1]!);
    if (batch.length < batchSize) return;
  }
}
