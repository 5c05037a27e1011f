import { describeFailure, isRetryable, OUTAGE_RETRY, retryUntil, type DeliveryJob, type Logger } from "@agiletune/shared";
import { attemptDelivery, unsignableAttempt, type AttemptOptions, type AttemptResult } from "./attempt.js";
import type { ConcurrencyGate } from "./concurrency-gate.js";
import type { CircuitBook, HealthUpdate, SendKind } from "./health/circuit-book.js";
import type { PartitionOwnership } from "./health/partition-ownership.js";
import type { JobLease } from "./intake.js";
import type { DispatcherMetrics } from "./metrics.js";
import type { RateLimiter } from "./rate-limiter.js";
import type { Recorder } from "./recorder.js";
import { triage, type PendingDelivery, type Triage } from "./triage.js";
import type { WebhookCache } from "./webhook-cache.js";

/** What delivering needs, made once by dispatcher.ts. */
export type DeliveryContext = {
  webhooks: WebhookCache;
  circuits: CircuitBook;
  ownership: PartitionOwnership;
  gate: ConcurrencyGate;
  limiter: RateLimiter;
  attempt: AttemptOptions;
  recorder: Recorder;
  metrics: DispatcherMetrics;
  logger: Logger;
};

/** A triaged job as its webhook's circuit routes it. */
type Routed = { kind: "send"; delivery: PendingDelivery; as: "job" | "probe" } | { kind: "park" } | { kind: "cancel"; reason: string } | { kind: "unsignable"; result: AttemptResult };

/** How far a job got before its recording: an attempt made, or why none was. */
type Sent =
  | { kind: "attempted"; result: AttemptResult; healthUpdate: HealthUpdate | null }
  /** Turned away by its endpoint's gate (slow, and short of room): deferred to the first retry tier. */
  | { kind: "busy" }
  | { kind: "park" }
  | { kind: "cancel"; reason: string }
  /** Its partition may have gone elsewhere at a rebalance: left to the partition's next owner. */
  | { kind: "moved" };

/**
 * One job from Kafka, from intake to its recording, in the order it goes:
 *   1. taken: its webhook as last read
 *   2. triaged: cancelled (webhook gone or inactive), unsignable, or to be sent (triage.ts)
 *   3. routed by the webhook's circuit: sent, sent as its probe, parked or cancelled (health/)
 *   4. admitted: a slot at its endpoint (concurrency-gate.ts), then its rate limit (rate-limiter.ts)
 *   5. attempted: the signed POST and what it leads to (attempt.ts, delivery-outcome.ts)
 *   6. recorded: retry or dead letter produced, attempt logged, health written (recorder.ts)
 * then its lease is finished, and intake's commit may pass its offset.
 */
export async function deliver(lease: JobLease, ctx: DeliveryContext): Promise<void> {
  const { job } = lease;
  const read = await retryUntil(() => ctx.webhooks.get(job.webhookId), {
    ...OUTAGE_RETRY,
    isRetryable,
    giveUp: lease.batchEnded,
    onFailure: (err) => ctx.logger.error({ err, webhookId: job.webhookId }, "webhook lookup failed; retrying"),
    afterWait: lease.heartbeat,
  });
  if (!read.ok && !read.retryable) {
    // A webhook document the database can never give us: no attempt can be made.
    lease.handedOn();
    await ctx.recorder.cancel(job, `the webhook cannot be read: ${describeFailure(read.error)}`);
    return lease.finish();
  }
  if (!read.ok || lease.batchEnded()) {
    // Shutting down or lost the partition: whoever reads it again takes it.
    lease.handedOn();
    return lease.handBack();
  }
  const routed = route(job, triage(job, read.value), ctx);
  let sent: Sent;
  if (routed.kind === "send") {
    sent = await send(routed.delivery, { as: routed.as, stillOwned: lease.stillOwned, inLine: lease.handedOn }, ctx);
    if (sent.kind !== "attempted") ctx.circuits.notSent(job, routed.as);
  } else {
    lease.handedOn();
    sent = routed.kind === "unsignable" ? { kind: "attempted", result: routed.result, healthUpdate: ctx.circuits.learn(routed.result, "job") } : routed;
  }
  switch (sent.kind) {
    case "attempted":
      await ctx.recorder.record(sent);
      break;
    case "busy":
      await ctx.recorder.defer(job);
      break;
    case "park":
      await ctx.recorder.park(job);
      break;
    case "cancel":
      await ctx.recorder.cancel(job, sent.reason);
      break;
    case "moved":
      ctx.logger.info({ webhookId: job.webhookId, deliveryId: job.deliveryId }, "rebalancing: left to the partition's next owner");
      lease.handBack();
      return;
  }
  lease.finish();
}

