import type { Db, Document } from "mongodb";

/**
 * What the database server behind MONGO_URL needs done its own way, chosen once from its
 * `buildInfo`. Code that writes or reads the store asks this instead of naming a server.
 */
export type StoreProfile = {
  /** For logs: which kind of server this is. */
  server: "mongodb" | "ferretdb";
  /**
   * How a write that creates a document or else updates it is sent: one upsert, or an insert
   * whose duplicate-key failure falls back to the update. FerretDB v1 drops `[]` and `null`
   * values from `$setOnInsert`, so an upsert would leave a partial document, and its inserts
   * cost a thirtieth of its upserts.
   */
  upsert: "upsert" | "insert-then-update";
  /**
   * How expired log documents go: TTL indexes the server applies itself, or the paced
   * sweeper (FerretDB refuses `expireAfterSeconds`: FerretDB/FerretDB#2415).
   */
  retention: "ttl-index" | "sweeper";
  /**
   * Most keys in one `_id: {$in}` lookup that still reads through the index (FerretDB:
   * 1000, with infra/ferretdb/patches/0003; a longer list scans the collection).
   */
  lookupKeyLimit: number;
  /**
   * Most update statements in one command. FerretDB v1.24.2 without
   * infra/ferretdb/patches/0002 never answers a command of 100 or more, and deployments may
   * run it unpatched.
   */
  updatesPerCommand: number;
  /**
   * Documents per retention sweeper delete. FerretDB (SQLite) has one writer: a delete holds
   * up the dispatcher's log writes while it runs (50 took 20-70 ms, 200 took 120-400 ms with
   * the machine loaded: `pnpm bench:storage`).
   */
  sweepBatch: number;
};

export const MONGODB_PROFILE: StoreProfile = { server: "mongodb", upsert: "upsert", retention: "ttl-index", lookupKeyLimit: 10_000, updatesPerCommand: 1_000, sweepBatch: 1_000 };
export const FERRETDB_PROFILE: StoreProfile = { server: "ferretdb", upsert: "insert-then-update", retention: "sweeper", lookupKeyLimit: 1_000, updatesPerCommand: 50, sweepBatch: 100 };

/** The smallest lookup key limit of any profile: for callers that hold no database handle. */
export const LOOKUP_KEY_LIMIT = Math.min(MONGODB_PROFILE.lookupKeyLimit, FERRETDB_PROFILE.lookupKeyLimit);

/** The profile for a server's `buildInfo` answer: FerretDB says who it is there, as `ferretdbVersion` (v1) or `ferretdb` (v2). */
export function profileFromBuildInfo(info: Document): StoreProfile {
  return "ferretdbVersion" in info || "ferretdb" in info ? FERRETDB_PROFILE : MONGODB_PROFILE;
}

const profiles = new WeakMap<Db, Promise<StoreProfile>>();

/** The profile of the server behind `db`, asked once per handle. */
export function storeProfile(db: Db): Promise<StoreProfile> {
  let profile = profiles.get(db);
  if (!profile) {
    profile = db
      .admin()
      .command({ buildInfo: 1 })
      .then(profileFromBuildInfo)
      .catch((err: unknown) => {
        // Asked again next time: a failed start-up must not fix a guess for the process.
        profiles.delete(db);
        throw err;
      });
    profiles.set(db, profile);
  }
  return profile;
}
