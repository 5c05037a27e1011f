import { describeFailure, isRetryable, OUTAGE_RETRY, releaseHeld, retryUntil, type DeliveryJob } from "@agiletune/shared";
import type { JobLease } from "./intake.js";
import { isKeyed, isOrdered, type KeyedJob } from "./ordering/ordering-policy.js";
import { route, send, type DeliveryContext, type Routed, type Sent } from "./steps.js";
import { triage, type Triage } from "./triage.js";

export type { DeliveryContext } from "./steps.js";

/**
 * One job from Kafka, from intake to its recording, in the order it goes:
 *   1. taken: its webhook as last read
 *   2. triaged: cancelled (webhook gone or inactive), unsignable, or to be sent (triage.ts)
 *   3. kept in order: an ordered webhook's job waits (held) for the earlier ones of its key (ordering/);
 *      any other job that repeats a delivery already made here goes no further (repeats.ts)
 *   4. routed by the webhook's circuit: sent, sent as its probe, parked or cancelled (health/)
 *   5. admitted: a slot at its endpoint (concurrency-gate.ts), then its rate limit (rate-limiter.ts)
 *   6. attempted: the signed POST and what it leads to (attempt.ts, delivery-outcome.ts)
 *   7. recorded: retry or dead letter produced, attempt logged, health written (recorder.ts);
 *      for an ordered key whose delivery ended, the next held one is released
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
  const triaged = triage(job, read.value);
  const ordered = triaged.kind === "send" && isOrdered(job, triaged.delivery.webhook.doc) ? job : null;
  if (ordered) {
    // Its key's chain keeps the order from here; other keys need not wait for it.
    lease.handedOn();
    const step = await ctx.chains.step(ordered);
    if (step.kind === "hold" || step.kind === "skip") return lease.finish();
    // In its key's order from here: its retries keep their place (outside ones do not join).
    if (step.kind === "admit" || step.kind === "send") ordered.inOrder = true;
    if (step.kind === "send" && step.startedElsewhere) {
      // Read again after an assignment: its previous owner may still be sending it. By the
      // time that is over, a later attempt of it may have gone out, or its end been recorded.
      await ctx.handover.untilPreviousOwnerDone();
      if (!ctx.chains.stillUnderWay(ordered)) {
        ctx.chains.settled(ordered);
        return lease.finish();
      }
    }
    if (step.kind === "outside") ctx.logger.warn({ webhookId: job.webhookId, deliveryId: job.deliveryId, reason: step.reason }, "sent outside its key's order");
  }
  // An ordered key's chain knows its own repeats, durably; other jobs to send are checked against what succeeded here.
  if (ordered || triaged.kind !== "send") return attemptAndRecord(lease, triaged, ordered, ctx);
  const claim = ctx.recent.claim(job, lease.handedOn);
  if ((typeof claim === "string" ? claim : await claim) === "repeat") {
    ctx.metrics.deliveries.inc({ outcome: "repeat" });
    return lease.finish();
  }
  try {
    await attemptAndRecord(lease, triaged, null, ctx);
  } finally {
    ctx.recent.release(job);
  }
}

/** Steps 4 to 7 of `deliver`. */
async function attemptAndRecord(lease: JobLease, triaged: Triage, ordered: KeyedJob | null, ctx: DeliveryContext): Promise<void> {
  const { job } = lease;
  const routed = route(job, triaged, ctx);
  let sent: Sent;
  if (routed.kind === "send") {
    sent = await send(routed.delivery, { as: routed.as, stillOwned: lease.stillOwned, inLine: lease.handedOn }, ctx);
    if (sent.kind !== "attempted") ctx.circuits.notSent(job, routed.as);
  } else {
    lease.handedOn();
    sent = unsent(routed, ctx);
  }
  try {
    const recorded = await record(job, sent, ctx);
    if (recorded === "moved") return lease.handBack();
    if (recorded === "ended" && ordered) await releaseNext(ordered, ctx);
    lease.finish();
  } finally {
    // Only once its end is recorded may another copy of it, or a stalled chain's restart, take it.
    if (ordered) ctx.chains.settled(ordered);
  }
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
    if (sent.kind !== "attempted") return ctx.circuits.notSent(job, as);
    const recorded = await record(job, sent, ctx);
    if (recorded === "ended" && isOrdered(job, triaged.delivery.webhook.doc)) await releaseNext(job, ctx);
  } catch (err) {
    ctx.circuits.notSent(job, as);
    throw err;
  }
}

/**
 * A held delivery whose turn has come: under way in its key's chain already, it goes the
 * rest of a job's way (routed, admitted, attempted, recorded), and its held copy goes once
 * that is recorded.
 */
export async function deliverHeld(job: DeliveryJob, ctx: DeliveryContext): Promise<void> {
  job.inOrder = true;
  const triaged = triage(job, await ctx.webhooks.get(job.webhookId));
  const routed = route(job, triaged, ctx);
  const sent = routed.kind === "send" ? await send(routed.delivery, { as: routed.as, stillOwned: () => ctx.ownership.owns(job.webhookId) }, ctx) : unsent(routed, ctx);
  if (routed.kind === "send" && sent.kind !== "attempted") ctx.circuits.notSent(job, routed.as);
  try {
    const recorded = await record(job, sent, ctx);
    // Moved: the partition's next owner resumes it from the held copy.
    if (recorded === "moved") return;
    await releaseHeld(ctx.db, job.deliveryId);
    if (recorded === "ended" && triaged.kind === "send" && isOrdered(job, triaged.delivery.webhook.doc)) await releaseNext(job, ctx);
  } finally {
    if (isKeyed(job)) ctx.chains.settled(job);
  }
}

function unsent(routed: Exclude<Routed, { kind: "send" }>, ctx: DeliveryContext): Sent {
  return routed.kind === "unsignable" ? { kind: "attempted", result: routed.result, healthUpdate: ctx.circuits.learn(routed.result, "job") } : routed;
}

/** Step 7: what became of the job, durably; "ended" when the delivery will not be attempted again. */
async function record(job: DeliveryJob, sent: Sent, ctx: DeliveryContext): Promise<"ended" | "waiting" | "moved"> {
  switch (sent.kind) {
    case "attempted": {
      await ctx.recorder.record(sent);
      const { outcome } = sent.result;
      if (outcome.kind === "succeeded") ctx.recent.succeededWith(job);
      return outcome.kind === "succeeded" || outcome.kind === "dead-letter" || outcome.kind === "gone" ? "ended" : "waiting";
    }
    case "busy":
      await ctx.recorder.defer(job);
      return "waiting";
    case "park":
      await ctx.recorder.park(job);
      return "waiting";
    case "cancel":
      await ctx.recorder.cancel(job, sent.reason);
      return "ended";
    case "moved":
      ctx.logger.info({ webhookId: job.webhookId, deliveryId: job.deliveryId }, "rebalancing: left to the partition's next owner");
      return "moved";
  }
}

/** The end of a key's delivery is durable before the next one of the key is released. */
async function releaseNext(job: KeyedJob, ctx: DeliveryContext): Promise<void> {
  const next = await ctx.chains.ended(job);
  if (!next) return;
  deliverHeld(next, ctx).catch((err: unknown) =>
    ctx.logger.warn({ err, webhookId: next.webhookId, deliveryId: next.deliveryId }, "releasing a held delivery failed; the partition's next assignment resumes it"),
  );
}
