import {
  activeChains,
  chainIdOf,
  deliveryStatus,
  heldJob,
  holdDelivery,
  loadChain,
  newChain,
  nextHeld,
  releaseHeld,
  saveChain,
  type ChainDoc,
  type Clock,
  type DeliveryJob,
  type Logger,
} from "@agiletune/shared";
import type { Db } from "mongodb";
import type { Handover } from "./handover.js";
import { chainAfterEnd, chainAfterStep, isKeyed, orderingStep, type Chain, type KeyedJob, type OrderingStep } from "./ordering-policy.js";

const ENDED = new Set(["succeeded", "failed", "cancelled"]);
const hasEnded = async (db: Db, deliveryId: string) => ENDED.has((await deliveryStatus(db, deliveryId)) ?? "");

/**
 * An ordering step with the store's questions answered. A `send` that did not start here
 * waits for the partition's previous owner (handover.ts), which may be sending it still.
 */
export type DecidedStep = Exclude<OrderingStep, { kind: "if-not-ended" } | { kind: "if-not-held" } | { kind: "send" }> | { kind: "send"; startedElsewhere: boolean };

/** Tries of a chain write that lost to another writer (a stale owner during a rebalance) before giving up. */
const MAX_CONFLICTS = 5;

/**
 * `sending`: deliveries of the chain past their step in this process and not yet recorded,
 * with the attempt each is at. `startedHere`: the delivery under way, when this process made
 * it so (admitted or released it) since its last assignment: no one else can be sending it.
 */
type Entry = { chain: ChainDoc; queue: Promise<unknown>; sending: Map<string, number>; startedHere: string | null };

/**
 * The chains of the ordered webhooks whose jobs this dispatcher owns: each step decided in
 * memory, one chain at a time, and made durable before its job goes on. The end of a
 * delivery is durable before the next of its key is released, and a job read again after a
 * crash meets that durable state.
 */
export class ChainBook {
  private readonly entries = new Map<string, Entry>();
  private readonly log: Logger;

  /** `handover`: told of each assignment, as `resume` is. */
  constructor(private readonly opts: { db: Db; clock: Clock; logger: Logger; handover: Handover }) {
    this.log = opts.logger.child({ component: "ordering" });
  }

  /** Decides, and stores, what becomes of an ordered job. */
  step(job: KeyedJob): Promise<DecidedStep> {
    return this.serially(job.webhookId, job.orderingKey, async (entry) => {
      for (let conflict = 0; ; conflict++) {
        // A second copy of an attempt on its way here (a re-read of a job this process is
        // sending): were it sent too, it could arrive after the next delivery of its key,
        // released by the first. A later attempt (its retry, produced once this one was
        // made) goes on, though this one's recording may not have finished.
        if ((entry.sending.get(job.deliveryId) ?? -1) >= job.attempt) return { kind: "skip", reason: "already being sent" };
        const link = { deliveryId: job.deliveryId, sequence: job.eventSequence, attempt: job.attempt, inOrder: job.inOrder === true };
        const step = await this.settle(orderingStep(entry.chain, link), job);
        const { current, endedThrough, last } = entry.chain;
        this.log.debug(
          { chainId: entry.chain._id, deliveryId: job.deliveryId, sequence: job.eventSequence, attempt: job.attempt, step: step.kind, current: current?.sequence, endedThrough, last: last?.sequence },
          "ordering step",
        );
        if (step.kind === "send" || step.kind === "outside") entry.sending.set(job.deliveryId, job.attempt);
        if (step.kind === "send") {
          return { kind: "send", startedElsewhere: entry.startedHere !== job.deliveryId };
        }
        if (step.kind !== "admit" && step.kind !== "hold") return step;
        // Held first: a crash before the chain says so leaves the job uncommitted, and its
        // re-read holds it again; the other way round, the chain would count a job it has not.
        if (step.kind === "hold") await holdDelivery(this.opts.db, { job, chainId: entry.chain._id, heldBehind: step.behind, at: new Date(this.opts.clock.now()) });
        if (await this.save(entry, chainAfterStep(entry.chain, link, step))) {
          if (step.kind === "admit") {
            entry.sending.set(job.deliveryId, job.attempt);
            entry.startedHere = job.deliveryId;
          }
          return step;
        }
        await this.reload(entry, conflict);
      }
    });
  }

