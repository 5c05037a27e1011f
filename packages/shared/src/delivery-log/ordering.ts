import type { Db } from "mongodb";
import { decodeDeliveryJob, encodeDeliveryJob, type DeliveryJob } from "../delivery-job.js";
import { COLLECTIONS, isDuplicateKey } from "../mongo.js";
import { deliveriesCollection, newDeliveryEntry, storedPayloadOf, type DeliveryDoc } from "./documents.js";

// Ordered delivery (docs/ordered-delivery.md): each ordering key of an ordered webhook is a
// chain, one document in `ordering_chains`, saying which delivery is under way and up to
// which event the key's deliveries have ended. The deliveries that wait for it are
// documents in `held_deliveries`, each holding its job: they cost nothing while they wait,
// and the log shows them `held`.

/** A delivery's place in its chain: its id and its event's sequence. */
export type ChainLink = { deliveryId: string; sequence: number };

export type ChainDoc = {
  _id: string;
  webhookId: string;
  key: string;
  /** The delivery under way (sent, on its ladder, or parked); null between two. */
  current: ChainLink | null;
  /** The latest delivery to join the chain: a newcomer waits behind it. */
  last: ChainLink | null;
  /** The highest event sequence of the key whose delivery has ended. */
  endedThrough: number | null;
  /** Deliveries held. */
  held: number;
  /** Each write names the version it read: a stale owner's write (after a rebalance) changes nothing. */
  version: number;
  updatedAt: Date;
};

type HeldDoc = { _id: string; chainId: string; webhookId: string; sequence: number; job: string; heldAt: Date };

function chainsCollection(db: Db) {
  return db.collection<ChainDoc>(COLLECTIONS.orderingChains);
}

function heldCollection(db: Db) {
  return db.collection<HeldDoc>(COLLECTIONS.held);
}

/** Webhook ids have no colon, so the key after the first one is the key, whatever it holds. */
export function chainIdOf(webhookId: string, key: string): string {
  return `${webhookId}:${key}`;
}

export function newChain(webhookId: string, key: string, at: Date): ChainDoc {
  return { _id: chainIdOf(webhookId, key), webhookId, key, current: null, last: null, endedThrough: null, held: 0, version: 0, updatedAt: at };
}

/** The chain as stored, or null before its key's first delivery. */
export function loadChain(db: Db, chainId: string): Promise<ChainDoc | null> {
  return chainsCollection(db).findOne({ _id: chainId });
}

/** Stores a chain read at `readVersion` (0: not stored yet); false when another write came first. */
export async function saveChain(db: Db, chain: ChainDoc, readVersion: number): Promise<boolean> {
  if (readVersion === 0) {
    try {
      await chainsCollection(db).insertOne(chain);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }
  const { _id, ...fields } = chain;
  const written = await chainsCollection(db).updateOne({ _id, version: readVersion }, { $set: fields });
  return written.matchedCount === 1;
}

/**
 * Holds a delivery: its job kept in `held_deliveries`, its log entry `held` behind
 * `heldBehind`. Repeatable: holding it again (a re-read after a crash) changes nothing.
 */
export async function holdDelivery(db: Db, { job, chainId, heldBehind, at }: { job: DeliveryJob; chainId: string; heldBehind: string; at: Date }): Promise<void> {
  const held: HeldDoc = { _id: job.deliveryId, chainId, webhookId: job.webhookId, sequence: job.eventSequence ?? 0, job: encodeDeliveryJob(job).toString(), heldAt: at };
  await heldCollection(db)
    .insertOne(held)
    .catch((err: unknown) => {
      if (!isDuplicateKey(err)) throw err;
    });
  const reason = "waiting for an earlier delivery of its ordering key to end";
  const entry: DeliveryDoc = newDeliveryEntry(job, new Date(job.enqueuedAt), { status: "held", heldBehind, statusReason: reason, payload: storedPayloadOf(job), updatedAt: at });
  await deliveriesCollection(db)
    .insertOne(entry)
    .catch(async (err: unknown) => {
      if (!isDuplicateKey(err)) throw err;
      await deliveriesCollection(db).updateOne({ _id: job.deliveryId, status: { $in: ["pending", "held"] } }, { $set: { status: "held", heldBehind, statusReason: reason } });
    });
}

/** A delivery's status in the log, if it is there. */
export async function deliveryStatus(db: Db, deliveryId: string): Promise<DeliveryDoc["status"] | undefined> {
  return (await deliveriesCollection(db).findOne({ _id: deliveryId }, { projection: { status: 1 } }))?.status;
}

/**
 * The chain's held delivery with the lowest event sequence after `after` (the one that
 * ended): the next to go. A released delivery's held copy stays until its first attempt is
 * recorded, and a crash can leave it longer: it is never its own successor.
 */
export async function nextHeld(db: Db, chainId: string, after: number): Promise<DeliveryJob | null> {
  const [doc] = await heldCollection(db)
    .find({ chainId, sequence: { $gt: after } })
    .sort({ sequence: 1 })
    .limit(1)
    .toArray();
  return doc ? jobOfHeld(doc) : null;
}

export async function heldJob(db: Db, deliveryId: string): Promise<DeliveryJob | null> {
  const doc = await heldCollection(db).findOne({ _id: deliveryId });
  return doc ? jobOfHeld(doc) : null;
}

/** A released delivery's job is not needed once its first attempt (or parking) is recorded. */
export async function releaseHeld(db: Db, deliveryId: string): Promise<void> {
  await heldCollection(db).deleteOne({ _id: deliveryId });
}

/** Chains with a delivery under way or held: what a new owner resumes. */
export function activeChains(db: Db): Promise<ChainDoc[]> {
  return chainsCollection(db)
    .find({ $or: [{ held: { $gt: 0 } }, { current: { $ne: null } }] })
    .toArray();
}

/**
 * A disabled webhook's held deliveries end with `status` (the same as its parked ones), and
 * its chains go: re-enabled, it starts its keys afresh.
 */
export async function endHeld(db: Db, { webhookId, status, reason, at }: { webhookId: string; status: "cancelled" | "failed"; reason: string; at: Date }): Promise<void> {
  await deliveriesCollection(db).updateMany({ webhookId, status: "held" }, { $set: { status, statusReason: reason, heldBehind: null, updatedAt: at } });
  await heldCollection(db).deleteMany({ webhookId });
  await chainsCollection(db).deleteMany({ webhookId });
}

function jobOfHeld(doc: HeldDoc): DeliveryJob | null {
  const decoded = decodeDeliveryJob(Buffer.from(doc.job));
  return decoded.ok ? decoded.value : null;
}

/** Up to `limit` held deliveries of a webhook, lowest sequence first within each key. */
export async function heldOfWebhook(db: Db, webhookId: string, limit: number): Promise<DeliveryJob[]> {
  const docs = await heldCollection(db).find({ webhookId }).sort({ chainId: 1, sequence: 1 }).limit(limit).toArray();
  return docs.flatMap((doc) => jobOfHeld(doc) ?? []);
}

/** A webhook no longer ordered: its chains go, so ordering it again starts each key afresh. */
export async function dropChains(db: Db, webhookId: string): Promise<void> {
  await chainsCollection(db).deleteMany({ webhookId });
}
