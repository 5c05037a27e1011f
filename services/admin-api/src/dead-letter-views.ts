import type { DeadLetterDoc } from "@agiletune/shared";
import { z } from "zod";
import { count, iso, isoDateTime, listOf } from "./views.js";

/** The operators' dead-letter responses (see views.ts): the list and replay's answer. */

export const deadLetterSchema = z
  .strictObject({
    id: z.string(),
    deliveryId: z.string(),
    organizationId: z.string(),
    webhookId: z.string(),
    eventId: z.string(),
    event: z.string(),
    attempt: count,
    lastError: z.string(),
    deadLetteredAt: isoDateTime,
    replayedAt: isoDateTime.nullable(),
    replayCount: count,
  })
  .meta({ id: "DeadLetter" });
export type DeadLetterView = z.output<typeof deadLetterSchema>;
export const deadLetterListSchema = listOf(deadLetterSchema, "DeadLetterList");
export type DeadLetterList = z.output<typeof deadLetterListSchema>;

export const dlqReplayResultSchema = z.strictObject({ dryRun: z.boolean(), matched: count, replayed: count }).meta({ id: "DlqReplayResult" });
export type DlqReplayResult = z.output<typeof dlqReplayResultSchema>;

/** A dead letter for operators: where it came from and why it died, not the event data. */
export function deadLetterView(doc: DeadLetterDoc): DeadLetterView {
  return {
    id: doc._id,
    deliveryId: doc.job.deliveryId,
    organizationId: doc.organizationId,
    webhookId: doc.webhookId,
    eventId: doc.eventId,
    event: doc.event,
    attempt: doc.job.attempt,
    lastError: doc.lastError,
    deadLetteredAt: iso(doc.deadLetteredAt),
    replayedAt: iso(doc.replayedAt),
    replayCount: doc.replayCount,
  };
}