  /** Answers the rules' questions to the store: has it ended, is it held? */
  private async settle(step: OrderingStep, job: KeyedJob): Promise<Exclude<OrderingStep, { kind: "if-not-ended" } | { kind: "if-not-held" }>> {
    const made = { kind: "outside", reason: "made before the webhook was ordered" } as const;
    if (step.kind === "if-not-ended") return (await hasEnded(this.opts.db, job.deliveryId)) ? { kind: "skip", reason: "already ended: a repeat" } : made;
    if (step.kind === "if-not-held") return (await heldJob(this.opts.db, job.deliveryId)) ? { kind: "skip", reason: "held already: a repeat" } : made;
    return step;
  }

  /**
   * The delivery under way of its key has ended: the lowest held one, if any, is under way
   * now, durably, and returned to be sent.
   */
  ended(job: KeyedJob): Promise<DeliveryJob | null> {
    return this.serially(job.webhookId, job.orderingKey, async (entry) => {
      for (let conflict = 0; ; conflict++) {
        if (entry.chain.current?.deliveryId !== job.deliveryId) return null;
        // Nothing can be held behind the last delivery to join: no query for the common case.
        const joinedAfter = (entry.chain.last?.sequence ?? -1) > job.eventSequence;
        const next = joinedAfter ? await nextHeld(this.opts.db, entry.chain._id, job.eventSequence) : null;
        const nextLink = next ? { deliveryId: next.deliveryId, sequence: next.eventSequence ?? 0 } : null;
        this.log.debug({ chainId: entry.chain._id, deliveryId: job.deliveryId, sequence: job.eventSequence, next: nextLink?.sequence }, "ordering end");
        if (await this.save(entry, chainAfterEnd(entry.chain, { deliveryId: job.deliveryId, sequence: job.eventSequence }, nextLink))) {
          if (next) {
            entry.sending.set(next.deliveryId, next.attempt);
            entry.startedHere = next.deliveryId;
          } else if (entry.sending.size === 0) this.entries.delete(entry.chain._id);
          return next;
        }
        await this.reload(entry, conflict);
      }
    });
  }

  /**
   * A new assignment: what this process knew of other webhooks' chains may be stale. The
   * owned webhooks' chains with a delivery under way whose job is still held (released, and
   * the process stopped before its first attempt was recorded) are returned to be sent
   * again, and so are held deliveries that a crash left with nothing under way.
   */
  async resume(owns: (webhookId: string) => boolean): Promise<DeliveryJob[]> {
    this.entries.clear();
    this.opts.handover.assigned();
    const toSend: DeliveryJob[] = [];
    for (const chain of (await activeChains(this.opts.db)).filter((c) => owns(c.webhookId))) {
      const entry: Entry = { chain, queue: Promise.resolve(), sending: new Map(), startedHere: null };
      this.entries.set(chain._id, entry);
      const job = await this.restart(entry);
      if (job) toSend.push(job);
    }
    if (toSend.length) this.log.info({ deliveries: toSend.length }, "ordered deliveries resumed");
    return toSend;
  }

  /**
   * Chains here that have not moved for a while, read again: a delivery released by the
   * partition's previous owner just as it lost the partition, or an end it could not record,
   * is taken up here. Returns what to send.
   */
  async restartStalled(olderThanMs: number): Promise<DeliveryJob[]> {
    const now = this.opts.clock.now();
    const toSend: DeliveryJob[] = [];
    for (const entry of [...this.entries.values()]) {
      const { chain } = entry;
      if ((chain.held === 0 && !chain.current) || entry.sending.size > 0 || now - chain.updatedAt.getTime() < olderThanMs) continue;
      const job = await this.serially(chain.webhookId, chain.key, async (e) => {
        e.chain = (await loadChain(this.opts.db, e.chain._id)) ?? e.chain;
        return e.sending.size > 0 ? null : this.restart(e);
      });
      if (job) toSend.push(job);
    }
    return toSend;
  }

