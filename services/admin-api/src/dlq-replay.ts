import { countReplayable, encodeDeliveryJob, markReplayed, nextReplayable, REPLAY_BATCH_SIZE, sendInChunks, type TopicNames } from "@agiletune/shared";
import type { Producer } from "kafkajs";
import type { Db } from "mongodb";
import type { Logger } from "pino";
import { buildReplayJob } from "./delivery-jobs.js";
import type { DlqFilter } from "./schemas.js";
import type { DlqReplayResult } from "./views.js";

/** What the admin API produces with: single jobs (ping, redeliver) and size-bounded batches (replay). */
export type JobProducer = Pick<Producer, "send" | "sendBatch">;

export type ReplayDeps = {
  db: Db;
  producer: JobProducer;
  topics: Pick<TopicNames, "deliveries">;
  logger: Logger;
  clock?: () => Date;
};

export type ReplayResult = DlqReplayResult;

/**
 * Replays the dead letters matching `filter` that were not replayed since they were
 * dead-lettered (`replayedAt: null`): each job goes back to the deliveries topic at
 * attempt 0 with source `replay` and no due time, so the dispatcher starts a fresh retry
 * ladder. Shared by `POST /v1/admin/dlq/replay` and `pnpm dlq -- replay`.
 *
 * Order, per batch: produce (acks from all in-sync replicas), then mark `replayedAt` and
 * `replayCount + 1` (`markReplayed`). A crash between the two replays those jobs again
 * next time: at-least-once, like the rest of the pipeline, and harmless because the
 * delivery id is the same. Marking first would instead lose them.
 *
 * Running it twice: the second run finds nothing (all marked) unless some dead-lettered
 * again in between, whose `replayedAt` the dispatcher resets to null.
 *
 * `dryRun` only counts.
 */
export async function replayDeadLetters(deps: ReplayDeps, filter: DlqFilter, opts: { dryRun?: boolean; batchSize?: number } = {}): Promise<ReplayResult> {
  const log = deps.logger.child({ component: "dlq-replay" });
  if (opts.dryRun) {
    const matched = await countReplayable(deps.db, filter);
    log.info({ matched, dryRun: true }, "dead-letter replay dry run");
    return { dryRun: true, matched, replayed: 0 };
  }
  const batchSize = Math.min(opts.batchSize ?? REPLAY_BATCH_SIZE, REPLAY_BATCH_SIZE);
  let replayed = 0;
  let after: { at: Date; id: string } | undefined;
  for (;;) {
    const batch = await nextReplayable(deps.db, filter, after, batchSize);
    if (batch.length === 0) break;
    const now = (deps.clock ?? (() => new Date()))();
    // In requests under the broker's size limit: fifty jobs of large events exceed it together.
    await sendInChunks(deps.producer, [{ topic: deps.topics.deliveries, messages: batch.map((dl) => ({ key: dl.webhookId, value: encodeDeliveryJob(buildReplayJob(dl, now)) })) }]);
    await markReplayed(deps.db, batch, now);
    replayed += batch.length;
    log.info({ batch: batch.length, replayed }, "dead letters replayed");
    const last = batch[batch.length - 1]!;
    after = { at: last.deadLetteredAt, id: last._id };
    if (batch.length < batchSize) break;
  }
  return { dryRun: false, matched: replayed, replayed };
}
