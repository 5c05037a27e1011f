import { MongoClient, type Db, type IndexDescription } from "mongodb";

/** Collection names, shared by the services that read and write them. */
export const COLLECTIONS = {
  webhooks: "webhooks",
  deliveries: "deliveries",
  attempts: "delivery_attempts",
  deadLetters: "dead_letters",
  /** Which deliveries are parked, by webhook (see delivery-log/parked.ts). */
  parked: "parked_deliveries",
  apiKeys: "api_keys",
  /** Each ordered webhook's ordering key: which delivery is under way, and up to which event they ended (see delivery-log/ordering.ts). */
  orderingChains: "ordering_chains",
  /** Deliveries of an ordered webhook waiting for an earlier one of their key. */
  held: "held_deliveries",
  /** Signed-in links into the settings page for one organization's user, by hash only (services/admin-api/src/portal-sessions.ts). */
  portalSessions: "portal_sessions",
  /** Who changed what through the admin API or the page (services/admin-api/src/audit-log.ts). */
  auditLog: "audit_log",
  /** One-time rewrites of stored documents that have run (see delivery-log/migrate-legacy.ts). */
  migrations: "store_migrations",
  /** The publish API's answers by `Idempotency-Key`, until they expire (admin-api/src/idempotency.ts). */
  idempotencyKeys: "idempotency_keys",
  /** Which claims of `idempotency_keys` have produced their events: an insert each, far cheaper for the store than an update. */
  idempotencyCompletions: "idempotency_completions",
  /** Each webhook's attempts counted by minute, hour and day (see delivery-log/stats.ts). */
  endpointStats: "endpoint_stats",
} as const;

export type Mongo = { client: MongoClient; db: Db };

/** A write refused because a document with that `_id` (or unique key) exists. */
export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 11000;
}

/** Whether a MongoDB URL sets its own write concern (`w=majority`); an option given to MongoClient would override it. */
export function namesWriteConcern(url: string): boolean {
  const query = url.split("?")[1] ?? "";
  return [...new URLSearchParams(query).keys()].some((key) => key.toLowerCase() === "w");
}

/** Connects and checks the server answers; the database is the URL's path (default `agiletune`). */
export async function connectMongo(url: string, opts: { dbName?: string; appName?: string } = {}): Promise<Mongo> {
  const client = new MongoClient(url, {
    appName: opts.appName,
    serverSelectionTimeoutMS: 10_000,
    // w:1 unless MONGO_URL names its own (w=majority on a replica set, so that an
    // acknowledged write survives a failover). FerretDB and MongoDB both accept either;
    // writes are acknowledged before we commit offsets.
    ...(namesWriteConcern(url) ? {} : { writeConcern: { w: 1 } }),
  });
  await client.connect();
  const db = client.db(opts.dbName);
  await db.command({ ping: 1 });
  return { client, db };
}