  /** A chain taken up again: its released delivery sent again, or an end recorded and the next one released. */
  private async restart(entry: Entry): Promise<DeliveryJob | null> {
    const { chain } = entry;
    const { current } = chain;
    const released = current ? await heldJob(this.opts.db, current.deliveryId) : null;
    if (released) {
      if ((await deliveryStatus(this.opts.db, released.deliveryId)) === "held") {
        entry.sending.set(released.deliveryId, released.attempt);
        entry.startedHere = released.deliveryId;
        return released;
      }
      // Its first attempt was recorded before the process stopped: its own job (a retry,
      // parked) carries it from here, and a copy sent too could follow the next delivery.
      await releaseHeld(this.opts.db, released.deliveryId);
    }
    // Under way (on its ladder, parked): its own job comes back. Ended, but the process
    // stopped before the chain said so: its turn ends now.
    if (current && !(await hasEnded(this.opts.db, current.deliveryId))) return null;
    const next = await nextHeld(this.opts.db, chain._id, current?.sequence ?? chain.endedThrough ?? -1);
    const nextLink = next ? { deliveryId: next.deliveryId, sequence: next.eventSequence ?? 0 } : null;
    const afterEnd = current ? chainAfterEnd(chain, current, nextLink) : { ...chain, current: nextLink, held: nextLink ? Math.max(0, chain.held - 1) : 0 };
    if (!(await this.save(entry, afterEnd)) || !next) return null;
    entry.sending.set(next.deliveryId, next.attempt);
    entry.startedHere = next.deliveryId;
    return next;
  }

  /** Whether `job` is still its chain's delivery under way, to be sent by this process. */
  stillUnderWay(job: DeliveryJob): boolean {
    if (!isKeyed(job)) return false;
    const entry = this.entries.get(chainIdOf(job.webhookId, job.orderingKey));
    return entry?.chain.current?.deliveryId === job.deliveryId && entry.sending.get(job.deliveryId) === job.attempt;
  }

  /** The delivery's recording is done (whatever it decided): another copy of it may be taken again. */
  settled(job: KeyedJob): void {
    const sending = this.entries.get(chainIdOf(job.webhookId, job.orderingKey))?.sending;
    if (sending?.get(job.deliveryId) === job.attempt) sending.delete(job.deliveryId);
  }

  /** Webhooks with chains in memory that hold deliveries. */
  webhooksHolding(): Set<string> {
    const ids = new Set<string>();
    for (const { chain } of this.entries.values()) if (chain.held > 0 || chain.current) ids.add(chain.webhookId);
    return ids;
  }

  /** Forgets a webhook's chains (no longer ordered, or disabled): they start afresh. */
  forget(webhookId: string): void {
    for (const [id, { chain }] of this.entries) if (chain.webhookId === webhookId) this.entries.delete(id);
  }

  /** Runs `fn` on the chain once every earlier call for it has finished: one decision at a time per key. */
  private serially<T>(webhookId: string, key: string, fn: (entry: Entry) => Promise<T>): Promise<T> {
    const chainId = chainIdOf(webhookId, key);
    let entry = this.entries.get(chainId);
    if (!entry) {
      const loaded: Entry = { chain: newChain(webhookId, key, new Date(this.opts.clock.now())), queue: Promise.resolve(), sending: new Map(), startedHere: null };
      loaded.queue = loadChain(this.opts.db, chainId).then((stored) => {
        if (stored) loaded.chain = stored;
      });
      this.entries.set(chainId, (entry = loaded));
    }
    const ready = entry;
    const run = ready.queue.then(() => fn(ready));
    // The next call waits for this one, whatever its fate.
    ready.queue = run.catch(() => undefined);
    return run;
  }

  private async save(entry: Entry, next: Chain): Promise<boolean> {
    const read = entry.chain.version;
    const written: ChainDoc = { ...entry.chain, ...next, version: read + 1, updatedAt: new Date(this.opts.clock.now()) };
    if (!(await saveChain(this.opts.db, written, read))) return false;
    entry.chain = written;
    return true;
  }

  private async reload(entry: Entry, conflict: number): Promise<void> {
    if (conflict >= MAX_CONFLICTS) throw new Error(`ordering chain ${entry.chain._id}: ${MAX_CONFLICTS} writes in a row lost to another writer`);
    this.log.warn({ chainId: entry.chain._id }, "ordering chain changed by another writer; read again");
    entry.chain = (await loadChain(this.opts.db, entry.chain._id)) ?? newChain(entry.chain.webhookId, entry.chain.key, new Date(this.opts.clock.now()));
  }
}
