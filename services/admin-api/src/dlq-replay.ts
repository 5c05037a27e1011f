import { deadLettersCollection, encodeDeliveryJob, sendInChunks, type DeadLetterDoc, type TopicNames } from "@agiletune/shared";
import type { Producer } from "kafkajs";
import type { AnyBulkWriteOperation, Db, Filter } from "mongodb";
import type { Logger } from "pino";
import { buildReplayJob } from "./delivery-jobs.js";
import type { DlqFilter } from "./schemas.js";
import type { DlqReplayResult } from "./views.js";

/** The dead letters a filter selects: `from` inclusive, `to` exclusive, both on `deadLetteredAt`. */
export function deadLetterQuery(filter: DlqFilter): Filter<DeadLetterDoc> {
  const query: Filter<DeadLetterDoc> = {};
  if (filter.organizationId !== undefined) query.organizationId = filter.organizationId;
  if (filter.webhookId !== undefined) query.webhookId = filter.webhookId;
  if (filter.event !== undefined) query.event = filter.event;
  if (filter.from !== undefined || filter.to !== undefined) {
    query.deadLetteredAt = { ...(filter.from && { $gte: filter.from }), ...(filter.to && { $lt: filter.to }) };
  }
  return query;
}

/** What the admin API produces with: single jobs (ping, redeliver) and size-bounded batches (replay). */
export type JobProducer = Pick<Producer, "send" | "sendBatch">;

export type ReplayDeps = {
  db: Db;
  producer: JobProducer;
  topics: Pick<TopicNames, "deliveries">;
  logger: Logger;
  clock?: () => Date;
};

/**
 * Dead letters per batch: one produce, then one bulk write of this many marks. Kept under
 * 100 because FerretDB v1 never answers an update command of 100 or more statements.
 */
export const REPLAY_BATCH_SIZE = 50;

export type ReplayResult = DlqReplayResult;

/**
 * Replays the dead letters matching `filter` that were not replayed since they were
 * dead-lettered (`replayedAt: null`): each job goes back to the deliveries topic at
 * attempt 0 with source `replay` and no due time, so the dispatcher starts a fresh retry
 * ladder. Shared by `POST /v1/admin/dlq/replay` and `pnpm dlq -- replay`.
 *
 * Order, per batch: produce (acks from all in-sync replicas), then mark `replayedAt` and
 * `replayCount + 1`. A crash between the two replays those jobs again next time:
 * at-least-once, like the rest of the pipeline, and harmless because the delivery id is
 * the same. Marking first would instead lose them. The mark only applies while the dead
 * letter is unchanged (same `deadLetteredAt`, still unreplayed), so a job that dead-letters
 * again meanwhile stays replayable.
 *
 * Running it twice: the second run finds nothing (all marked) unless some dead-lettered
 * again in between, whose `replayedAt` the dispatcher resets to null.
 *
 * `dryRun` only counts.
 */
export async function replayDeadLetters(deps: ReplayDeps, filter: DlqFilter, opts: { dryRun?: boolean; batchSize?: number } = {}): Promise<ReplayResult> {
  const collection = deadLettersCollection(deps.db);
  const base: Filter<DeadLetterDoc> = { ...deadLetterQuery(filter), replayedAt: null };
  const log = deps.logger.child({ component: "dlq-replay" });
  if (opts.dryRun) {
    const matched = await collection.countDocuments(base);
    log.info({ matched, dryRun: true }, "dead-letter replay dry run");
    return { dryRun: true, matched, replayed: 0 };
  }
  const batchSize = Math.min(opts.batchSize ?? REPLAY_BATCH_SIZE, REPLAY_BATCH_SIZE);
  let replayed = 0;
  // Walk oldest first by (deadLetteredAt, _id) with a position rather than re-querying
  // "replayedAt: null", so a dead letter whose mark did not apply cannot loop forever.
  let after: { at: Date; id: string } | undefined;
  for (;;) {
    const position: Filter<DeadLetterDoc> = after
      ? { $or: [{ deadLetteredAt: { $gt: after.at } }, { deadLetteredAt: after.at, _id: { $gt: after.id } }] }
      : {};
    const batch = await collection
      .find({ $and: [base, position] })
      .sort({ deadLetteredAt: 1, _id: 1 })
      .limit(batchSize)
      .toArray();
    if (batch.length === 0) break;
    const now = (deps.clock ?? (() => new Date()))();
    // In requests under the broker's size limit: fifty jobs of large events exceed it together.
    await sendInChunks(deps.producer, [{ topic: deps.topics.deliveries, messages: batch.map((dl) => ({ key: dl.webhookId, value: encodeDeliveryJob(buildReplayJob(dl, now)) })) }]);
    const marks: AnyBulkWriteOperation<DeadLetterDoc>[] = batch.map((dl) => ({
      updateOne: {
        filter: { _id: dl._id, replayedAt: null, deadLetteredAt: dl.deadLetteredAt },
        update: { $set: { replayedAt: now }, $inc: { replayCount: 1 } },
      },
    }));
    await collection.bulkWrite(marks, { ordered: false });
    replayed += batch.length;
    log.info({ batch: batch.length, replayed }, "dead letters replayed");
    const last = batch[batch.length - 1]!;
    after = { at: last.deadLetteredAt, id: last._id };
    if (batch.length < batchSize) break;
  }
  return { dryRun: false, matched: replayed, replayed };
}
