import { describe, expect, it } from "vitest";
import { REPLAY_BATCH_SIZE } from "./delivery-log/reader.js";
import { FERRETDB_PROFILE, LOOKUP_KEY_LIMIT, MONGODB_PROFILE, profileFromBuildInfo } from "./store-profile.js";

// `buildInfo` answers as the servers give them (trimmed): FerretDB v1.24 built locally
// (127.0.0.1:27017), FerretDB v2, and MongoDB 7.
const FERRETDB_V1 = {
  version: "7.0.42",
  gitVersion: "unknown",
  modules: [],
  sysInfo: "deprecated",
  versionArray: [7, 0, 42, 0],
  bits: 64,
  debug: false,
  maxBsonObjectSize: 16777216,
  buildEnvironment: {},
  ferretdbVersion: "unknown",
  ferretdbFeatures: { aggregationStages: ["$count", "$limit", "$match"] },
  ok: 1,
};
const FERRETDB_V2 = { version: "7.0.77", gitVersion: "unknown", versionArray: [7, 0, 77, 0], ferretdb: { version: "v2.1.0", package: "deb" }, ok: 1 };
const MONGODB_7 = {
  version: "7.0.14",
  gitVersion: "ce59cfc6a3c5e5c067dca0d30697edd68d4f5188",
  modules: [],
  allocator: "tcmalloc",
  javascriptEngine: "mozjs",
  sysInfo: "deprecated",
  versionArray: [7, 0, 14, 0],
  openssl: { running: "OpenSSL 3.0.2 15 Mar 2022", compiled: "OpenSSL 3.0.2 15 Mar 2022" },
  buildEnvironment: { distmod: "ubuntu2204", distarch: "x86_64" },
  bits: 64,
  debug: false,
  maxBsonObjectSize: 16777216,
  storageEngines: ["devnull", "wiredTiger"],
  ok: 1,
};

describe("profileFromBuildInfo", () => {
  it("tells FerretDB v1 and v2 apart from MongoDB by what they add to buildInfo", () => {
    expect(profileFromBuildInfo(FERRETDB_V1)).toBe(FERRETDB_PROFILE);
    expect(profileFromBuildInfo(FERRETDB_V2)).toBe(FERRETDB_PROFILE);
    expect(profileFromBuildInfo(MONGODB_7)).toBe(MONGODB_PROFILE);
  });

  it("FerretDB: inserts first, sweeps, looks up 1000 keys at a time and sends fewer than 100 updates a command", () => {
    expect(profileFromBuildInfo(FERRETDB_V1)).toMatchObject({ upsert: "insert-then-update", retention: "sweeper", lookupKeyLimit: 1000, sweepBatch: 100 });
    expect(FERRETDB_PROFILE.updatesPerCommand).toBeLessThan(100);
  });

  it("MongoDB: upserts and TTL indexes", () => {
    expect(profileFromBuildInfo(MONGODB_7)).toMatchObject({ upsert: "upsert", retention: "ttl-index" });
  });

  it("limits that hold for every profile: callers without a handle, and replay batches", () => {
    for (const profile of [FERRETDB_PROFILE, MONGODB_PROFILE]) {
      expect(LOOKUP_KEY_LIMIT).toBeLessThanOrEqual(profile.lookupKeyLimit);
      expect(REPLAY_BATCH_SIZE).toBeLessThanOrEqual(profile.updatesPerCommand);
    }
  });
});
