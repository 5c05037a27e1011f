import type { DeliveryJob } from "@agiletune/shared";
import type { ResolvedWebhook } from "./webhook-cache.js";

/** A job whose webhook can take it: signable, active, the job's own organization's. */
export type PendingDelivery = { job: DeliveryJob; webhook: ResolvedWebhook & { secret: string } };

/** What becomes of a job before any request is made. */
export type Triage =
  | { kind: "send"; delivery: PendingDelivery }
  /** Never attempted: the webhook is gone or inactive (docs/delivery.md#statuses, `cancelled`). */
  | { kind: "cancel"; reason: string }
  /** Cannot be signed, and sending unsigned would break our promise to receivers. */
  | { kind: "unsignable"; webhook: ResolvedWebhook; reason: string };

/** Pure: decides from the job and its webhook as last read (null: deleted). */
export function triage(job: DeliveryJob, webhook: ResolvedWebhook | null): Triage {
  if (!webhook || webhook.doc.organizationId !== job.organizationId) return { kind: "cancel", reason: "the webhook was deleted" };
  if (!webhook.doc.active) return { kind: "cancel", reason: "the webhook was deactivated" };
  if (!isSignable(webhook)) return { kind: "unsignable", webhook, reason: webhook.secretError ?? "cannot sign" };
  return { kind: "send", delivery: { job, webhook } };
}

/** Narrows without copying: this runs for every job. */
function isSignable(webhook: ResolvedWebhook): webhook is PendingDelivery["webhook"] {
  return webhook.secret !== null;
}
