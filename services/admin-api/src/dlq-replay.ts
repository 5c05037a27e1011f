import { countReplayable, markReplayed, nextReplayable, type TopicNames } from "@agiletune/shared";
import type { Producer } from "kafkajs";
import type { Db } from "mongodb";
import type { Logger } from "pino";
import type { AuditRecord } from "./audit-log.js";
import { buildReplayJob } from "./delivery-jobs.js";
import { resendInBatches } from "./resend-batches.js";
import type { DlqFilter } from "./schemas.js";
import type { DlqReplayResult } from "./dead-letter-views.js";

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

/** How a replay (not a dry run) is recorded in the audit log: the target names the narrowest filter given, "*" for every dead letter. */
export function replayAudited(filter: DlqFilter): Pick<AuditRecord, "organizationId" | "action" | "target"> {
  return { organizationId: filter.organizationId ?? null, action: "dead_letters.replayed", target: { type: "dead-letters", id: filter.webhookId ?? filter.organizationId ?? "*" } };
}

/**
 * Replays the dead letters matching `filter` that were not replayed since they were
 * dead-lettered (`replayedAt: null`): each job goes back to the deliveries topic at
 * attempt 0 with source `replay` and no due time, so the dispatcher starts a fresh retry
 * ladder. Shared by `POST /v1/admin/dlq/replay` and `pnpm dlq -- replay`.
 *
 * Order, per batch (`resendInBatches`): produce, then mark `replayedAt` and
 * `replayCount + 1` (`markReplayed`); a crash between the two replays those jobs again.
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
  let replayed = 0;
  const batches = resendInBatches({
    ...deps,
    batchSize: opts.batchSize,
    next: (after, limit) => nextReplayable(deps.db, filter, after, limit),
    positionOf: (deadLetter) => ({ at: deadLetter.deadLetteredAt, id: deadLetter._id }),
    jobOf: buildReplayJob,
    mark: (sent, now) => markReplayed(deps.db, sent, now),
  });
  for await (const { sent } of batches) {
    replayed += sent.length;
    log.info({ batch: sent.length, replayed }, "dead letters replayed");
  }
  return { dryRun: false, matched: replayed, replayed };
}