/**
 * A parked delivery the drainer releases (the circuit's probe, or draining after one
 * succeeded). Settles once it is recorded, or left parked to be released again later.
 */
export async function deliverParked(job: DeliveryJob, as: "probe" | "drain", ctx: DeliveryContext): Promise<void> {
  try {
    const triaged = triage(job, await ctx.webhooks.get(job.webhookId));
    if (triaged.kind !== "send") {
      ctx.circuits.notSent(job, as);
      // Deleted or deactivated meanwhile: cancelled like any job of such a webhook. Unsignable: stays parked.
      if (triaged.kind === "cancel") await ctx.recorder.cancel(job, triaged.reason);
      return;
    }
    const sent = await send(triaged.delivery, { as, stillOwned: () => ctx.ownership.owns(job.webhookId) }, ctx);
    if (sent.kind === "attempted") await ctx.recorder.record(sent);
    else ctx.circuits.notSent(job, as);
  } catch (err) {
    ctx.circuits.notSent(job, as);
    throw err;
  }
}

/** Steps 2 and 3. */
function route(job: DeliveryJob, triaged: Triage, ctx: DeliveryContext): Routed {
  switch (triaged.kind) {
    case "cancel":
      return triaged;
    case "unsignable":
      ctx.logger.error({ webhookId: job.webhookId, deliveryId: job.deliveryId, reason: triaged.reason }, "cannot sign delivery");
      return { kind: "unsignable", result: unsignableAttempt(job, triaged.webhook, triaged.reason, ctx.attempt) };
    case "send": {
      const routed = ctx.circuits.route(job, triaged.delivery.webhook.doc);
      return routed.kind === "send" ? { kind: "send", delivery: triaged.delivery, as: routed.as } : routed;
    }
  }
}

/**
 * Steps 4 and 5. The HTTP exchange holds the endpoint's slot; recording does not, so a
 * slow database never throttles fast endpoints. A job whose circuit opened while it
 * waited for the slot is parked instead.
 */
async function send(delivery: PendingDelivery, opts: { as: SendKind; stillOwned: () => boolean; inLine?: () => void }, ctx: DeliveryContext): Promise<Sent> {
  const { job, webhook } = delivery;
  const entering = ctx.gate.enter(job.webhookId);
  opts.inLine?.();
  const entry = await entering;
  if (entry.kind === "turned-away") return { kind: "busy" };
  try {
    const recheck = ctx.circuits.recheck(job, opts.as);
    if (recheck.kind !== "send") return recheck;
    await ctx.limiter.acquire(job.webhookId, ctx.circuits.rateOf(webhook.doc));
    if (!opts.stillOwned()) return { kind: "moved" };
    const result = await attemptDelivery(delivery, ctx.attempt);
    if (opts.as === "probe") ctx.metrics.probes.inc({ result: result.http.error ? "failure" : "success" });
    // Learnt before the slot frees, so the next request waiting for this endpoint already
    // sees a circuit this attempt opened.
    return { kind: "attempted", result, healthUpdate: ctx.circuits.learn(result, opts.as) };
  } finally {
    entry.leave();
  }
}
