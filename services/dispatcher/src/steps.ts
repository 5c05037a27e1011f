import type { DeliveryJob, Logger } from "@agiletune/shared";
import type { Db } from "mongodb";
import { attemptDelivery, unsignableAttempt, type AttemptOptions, type AttemptResult } from "./attempt.js";
import type { ConcurrencyGate } from "./concurrency-gate.js";
import type { CircuitBook, HealthUpdate, SendKind } from "./health/circuit-book.js";
import type { PartitionOwnership } from "./health/partition-ownership.js";
import type { DispatcherMetrics } from "./metrics.js";
import type { ChainBook } from "./ordering/chain-book.js";
import type { Handover } from "./ordering/handover.js";
import type { RateLimiter } from "./rate-limiter.js";
import type { Recorder } from "./recorder.js";
import type { RecentSuccesses } from "./repeats.js";
import type { PendingDelivery, Triage } from "./triage.js";
import type { WebhookCache } from "./webhook-cache.js";

// The steps deliver.ts calls, each a function from one typed value to the next.

/** What delivering needs, made once by dispatcher.ts. */
export type DeliveryContext = {
  db: Db;
  webhooks: WebhookCache;
  chains: ChainBook;
  handover: Handover;
  circuits: CircuitBook;
  ownership: PartitionOwnership;
  gate: ConcurrencyGate;
  limiter: RateLimiter;
  attempt: AttemptOptions;
  recorder: Recorder;
  recent: RecentSuccesses;
  metrics: DispatcherMetrics;
  logger: Logger;
};

/** A triaged job as its webhook's circuit routes it. */
export type Routed = { kind: "send"; delivery: PendingDelivery; as: "job" | "probe" } | { kind: "park" } | { kind: "cancel"; reason: string } | { kind: "unsignable"; result: AttemptResult };

/** How far a job got before its recording: an attempt made, or why none was. */
export type Sent =
  | { kind: "attempted"; result: AttemptResult; healthUpdate: HealthUpdate | null }
  /** Turned away by its endpoint's gate (slow, and short of room): deferred to the first retry tier. */
  | { kind: "busy" }
  | { kind: "park" }
  | { kind: "cancel"; reason: string }
  /** Its partition may have gone elsewhere at a rebalance: left to the partition's next owner. */
  | { kind: "moved" };

/** Steps 2 and 4: triaged, then routed by the webhook's circuit. */
export function route(job: DeliveryJob, triaged: Triage, ctx: DeliveryContext): Routed {
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
 * Steps 5 and 6. The HTTP exchange holds the endpoint's slot; recording does not, so a
 * slow database never throttles fast endpoints. A job whose circuit opened while it
 * waited for the slot is parked instead.
 */
export async function send(delivery: PendingDelivery, opts: { as: SendKind; stillOwned: () => boolean; inLine?: () => void }, ctx: DeliveryContext): Promise<Sent> {
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
