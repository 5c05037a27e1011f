// Storage per delivery in the delivery log, measured: `pnpm bench:storage [count]` inserts
// `count` (default 10 000) typical deliveries into a scratch database, reads the server's
// own sizes (dbStats, collStats), times the retention sweeper's batches over them, and
// drops the database. Uses MONGO_URL (default the local FerretDB).
import { BSON } from "mongodb";
import {
  attemptsCollection,
  connectMongo,
  deadLettersCollection,
  deliveriesCollection,
  ensureIndexes,
  newDeliveryEntry,
  storedAttempts,
  storedPayloadOf,
  sweepExpired,
  type AttemptRecord,
  type DeliveryJob,
} from "@agiletune/shared";
import { deadLetterOf, signedRequestHeaders } from "./log-documents.js";

const count = Number(process.argv[2] ?? 10_000);
const url = new URL(process.env.MONGO_URL ?? "mongodb://127.0.0.1:27017/agiletune");
url.pathname = `/storage_${Date.now().toString(36)}`;
const mongo = await connectMongo(url.toString());
await ensureIndexes(mongo.db);

// A typical event: ~1 KB of JSON data (a task with a title, a description and a few fields).
const data = (i: number) => ({
  id: `task_${i}`,
  projectId: "prj_3f9c2a",
  title: "Implement the login page with single sign-on",
  description: "As a member I want to sign in with my company's identity provider, so that I do not keep another password. ".repeat(6).trim(),
  status: "in_progress",
  assigneeId: "usr_81b2",
  labels: ["auth", "frontend"],
  dueDate: "2026-12-15",
  updatedAt: new Date().toISOString(),
});
function jobOf(i: number): DeliveryJob {
  return {
    deliveryId: `dlv_${i.toString(36).padStart(8, "0")}_0123456789abcdef`,
    webhookId: `wh_${i % 50}`,
    organizationId: `org_${i % 50}`,
    eventId: `evt_${i}`,
    event: "task.updated",
    timestamp: new Date().toISOString(),
    data: data(i),
    attempt: 0,
    source: "event",
    enqueuedAt: Date.now(),
  };
}
function attemptOf(job: DeliveryJob, attempt: number, status: number): AttemptRecord {
  const body = JSON.stringify({ event: job.event, timestamp: job.timestamp, data: job.data });
  const at = new Date();
  const headers = signedRequestHeaders({ deliveryId: job.deliveryId, event: job.event, body }, "whsec_storage_0123456789", at);
  return {
    attempt,
    source: "event",
    startedAt: at,
    durationMs: 42,
    outcome: status < 300 ? "succeeded" : "failed",
    request: { url: "https://hooks.customer.example/agiletune", headers },
    response: { status, headers: { "content-length": "2", date: at.toUTCString(), "content-type": "text/plain" }, body: status < 300 ? "ok" : "Internal Server Error", bodyTruncated: false },
    error: null,
  };
}
// The dispatcher's shape for the common delivery: one attempt, inside the entry, that succeeded.
function deliveryOf(i: number) {
  const job = jobOf(i);
  const attempt = attemptOf(job, 0, 200);
  return newDeliveryEntry(job, attempt.startedAt, {
    status: "succeeded",
    attempts: storedAttempts([attempt]),
    firstAttemptId: `${job.deliveryId}.0`,
    lastAttempt: { startedAt: attempt.startedAt, responseStatus: 200 },
    payload: storedPayloadOf(job),
  });
}

for (let i = 0; i < count; i += 500) await deliveriesCollection(mongo.db).insertMany(Array.from({ length: Math.min(500, count - i) }, (_, j) => deliveryOf(i + j)));
// A retry's attempt stored apart, and a dead letter, per 1 000 of each.
const extra = Math.min(1_000, count);
await attemptsCollection(mongo.db).insertMany(
  Array.from({ length: extra }, (_, i) => ({
    _id: `${jobOf(i).deliveryId}.1`,
    deliveryId: jobOf(i).deliveryId,
    webhookId: jobOf(i).webhookId,
    organizationId: jobOf(i).organizationId,
    ...attemptOf(jobOf(i), 1, 500),
  })),
);
await deadLettersCollection(mongo.db).insertMany(Array.from({ length: extra }, (_, i) => deadLetterOf(jobOf(i), "HTTP 500")));

