import { MongoClient, type Db } from "mongodb";

/** Collection names, shared by the services that read and write them. */
export const COLLECTIONS = {
  webhooks: "webhooks",
  deliveries: "deliveries",
  deadLetters: "dead_letters",
  apiKeys: "api_keys",
} as const;

export type Mongo = { client: MongoClient; db: Db };

/** Connects and checks the server answers; the database is the URL's path (default `agiletune`). */
export async function connectMongo(url: string, opts: { dbName?: string; appName?: string } = {}): Promise<Mongo> {
  const client = new MongoClient(url, {
    appName: opts.appName,
    serverSelectionTimeoutMS: 10_000,
    // FerretDB and MongoDB both accept these; writes are acknowledged before we commit offsets.
    writeConcern: { w: 1 },
  });
  await client.connect();
  const db = client.db(opts.dbName);
  await db.command({ ping: 1 });
  return { client, db };
}

/**
 * Indexes every query of ours needs. Idempotent. Only plain and unique indexes: they
 * behave the same on MongoDB and FerretDB (see README, "MongoDB features we use").
 */
export async function ensureIndexes(db: Db): Promise<void> {
  await db.collection(COLLECTIONS.webhooks).createIndexes([{ key: { organizationId: 1, createdAt: -1, _id: -1 }, name: "org_created" }]);
  await db.collection(COLLECTIONS.deliveries).createIndexes([
    { key: { webhookId: 1, createdAt: -1, _id: -1 }, name: "webhook_created" },
    { key: { organizationId: 1, webhookId: 1 }, name: "org_webhook" },
  ]);
  await db.collection(COLLECTIONS.deadLetters).createIndexes([
    { key: { deadLetteredAt: -1, _id: -1 }, name: "dead_lettered_at" },
    { key: { organizationId: 1, webhookId: 1, deadLetteredAt: -1 }, name: "org_webhook_time" },
  ]);
  await db.collection(COLLECTIONS.apiKeys).createIndexes([{ key: { tokenHash: 1 }, name: "token_hash", unique: true }]);
}
