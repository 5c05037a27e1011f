import { MongoBulkWriteError, type AnyBulkWriteOperation, type Collection, type Db } from "mongodb";
import { emptyTally, INTERVAL_MS, LATENCY_BUCKET_NAMES, OUTCOME_CLASSES, type OutcomeClass, type StatsInterval, type Tally } from "../endpoint-stats.js";
import { COLLECTIONS, isDuplicateKey } from "../mongo.js";
import { storeProfile } from "../store-profile.js";

/**
 * One bucket of one webhook's endpoint statistics (docs/statistics.md), in
 * `endpoint_stats`: counts only, each added with `$inc`, so tallies from any number of
 * dispatchers add up. `end` is what retention expires it by.
 */
export type StatsDoc = {
  _id: string;
  webhookId: string;
  organizationId: string;
  interval: StatsInterval;
  start: Date;
  end: Date;
  attempts: number;
  succeeded: number;
  byOutcome?: Partial<Record<OutcomeClass, number>>;
  /** Counts by LATENCY_BUCKET_NAMES; absent names are zero. */
  latency?: Partial<Record<string, number>>;
  maxMs?: number;
};

/** Which bucket a tally belongs to. */
export type StatsKey = { webhookId: string; organizationId: string; interval: StatsInterval; start: number };
export type StatsEntry = { key: StatsKey; tally: Tally };

export function statsCollection(db: Db): Collection<StatsDoc> {
  return db.collection<StatsDoc>(COLLECTIONS.endpointStats);
}

/** The bucket's `_id`: one document per webhook, interval and start, whoever writes it. */
export function statsIdOf(key: Pick<StatsKey, "webhookId" | "interval" | "start">): string {
  return `${key.webhookId}|${key.interval}|${new Date(key.start).toISOString()}`;
}

function statsUpsert(key: StatsKey, tally: Tally): AnyBulkWriteOperation<StatsDoc> {
  const inc: Record<string, number> = { attempts: tally.attempts, succeeded: tally.succeeded };
  for (const outcome of OUTCOME_CLASSES) if (tally.byOutcome[outcome] > 0) inc[`byOutcome.${outcome}`] = tally.byOutcome[outcome];
  tally.latency.forEach((n, i) => {
    if (n > 0) inc[`latency.${LATENCY_BUCKET_NAMES[i]}`] = n;
  });
  return {
    updateOne: {
      filter: { _id: statsIdOf(key) },
      update: {
        $inc: inc,
        $max: { maxMs: tally.maxMs },
        // No null or [] here: FerretDB v1 drops them from $setOnInsert (store-profile.ts).
        $setOnInsert: { webhookId: key.webhookId, organizationId: key.organizationId, interval: key.interval, start: new Date(key.start), end: new Date(key.start + INTERVAL_MS[key.interval]) },
      },
      upsert: true,
    },
  };
}

/**
 * Adds tallies to their buckets, in commands of at most the store profile's
 * `updatesPerCommand`, each ordered: both MongoDB and FerretDB then stop at the first
 * failing statement, so what was applied is exactly what came before it. Answers the
 * entries not applied, to be added again later (`left`), the one the database refused for
 * good (`refused`: a bucket document it can never add to), and why.
 */
export async function addToStats(db: Db, entries: ReadonlyArray<StatsEntry>): Promise<{ left: StatsEntry[]; refused?: StatsEntry; error?: unknown }> {
  try {
    const perCommand = (await storeProfile(db)).updatesPerCommand;
    for (let from = 0; from < entries.length; from += perCommand) {
      const chunk = entries.slice(from, from + perCommand);
      try {
        await statsCollection(db).bulkWrite(
          chunk.map((e) => statsUpsert(e.key, e.tally)),
          { ordered: true },
        );
      } catch (error) {
        // A command lost on the way (no answer) counts as not applied: its tallies come back in
        // the next flush.
        if (!(error instanceof MongoBulkWriteError)) return { left: entries.slice(from), error };
        const first = [error.writeErrors].flat().sort((a, b) => a.index - b.index)[0];
        const at = from + (first?.index ?? 0);
        // Two dispatchers creating one bucket at once: one loses with a duplicate key, and
        // is an update next time. Any other refusal would repeat: that tally is dropped.
        if (!first || isDuplicateKey(first)) return { left: entries.slice(at), error };
        return { left: entries.slice(at + 1), refused: entries[at], error };
      }
    }
    return { left: [] };
  } catch (error) {
    return { left: [...entries], error };
  }
}

/** A webhook's buckets of `interval` starting in [from, to), oldest first (index `webhook_interval_start`). */
export async function readStats(db: Db, query: { webhookId: string; organizationId: string; interval: StatsInterval; from: Date; to: Date }): Promise<StatsDoc[]> {
  return statsCollection(db)
    .find({ webhookId: query.webhookId, interval: query.interval, start: { $gte: query.from, $lt: query.to }, organizationId: query.organizationId })
    .sort({ start: 1 })
    .toArray();
}

/** A stored bucket's counts as a tally (absent counters are zero). */
export function tallyOf(doc: StatsDoc): Tally {
  const tally = emptyTally();
  tally.attempts = doc.attempts;
  tally.succeeded = doc.succeeded;
  for (const outcome of OUTCOME_CLASSES) tally.byOutcome[outcome] = doc.byOutcome?.[outcome] ?? 0;
  tally.latency = LATENCY_BUCKET_NAMES.map((name) => doc.latency?.[name] ?? 0);
  tally.maxMs = doc.maxMs ?? 0;
  return tally;
}