const build = await mongo.db.admin().command({ buildInfo: 1 });
const server = "ferretdbVersion" in build || "ferretdb" in build ? `FerretDB (MongoDB ${build.version} compatible)` : `MongoDB ${build.version}`;
const db = await mongo.db.command({ dbStats: 1, scale: 1 });
const stats = async (name: string, n: number) => {
  const s = await mongo.db.command({ collStats: name, scale: 1 });
  const bson = name === "deliveries" ? BSON.calculateObjectSize(deliveryOf(0)) : undefined;
  return {
    collection: name,
    documents: s.count,
    bsonBytesPerDocument: bson,
    dataBytesPerDocument: Math.round(s.size / n),
    storageBytesPerDocument: Math.round(s.storageSize / n),
    indexBytesPerDocument: Math.round(s.totalIndexSize / n),
  };
};
const collections = [await stats("deliveries", count), await stats("delivery_attempts", extra), await stats("dead_letters", extra)];

// The sweeper over the same log, with its default batches and pauses: everything expired.
const batchMs: number[] = [];
const sweepStarted = Date.now();
const swept = await sweepExpired(mongo.db, { deliveriesMs: 1, deadLettersMs: 1 }, { onBatch: (_c, _n, ms) => batchMs.push(ms), asOf: Date.now() + 1_000 });
const sweepMs = Date.now() - sweepStarted;
const sorted = [...batchMs].sort((a, b) => a - b);

// Does a sweep hold up the log's writers? A writer inserts 50 deliveries every 100 ms
// (500/s), in windows of 5 s alone and 5 s while the sweeper deletes expired ones,
// alternated three times so that other load on the machine falls on both alike.
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
let written = 2_000_000;
async function writeFor(ms: number): Promise<number[]> {
  const latencies: number[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const t = Date.now();
    await deliveriesCollection(mongo.db).insertMany(Array.from({ length: 50 }, () => deliveryOf(written++)));
    latencies.push(Date.now() - t);
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - t))));
  }
  return latencies;
}
const summary = (xs: number[]) => ({ inserts: xs.length, p50Ms: percentile(xs, 0.5), p99Ms: percentile(xs, 0.99), maxMs: Math.max(...xs) });
for (let i = 0; i < 5_000; i += 500) await deliveriesCollection(mongo.db).insertMany(Array.from({ length: 500 }, (_, j) => deliveryOf(1_000_000 + i + j)));
const expiredBy = Date.now() + 1;
const alone: number[] = [];
const beside: number[] = [];
const sweptDuring = { deliveries: 0 };
for (let round = 0; round < 3; round++) {
  alone.push(...(await writeFor(5_000)));
  const sweeping = new AbortController();
  const sweepDuring = sweepExpired(mongo.db, { deliveriesMs: 1, deadLettersMs: 1 }, { asOf: expiredBy, signal: sweeping.signal });
  beside.push(...(await writeFor(5_000)));
  sweeping.abort();
  sweptDuring.deliveries += (await sweepDuring).deliveries;
}
const deliveryBytes = collections[0]!.storageBytesPerDocument + collections[0]!.indexBytesPerDocument;
const perDay = 1_000 * 86_400;
console.log(
  JSON.stringify(
    {
      server,
      count,
      dbStats: { dataSize: db.dataSize, storageSize: db.storageSize, indexSize: db.indexSize, totalSize: db.totalSize },
      collections,
      atThousandPerSecond: { deliveriesPerDay: perDay, bytesPerDay: deliveryBytes * perDay, bytesAt30Days: deliveryBytes * perDay * 30 },
      sweep: {
        deleted: swept,
        batches: batchMs.length,
        medianBatchMs: sorted[Math.floor(sorted.length / 2)],
        p90BatchMs: sorted[Math.floor(sorted.length * 0.9)],
        maxBatchMs: sorted.at(-1),
        deletedPerSecondWithPauses: Math.round((Object.values(swept).reduce((a, b) => a + b, 0) * 1000) / sweepMs),
      },
      writerAt500PerSecond: { alone: summary(alone), besideTheSweeper: { ...summary(beside), sweeperDeleted: sweptDuring.deliveries } },
      loadAverage: (await import("node:os")).loadavg().map((l) => Math.round(l * 10) / 10),
    },
    null,
    2,
  ),
);
await mongo.db.dropDatabase();
await mongo.client.close();