/** Every index of ours, by collection (exported for `bench/index-insert-cost.ts`). */
export const INDEXES: Record<string, IndexDescription[]> = {
  [COLLECTIONS.webhooks]: [{ key: { organizationId: 1, createdAt: -1, _id: -1 }, name: "org_created" }],
  [COLLECTIONS.deliveries]: [
    { key: { webhookId: 1, createdAt: -1, _id: -1 }, name: "webhook_created" },
    // The delivery log's `?status=` and `?event=` pages, newest first: each reads its own
    // page instead of a webhook's whole log (bench/README.md, "Big delivery log").
    { key: { webhookId: 1, status: 1, createdAt: -1, _id: -1 }, name: "webhook_status_created" },
    { key: { webhookId: 1, event: 1, createdAt: -1, _id: -1 }, name: "webhook_event_created" },
  ],
  [COLLECTIONS.deadLetters]: [
    { key: { deadLetteredAt: -1, _id: -1 }, name: "dead_lettered_at" },
    // The DLQ filtered by webhook alone (the operator's `?webhookId=` without the
    // organisation), and by event: each reads its page instead of every dead letter.
    { key: { webhookId: 1, deadLetteredAt: -1, _id: -1 }, name: "webhook_time" },
    // And by organisation: the retired `org_webhook_time` had the webhook in between, so a
    // page by organisation alone read all of its dead letters to sort them.
    { key: { organizationId: 1, deadLetteredAt: -1, _id: -1 }, name: "org_time" },
    { key: { event: 1, deadLetteredAt: -1, _id: -1 }, name: "event_time" },
  ],
  [COLLECTIONS.parked]: [{ key: { webhookId: 1, createdAt: 1, _id: 1 }, name: "webhook_created" }],
  // The next held delivery of a key (its lowest event sequence), and a webhook's held ones.
  [COLLECTIONS.held]: [
    { key: { chainId: 1, sequence: 1 }, name: "chain_sequence" },
    { key: { webhookId: 1, chainId: 1 }, name: "webhook_chain" },
  ],
  // A webhook's statistics of one interval over a time range (`GET .../stats`).
  [COLLECTIONS.endpointStats]: [{ key: { webhookId: 1, interval: 1, start: 1 }, name: "webhook_interval_start" }],
  [COLLECTIONS.apiKeys]: [{ key: { tokenHash: 1 }, name: "token_hash", unique: true }],
  // The sweep of expired keys; uniqueness is the `_id`'s.
  [COLLECTIONS.idempotencyKeys]: [{ key: { expiresAt: 1 }, name: "expires_at" }],
  [COLLECTIONS.idempotencyCompletions]: [{ key: { expiresAt: 1 }, name: "expires_at" }],
  // Plain, not unique: a session has no token hash until its link is exchanged, and none of its link after.
  [COLLECTIONS.portalSessions]: [
    { key: { linkHash: 1 }, name: "link_hash" },
    { key: { tokenHash: 1 }, name: "token_hash" },
  ],
  [COLLECTIONS.auditLog]: [
    { key: { organizationId: 1, at: -1, _id: -1 }, name: "org_at" },
    { key: { at: -1, _id: -1 }, name: "at" },
  ],
};

/**
 * Indexes of ours no query needs any more, dropped where they exist: each costs every insert.
 * `org_webhook` and `org_webhook_time` narrowed by organisation and webhook, which a
 * webhook id alone does as well (ids are unique): `webhook_created` and `webhook_time` serve
 * every query that named both.
 */
const RETIRED_INDEXES: Record<string, string[]> = {
  [COLLECTIONS.deliveries]: ["org_webhook"],
  [COLLECTIONS.deadLetters]: ["org_webhook_time"],
};

/**
 * Indexes every query of ours needs; creates only the missing ones, by name, and drops the retired ones. Only plain
 * and unique indexes: they behave the same on MongoDB and FerretDB. Asking FerretDB v1.24
 * to create an index that already exists kills the connection (a server panic), which is
 * why existing ones are listed first rather than relying on createIndexes being idempotent.
 */
export async function ensureIndexes(db: Db): Promise<void> {
  for (const [name, wanted] of Object.entries(INDEXES)) {
    const collection = db.collection(name);
    const existing = new Set(
      await collection
        .listIndexes()
        .toArray()
        .then((indexes) => indexes.map((i) => String(i.name)))
        .catch(() => [] as string[]),
    );
    for (const retired of (RETIRED_INDEXES[name] ?? []).filter((n) => existing.has(n))) {
      // Another service may have dropped it meanwhile.
      await collection.dropIndex(retired).catch(() => undefined);
    }
    for (const index of wanted.filter((i) => !existing.has(i.name!))) {
      try {
        await collection.createIndexes([index]);
      } catch (err) {
        // Another service created it meanwhile: fine, as long as it now exists.
        const now = await collection.listIndexes().toArray();
        if (!now.some((i) => i.name === index.name)) throw err;
      }
    }
  }
}

/** A position in a list sorted by (field desc, _id desc): the last item seen. */
export type ListPosition = { at: Date; id: string };

/**
 * The filter for "after this position" in a (field, _id) order, newest first unless
 * `order` says oldest first. Plain `$or`/`$lt`/`$gt` comparisons: they behave the same on
 * MongoDB and FerretDB. The `$or` implies the range on `field` beside it, which matches
 * nothing more or less; it is spelled out because FerretDB reads through an index only by
 * top-level conditions (infra/ferretdb/patches/0005): without it, the tenth page of a list
 * reads the nine pages before it.
 */
export function afterPosition(field: string, position: ListPosition | undefined, order: "desc" | "asc" = "desc"): Record<string, unknown> {
  if (!position) return {};
  const beyond = order === "desc" ? "$lt" : "$gt";
  const upTo = order === "desc" ? "$lte" : "$gte";
  return { [field]: { [upTo]: position.at }, $or: [{ [field]: { [beyond]: position.at } }, { [field]: position.at, _id: { [beyond]: position.id } }] };
}
