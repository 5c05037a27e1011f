import { createHash } from "node:crypto";
import { COLLECTIONS, isDuplicateKey, retryUntil } from "@agiletune/shared";
import type { Db } from "mongodb";
import { ApiError, validationFailed } from "./errors.js";

/**
 * `Idempotency-Key` for the publish API (docs/publishing.md): the first request with a key
 * claims it by inserting a document under a unique `_id` (the organization and the key), so of
 * two concurrent requests, on any admin API instance, exactly one does the work; the other
 * waits for its answer. A repeat within the key's lifetime gets the stored answer; the same
 * key with another body is refused. Expiry is read from `expiresAt` (FerretDB has no TTL
 * indexes); `sweepExpiredIdempotencyKeys` deletes what has expired.
 */

export const IDEMPOTENCY_DEFAULTS = {
  /** How long a key's answer is remembered. */
  ttlMs: 24 * 60 * 60 * 1000,
  /** How long a repeat waits for a first request still at work before it is told to try again. */
  waitMs: 10_000,
  /** A claim with no answer this long after it was made belongs to a request that died: the next repeat takes it over. */
  leaseMs: 120_000,
} as const;

export type IdempotencyOptions = { ttlMs: number; waitMs: number; leaseMs: number };

/** What is remembered: the success answer of the first request. Failures are not (the claim is released). */
export type StoredAnswer = { status: number; body: Record<string, unknown> };

type IdempotencyDoc = { _id: string; organizationId: string; fingerprint: string; answer: StoredAnswer | null; createdAt: Date; expiresAt: Date };

const KEY = /^[\x21-\x7e][\x20-\x7e]{0,254}$/;

/** The header's value, or undefined without one; 422 for one that is not 1-255 printable ASCII characters. */
export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined || header === "") return undefined;
  if (!KEY.test(header)) throw validationFailed([{ field: "header.Idempotency-Key", message: "must be 1 to 255 printable ASCII characters" }]);
  return header;
}

/** What a request asked, as compared between a key's first request and its repeats. */
export function requestFingerprint(operation: string, body: unknown): string {
  return createHash("sha256").update(operation).update("\n").update(JSON.stringify(body)).digest("hex");
}

class StillInProgress extends Error {}

export type IdempotentRun = {
  db: Db;
  clock: () => Date;
  options: IdempotencyOptions;
  organizationId: string;
  key: string;
  fingerprint: string;
};

/**
 * Runs `work` once per (organization, key) within the key's lifetime and answers with its
 * answer, `replayed` when it was a repeat's. When `work` throws, the claim is released so a
 * retry can do the work.
 */
export async function runIdempotently(run: IdempotentRun, work: () => Promise<StoredAnswer>): Promise<StoredAnswer & { replayed: boolean }> {
  const keys = run.db.collection<IdempotencyDoc>(COLLECTIONS.idempotencyKeys);
  const _id = createHash("sha256").update(run.organizationId).update("\n").update(run.key).digest("hex");

  /** One look at the key: ours to work on (null), the first answer, or still in progress (throws). */
  async function claimOrAnswer(): Promise<StoredAnswer | { claimedAt: Date }> {
    const now = run.clock();
    const claim: IdempotencyDoc = { _id, organizationId: run.organizationId, fingerprint: run.fingerprint, answer: null, createdAt: now, expiresAt: new Date(now.getTime() + run.options.ttlMs) };
    try {
      await keys.insertOne(claim);
      return { claimedAt: now };
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    const existing = await keys.findOne({ _id });
    if (!existing) throw new StillInProgress();
    const abandoned = existing.answer === null && now.getTime() - existing.createdAt.getTime() >= run.options.leaseMs;
    if (existing.expiresAt.getTime() <= now.getTime() || abandoned) {
      // Conditional on its creation time: of several repeats, one removes it and one claims it afresh.
      await keys.deleteOne({ _id, createdAt: existing.createdAt });
      throw new StillInProgress();
    }
    if (existing.fingerprint !== run.fingerprint) throw new ApiError("idempotency_key_reused", "this Idempotency-Key was used with another request body; use a new key for a new request");
    if (existing.answer === null) throw new StillInProgress();
    return existing.answer;
  }

  const looked = await retryUntil(claimOrAnswer, { initialDelayMs: 5, maxDelayMs: 50, timeoutMs: run.options.waitMs, isRetryable: (err) => err instanceof StillInProgress });
  if (!looked.ok) {
    if (looked.error instanceof StillInProgress) throw new ApiError("conflict", "a request with this Idempotency-Key is still in progress; try again shortly");
    throw looked.error;
  }
  if (!("claimedAt" in looked.value)) return { ...looked.value, replayed: true };
  const { claimedAt } = looked.value;
  let answer: StoredAnswer;
  try {
    answer = await work();
  } catch (err) {
    await keys.deleteOne({ _id, createdAt: claimedAt, answer: null }).catch(() => undefined);
    throw err;
  }
  await keys.updateOne({ _id, createdAt: claimedAt }, { $set: { answer } });
  return { ...answer, replayed: false };
}

/** Deletes the keys expired at `now`, a bounded batch at a time so a large backlog never holds the store's writer for long. */
export async function sweepExpiredIdempotencyKeys(db: Db, now: Date, batchSize = 500): Promise<number> {
  const keys = db.collection<IdempotencyDoc>(COLLECTIONS.idempotencyKeys);
  let deleted = 0;
  for (;;) {
    const ids = (await keys.find({ expiresAt: { $lte: now } }, { projection: { _id: 1 } }).limit(batchSize).toArray()).map((d) => d._id);
    if (ids.length === 0) return deleted;
    deleted += (await keys.deleteMany({ _id: { $in: ids }, expiresAt: { $lte: now } })).deletedCount;
    if (ids.length < batchSize) return deleted;
  }
}
