import type { ChainDoc, ChainLink, DeliveryJob } from "@agiletune/shared";

/** A job with what ordering needs: its key and its event's sequence. */
export type KeyedJob = DeliveryJob & { orderingKey: string; eventSequence: number };

/** Whether a job has a place in a key's chain: its key and its event's sequence. */
export function isKeyed(job: DeliveryJob): job is KeyedJob {
  return job.orderingKey !== undefined && job.eventSequence !== undefined;
}

/** Whether a job of this webhook is kept in order. */
export function isOrdered(job: DeliveryJob, webhook: { ordered?: boolean }): job is KeyedJob {
  return webhook.ordered === true && job.source === "event" && isKeyed(job);
}

/** What a chain knows that its rules read. */
export type Chain = Pick<ChainDoc, "current" | "last" | "endedThrough" | "held">;

/** A job of an ordered webhook that has an ordering key; `inOrder` once it has joined its key's order. */
export type OrderedJob = { deliveryId: string; sequence: number; attempt: number; inOrder?: boolean };

/**
 * What becomes of an ordered job:
 * - `send`: it is the chain's delivery under way (a retry, a parked one released, a re-read);
 * - `admit`: it becomes the delivery under way, then is sent;
 * - `hold`: an earlier delivery of its key has not ended; it waits behind `behind`;
 * - `skip`: it has ended already (a repeat after a crash): sending it again could follow a later one;
 * - `if-not-ended`: at or before the key's ended mark but never in its order: sent as it
 *   comes (made while the webhook was unordered) unless the log says it ended (a repeat);
 * - `if-not-held`: at or before the last to join its key: skipped if it is held already (a
 *   re-read after a crash), else sent as it comes (made while the webhook was unordered);
 * - `outside`: it predates the chain (made while the webhook was unordered): sent as it comes.
 */
export type OrderingStep =
  | { kind: "send" }
  | { kind: "admit" }
  | { kind: "hold"; behind: string }
  | { kind: "skip"; reason: string }
  | { kind: "if-not-ended" }
  | { kind: "if-not-held" }
  | { kind: "outside"; reason: string };

/** Pure: the step for `job`, given its chain as it stands. */
export function orderingStep(chain: Chain, job: OrderedJob): OrderingStep {
  if (chain.current?.deliveryId === job.deliveryId) return { kind: "send" };
  // A retry of a delivery that never joined the order was made while the webhook was unordered.
  if (job.attempt > 0 && !job.inOrder) return { kind: "outside", reason: "a retry of a delivery made before the webhook was ordered" };
  if (chain.endedThrough !== null && job.sequence <= chain.endedThrough) return job.inOrder ? { kind: "skip", reason: "already ended: a repeat" } : { kind: "if-not-ended" };
  // A chain's deliveries start in order, so one older than the delivery under way was made before the webhook was ordered.
  if (chain.current && job.sequence < chain.current.sequence) return { kind: "outside", reason: "older than the delivery under way" };
  if (chain.last && job.sequence <= chain.last.sequence) return { kind: "if-not-held" };
  if (chain.current || chain.held > 0) return { kind: "hold", behind: (chain.last ?? chain.current)!.deliveryId };
  return { kind: "admit" };
}

/** Pure: the chain once `job` takes `step` (unchanged for send, skip and outside). */
export function chainAfterStep(chain: Chain, job: OrderedJob, step: OrderingStep): Chain {
  const link: ChainLink = { deliveryId: job.deliveryId, sequence: job.sequence };
  const last = chain.last === null || chain.last.sequence < job.sequence ? link : chain.last;
  if (step.kind === "admit") return { ...chain, current: link, last };
  if (step.kind === "hold") return { ...chain, held: chain.held + 1, last };
  return chain;
}

/**
 * Pure: the chain once its delivery under way has ended, and `next` (the lowest held, or
 * null) is under way instead. Only the delivery under way ends a chain's turn.
 */
export function chainAfterEnd(chain: Chain, ended: ChainLink, next: ChainLink | null): Chain {
  if (chain.current?.deliveryId !== ended.deliveryId) return chain;
  const endedThrough = Math.max(chain.endedThrough ?? -1, ended.sequence);
  // Nothing held left when there is no next: the held documents, not the count, say so.
  return { ...chain, current: next, endedThrough, held: next ? Math.max(0, chain.held - 1) : 0 };
}
