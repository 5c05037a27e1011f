import type { Db, Document, Filter, IndexDescription } from "mongodb";
import { Counter, Histogram, type Registry } from "prom-client";
import { systemClock, type Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import { COLLECTIONS } from "../mongo.js";
import { storeProfile, type StoreProfile } from "../store-profile.js";

/** How long the log keeps a delivery (with its attempts) and a dead letter, in ms. */
export type RetentionPeriods = { deliveriesMs: number; deadLettersMs: number };

/**
 * What expires, and by which date, in each collection of the log:
 * - a delivery by `createdAt`, the time the API lists it by, so "kept 30 days" reads the
 *   same on the list (a parked delivery's job is in `parked_deliveries`, which never
 *   expires: docs/endpoint-health.md);
 * - an attempt stored apart by its `startedAt`, always after its delivery's `createdAt`,
 *   so attempts outlive their entry at most by the time between the two;
 * - a dead letter by `deadLetteredAt`: one that fails again is dead-lettered afresh and
 *   kept from then;
 * - an audit log entry by `at`, as long as a delivery;
 * - a portal session at its own `expiresAt` (no period: the date is the end);
 * - an endpoint statistics bucket by its `end`, so a day's or an hour's roll-up lasts as
 *   long as the last attempt it counts would (docs/statistics.md).
 */
const EXPIRING = [
  { collection: COLLECTIONS.deliveries, field: "createdAt", period: "deliveriesMs", index: "expire_created_at" },
  { collection: COLLECTIONS.attempts, field: "startedAt", period: "deliveriesMs", index: "expire_started_at" },
  { collection: COLLECTIONS.deadLetters, field: "deadLetteredAt", period: "deadLettersMs", index: "expire_dead_lettered_at" },
  { collection: COLLECTIONS.auditLog, field: "at", period: "deliveriesMs", index: "expire_at" },
  { collection: COLLECTIONS.portalSessions, field: "expiresAt", period: null, index: "expire_expires_at" },
  { collection: COLLECTIONS.endpointStats, field: "end", period: "deliveriesMs", index: "expire_end" },
] as const satisfies ReadonlyArray<{ collection: string; field: string; period: keyof RetentionPeriods | null; index: string }>;

type Expiring = (typeof EXPIRING)[number];

function periodMs(e: Expiring, periods: RetentionPeriods): number {
  return e.period === null ? 0 : periods[e.period];
}

/** Entries dated before this are past their period. */
export function retentionCutoff(nowMs: number, periodMs: number): Date {
  return new Date(nowMs - periodMs);
}

/** The TTL index of each collection (MongoDB): a single-field ascending index with `expireAfterSeconds`. */
export function ttlIndexes(periods: RetentionPeriods): Array<{ collection: string; index: IndexDescription & { name: string; expireAfterSeconds: number } }> {
  return EXPIRING.map((e) => ({
    collection: e.collection,
    index: {
      key: { [e.field]: 1 },
      name: e.index,
      expireAfterSeconds: Math.ceil(periodMs(e, periods) / 1000),
    },
  }));
}

/** The documents of one collection past their period at `nowMs` (the sweeper's query). */
export function expiredFilter(collection: Expiring["collection"], periods: RetentionPeriods, nowMs: number): Filter<Document> {
  const e = EXPIRING.find((x) => x.collection === collection)!;
  return { [e.field]: { $lt: retentionCutoff(nowMs, periodMs(e, periods)) } };
}

/**
 * Creates the TTL indexes, or changes their period when `DELIVERY_LOG_RETENTION` or
 * `DEAD_LETTER_RETENTION` changed (`collMod`, no rebuild). Only what is missing or
 * different is asked for (see `ensureIndexes` on re-creating indexes).
 */
export async function ensureTtlIndexes(db: Db, periods: RetentionPeriods): Promise<void> {
  for (const { collection, index } of ttlIndexes(periods)) {
    const existing = (await db.collection(collection).listIndexes().toArray()).find((i) => i.name === index.name);
    if (!existing) await db.collection(collection).createIndexes([index]);
    else if (existing.expireAfterSeconds !== index.expireAfterSeconds) await db.command({ collMod: collection, index: { name: index.name, expireAfterSeconds: index.expireAfterSeconds } });
  }
}

export type SweepOptions = {
  /** Documents per delete, one `deleteMany` statement by `_id` (default: the store profile's `sweepBatch`). */
  batchSize?: number;
  /** Least pause between two batches; each pause also lasts at least as long as the batch took, so the sweeper has the database at most half the time. */
  pauseMs?: number;
  clock?: Clock;
  /** Sweep what had expired by this time (epoch ms) rather than by the clock's time at each collection's turn. */
  asOf?: number;
  signal?: AbortSignal;
  /** After each batch: what it deleted and how long its query and delete took. */
  onBatch?: (collection: string, deleted: number, ms: number) => void;
};

export type SweepCounts = Record<Expiring["collection"], number>;

/**
 * One pass: deletes every document past its period, collection by collection, in paced
 * batches. A batch is found without a sort, in the server's natural order (about insertion
 * order: oldest first), so the query stops at the first `batchSize` expired documents
 * instead of sorting the collection; the delete repeats the filter. Stops between batches
 * when `signal` aborts.
 */
export async function sweepExpired(db: Db, periods: RetentionPeriods, opts: SweepOptions = {}): Promise<SweepCounts> {
  const batchSize = opts.batchSize ?? (await storeProfile(db)).sweepBatch;
  const pauseMs = opts.pauseMs ?? 200;
  const clock = opts.clock ?? systemClock;
  const now = () => clock.now();
  const counts = Object.fromEntries(EXPIRING.map((e) => [e.collection, 0])) as SweepCounts;
  for (const { collection } of EXPIRING) {
    // One cutoff per collection and pass: documents expiring during the pass wait for the next.
    const filter = expiredFilter(collection, periods, opts.asOf ?? now());
    const docs = db.collection(collection);
    while (!opts.signal?.aborted) {
      const started = now();
      const ids = (
        await docs
          .find(filter, { projection: { _id: 1 } })
          .limit(batchSize)
          .toArray()
      ).map((d) => d._id);
      if (ids.length === 0) break;
      const { deletedCount } = await docs.deleteMany({ _id: { $in: ids }, ...filter });
      counts[collection] += deletedCount;
      opts.onBatch?.(collection, deletedCount, now() - started);
      await clock.sleep(Math.max(pauseMs, now() - started), opts.signal);
      // A short batch was the last; one that deleted nothing would repeat itself forever.
      if (ids.length < batchSize || deletedCount === 0) break;
    }
  }
  return counts;
}

export type Retention = { mode: "ttl-index" | "sweeper"; stop: () => Promise<void> };

/**
 * Keeps the delivery log within its retention periods as the store profile says: by TTL
 * indexes (the server deletes in the background), or by a sweep every `intervalMs`. Run by
 * one service only (the admin API), so two sweepers never compete and two configurations
 * never rewrite each other's TTL indexes. `profile` defaults to the server's own.
 */
export async function startRetention(
  db: Db,
  periods: RetentionPeriods,
  logger: Logger,
  opts: SweepOptions & { intervalMs?: number; profile?: StoreProfile; registry?: Registry } = {},
): Promise<Retention> {
  const log = logger.child({ component: "retention" });
  const profile = opts.profile ?? (await storeProfile(db));
  if (profile.retention === "ttl-index") {
    try {
      await ensureTtlIndexes(db, periods);
      log.info({ ...periods }, "delivery log retention by TTL indexes");
      return { mode: "ttl-index", stop: async () => {} };
    } catch (err) {
      // A MongoDB-compatible server that refuses them (or a partial filter): sweep instead.
      log.warn({ err }, "TTL indexes refused; sweeping expired log entries instead");
    }
  }
  const stopping = new AbortController();
  const intervalMs = opts.intervalMs ?? 60_000;
  const clock = opts.clock ?? systemClock;
  const onBatch = sweeperMetrics(opts.registry, opts.onBatch);
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      const started = clock.now();
      try {
        const counts = await sweepExpired(db, periods, { batchSize: opts.batchSize ?? profile.sweepBatch, pauseMs: opts.pauseMs, clock, onBatch, signal: stopping.signal });
        const total = Object.values(counts).reduce((a, b) => a + b, 0);
        if (total > 0) log.info({ deleted: counts, ms: clock.now() - started }, "expired delivery log entries deleted");
      } catch (err) {
        if (!stopping.signal.aborted) log.warn({ err }, "retention sweep failed; trying again at the next one");
      }
      await clock.sleep(intervalMs, stopping.signal);
    }
  })();
  log.info({ ...periods, intervalMs }, "delivery log retention by a paced sweeper");
  return {
    mode: "sweeper",
    stop: async () => {
      stopping.abort();
      // At most one batch's query and delete left to finish.
      await loop;
    },
  };
}

/** `webhook_log_expired_total{collection}`, and the batches' time: how long a log write may have waited behind one. */
function sweeperMetrics(registry: Registry | undefined, onBatch: SweepOptions["onBatch"]): SweepOptions["onBatch"] {
  if (!registry) return onBatch;
  const expired = new Counter({ name: "webhook_log_expired_total", help: "Delivery log documents deleted by the retention sweeper", labelNames: ["collection"], registers: [registry] });
  const batches = new Histogram({
    name: "webhook_log_expiry_batch_seconds",
    help: "Duration of one retention sweeper batch (its query and its delete)",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return (collection, deleted, ms) => {
    expired.inc({ collection }, deleted);
    batches.observe(ms / 1000);
    onBatch?.(collection, deleted, ms);
  };
}
