import type { Collection, Db, Filter } from "mongodb";
import { type DeliveryJob, decodeDeliveryJob } from "../delivery-job.js";
import { afterPosition, type ListPosition } from "../mongo.js";
import { storeProfile } from "../store-profile.js";
import { deliveriesCollection, newDeliveryEntry, parkedCollection, storedPayloadOf, type DeliveryDoc, type ParkedDoc } from "./documents.js";

// Parked deliveries (docs/endpoint-health.md) live in `parked_deliveries`, one document each holding the
// job, so that parking costs one small insert and a release's first attempt is logged like
// any other (one insert): FerretDB commits every update statement on its own, at the cost of
// ~5 deliveries' inserts, and writing each parked delivery into its log entry and back out
// again took two of them (bench/README.md, the dead scenario). A parked document speaks for its delivery
// while it is newer than the delivery's log entry (see `speaksFor`); readers lay it over the
// entry, or stand it in for an entry not written yet, so the log shows `parked` either way.

/**
 * Whether a parked document still holds its delivery: no log entry yet, or an entry last
 * written before the parking and not succeeded. An entry written later (the released
 * attempt's recording, a cancel) has moved the delivery on; an older one (a failed attempt's
 * recording that landed late, after its retry was parked) has not.
 */
export function speaksFor(parked: ParkedDoc, entry: Pick<DeliveryDoc, "status" | "updatedAt"> | undefined): boolean {
  if (!entry) return true;
  return entry.status !== "succeeded" && entry.updatedAt.getTime() < parked.parkedAt.getTime();
}

/** The parked delivery's job, as it was when parked; null if it cannot be read back. */
export function jobOfParkedDoc(parked: ParkedDoc): DeliveryJob | null {
  const decoded = decodeDeliveryJob(Buffer.from(parked.job));
  return decoded.ok ? decoded.value : null;
}

/** The entry as the log shows it while parked: the entry's own attempts, or a fresh entry from the job. */
export function asParked(parked: ParkedDoc, entry: DeliveryDoc | undefined): DeliveryDoc {
  const fields = { status: "parked" as const, statusReason: parked.reason, nextAttemptAt: null };
  if (entry) return { ...entry, ...fields };
  const job = jobOfParkedDoc(parked);
  return newDeliveryEntry({ ...parked, deliveryId: parked._id }, parked.createdAt, { ...fields, updatedAt: parked.parkedAt, ...(job && { payload: storedPayloadOf(job) }) });
}

/** Documents of a collection keyed by delivery id, by id, read the profile's lookup key limit at a time. */
async function byIds<T extends { _id: string }>(db: Db, collection: Collection<T>, ids: string[], projection?: Record<string, 0 | 1>): Promise<Map<string, T>> {
  const found = new Map<string, T>();
  const perRead = (await storeProfile(db)).lookupKeyLimit;
  for (let i = 0; i < ids.length; i += perRead) {
    const docs = (await collection.find({ _id: { $in: ids.slice(i, i + perRead) } } as Filter<T>, projection ? { projection } : {}).toArray()) as T[];
    for (const d of docs) found.set(d._id, d);
  }
  return found;
}

/** The parked documents of these deliveries, by id. */
export function parkedById(db: Db, ids: string[]): Promise<Map<string, ParkedDoc>> {
  return byIds(db, parkedCollection(db), ids);
}

/** The log entries of these deliveries, by id. */
export function entriesById(db: Db, ids: string[], projection?: Record<string, 0 | 1>): Promise<Map<string, DeliveryDoc>> {
  return byIds(db, deliveriesCollection(db), ids, projection);
}

/**
 * What removes these parked documents found stale, unless parked again since they were
 * read: a parking made since has a later `parkedAt` than any read here.
 */
export function staleParkedFilter(stale: Array<Pick<ParkedDoc, "_id" | "parkedAt">>): Filter<ParkedDoc> {
  const newest = new Date(Math.max(...stale.map((r) => r.parkedAt.getTime())));
  return { _id: { $in: stale.map((r) => r._id) }, parkedAt: { $lte: newest } };
}

/** Lays each parked document that still speaks for its delivery over the entry. */
export async function withParking(db: Db, entries: DeliveryDoc[]): Promise<DeliveryDoc[]> {
  if (entries.length === 0) return entries;
  const parked = await byIds(
    db,
    parkedCollection(db),
    entries.map((e) => e._id),
  );
  if (parked.size === 0) return entries;
  return entries.map((e) => {
    const p = parked.get(e._id);
    return p && speaksFor(p, e) ? asParked(p, e) : e;
  });
}

type ListQuery = { organizationId: string; webhookId: string; event?: string | undefined; after?: ListPosition | undefined; limit: number };

/**
 * A webhook's parked deliveries newest first, as the log shows them, from `after`: the
 * parked documents in (createdAt, _id) order, each laid over its entry or standing in for
 * it. With `withoutEntry`, only deliveries not logged yet (the rest are in the entries'
 * own list), and none created before `notBefore` when it is given. Documents that no
 * longer speak for their delivery are skipped, reading on.
 */
export function listParked(db: Db, query: ListQuery & { withoutEntry?: boolean; notBefore?: Date | undefined }): Promise<DeliveryDoc[]> {
  return readUntilFull(
    query,
    (after, wanted) => {
      const filter: Filter<ParkedDoc> = { webhookId: query.webhookId, ...afterPosition("createdAt", after) };
      if (query.notBefore !== undefined) filter.createdAt = { ...(filter.createdAt as object | undefined), $gte: query.notBefore };
      if (query.event !== undefined) filter.event = query.event;
      return parkedCollection(db).find(filter).sort({ createdAt: -1, _id: -1 }).limit(wanted).toArray();
    },
    async (page) => {
      // Without entry: whether one exists is all that counts.
      const entries = await entriesById(
        db,
        page.map((p) => p._id),
        query.withoutEntry ? { _id: 1 } : { payload: 0 },
      );
      return page.flatMap((p) => {
        const entry = entries.get(p._id);
        if (query.withoutEntry && entry) return [];
        return speaksFor(p, entry) && (entry?.organizationId ?? p.organizationId) === query.organizationId ? [asParked(p, entry)] : [];
      });
    },
  );
}

/**
 * Reads pages newest first from `query.after` until `query.limit` items are kept or the
 * source runs out: `keep` may drop some of a page (a stale parking, an entry now shown
 * parked), and the next page starts after the last document read, not the last kept.
 */
export async function readUntilFull<D extends { _id: string; createdAt: Date }, K>(
  query: { after?: ListPosition | undefined; limit: number },
  readPage: (after: ListPosition | undefined, wanted: number) => Promise<D[]>,
  keep: (page: D[]) => Promise<K[]>,
): Promise<K[]> {
  const found: K[] = [];
  let after = query.after;
  for (;;) {
    const wanted = query.limit - found.length;
    const page = await readPage(after, wanted);
    found.push(...(await keep(page)));
    const last = page.at(-1);
    if (!last || page.length < wanted || found.length >= query.limit) return found;
    after = { at: last.createdAt, id: last._id };
  }
}
