// Retention against the real database server (FerretDB here: the paced sweeper; MongoDB 7
// where a Docker engine runs: the TTL indexes, and the sweeper when forced).
import { integrationTest as test, sleep, waitFor } from "@agiletune/testing";
import type { Db } from "mongodb";
import { expect } from "vitest";
import {
  type AttemptDoc,
  attemptsCollection,
  type DeadLetterDoc,
  deadLettersCollection,
  deliveriesCollection,
  type DeliveryJob,
  type DeliveryStatus,
  ensureTtlIndexes,
  newDeliveryEntry,
  serverHasTtlIndexes,
  startRetention,
} from "@agiletune/shared";

function job(id: string): DeliveryJob {
  return {
    deliveryId: id,
    webhookId: "wh_1",
    organizationId: "org_1",
    eventId: `evt_${id}`,
    event: "task.created",
    timestamp: "2026-11-29T12:00:00Z",
    data: { id },
    attempt: 0,
    source: "event",
    enqueuedAt: 0,
  };
}

/** `n` deliveries created at `at`, each with one attempt stored apart and a dead letter. */
async function logAt(db: Db, prefix: string, n: number, at: Date, status: DeliveryStatus = "failed"): Promise<void> {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}_${i}`);
  await deliveriesCollection(db).insertMany(ids.map((id) => newDeliveryEntry(job(id), at, { status, attemptIds: [`${id}.1`] })));
  const attempt = (id: string): AttemptDoc => ({
    _id: `${id}.1`,
    deliveryId: id,
    webhookId: "wh_1",
    organizationId: "org_1",
    attempt: 1,
    source: "event",
    startedAt: at,
    durationMs: 3,
    outcome: "failed",
    request: { url: "https://example.com/h", headers: {} },
    response: { status: 500, headers: {}, body: "", bodyTruncated: false },
    error: null,
  });
  await attemptsCollection(db).insertMany(ids.map(attempt));
  const deadLetter = (id: string): DeadLetterDoc => ({
    _id: id,
    organizationId: "org_1",
    webhookId: "wh_1",
    event: "task.created",
    eventId: `evt_${id}`,
    job: job(id),
    lastError: "HTTP 500",
    deadLetteredAt: at,
    replayedAt: null,
    replayCount: 0,
  });
  await deadLettersCollection(db).insertMany(ids.map(deadLetter));
}

async function idsLeft(db: Db): Promise<{ deliveries: string[]; attempts: string[]; deadLetters: string[] }> {
  const ids = async (docs: { _id: string }[]) => docs.map((d) => d._id).sort();
  return {
    deliveries: await ids(
      await deliveriesCollection(db)
        .find({}, { projection: { _id: 1 } })
        .toArray(),
    ),
    attempts: await ids(
      await attemptsCollection(db)
        .find({}, { projection: { _id: 1 } })
        .toArray(),
    ),
    deadLetters: await ids(
      await deadLettersCollection(db)
        .find({}, { projection: { _id: 1 } })
        .toArray(),
    ),
  };
}

test("the sweeper deletes deliveries, attempts and dead letters past their periods in paced batches, keeps newer ones and parked deliveries, and stops at once", async ({ mongo, logger }) => {
  const db = mongo.db;
  await logAt(db, "old", 25, new Date());
  await logAt(db, "parked", 1, new Date(), "parked");
  await sleep(2_500);
  await logAt(db, "new", 3, new Date());

  const batches: Array<{ collection: string; deleted: number; at: number }> = [];
  const retention = await startRetention(db, { deliveriesMs: 2_000, deadLettersMs: 60_000 }, logger, {
    forceSweeper: true,
    batchSize: 10,
    pauseMs: 80,
    intervalMs: 60_000,
    onBatch: (collection, deleted) => batches.push({ collection, deleted, at: Date.now() }),
  });
  expect(retention.mode).toBe("sweeper");
  await waitFor(() => batches.filter((b) => b.collection === "delivery_attempts").reduce((sum, b) => sum + b.deleted, 0) === 26, { timeout: 10_000 });
  // The pass is over: the next is a minute away, and stop does not wait for it.
  await sleep(300);
  const stopping = Date.now();
  await retention.stop();
  expect(Date.now() - stopping).toBeLessThan(500);

  const left = await idsLeft(db);
  expect(left.deliveries).toEqual(["new_0", "new_1", "new_2", "parked_0"]);
  // A parked delivery's attempts and dead letter are not the job's only copy: they expire as any.
  expect(left.attempts).toEqual(["new_0.1", "new_1.1", "new_2.1"]);
  // Dead letters keep their own, longer, period.
  expect(left.deadLetters).toHaveLength(29);
  // 25 deliveries in batches of at most 10, then 26 attempts; each batch at least the pause after the previous one.
  expect(batches.map((b) => [b.collection, b.deleted])).toEqual([
    ["deliveries", 10],
    ["deliveries", 10],
    ["deliveries", 5],
    ["delivery_attempts", 10],
    ["delivery_attempts", 10],
    ["delivery_attempts", 6],
  ]);
  for (let i = 1; i < batches.length; i++) if (batches[i]!.collection === batches[i - 1]!.collection) expect(batches[i]!.at - batches[i - 1]!.at).toBeGreaterThanOrEqual(75);
});

test("dead letters expire by deadLetteredAt with DEAD_LETTER_RETENTION, apart from the deliveries'", async ({ mongo, logger }) => {
  const db = mongo.db;
  await logAt(db, "old", 3, new Date());
  await sleep(1_200);
  await logAt(db, "new", 2, new Date());
  const retention = await startRetention(db, { deliveriesMs: 60_000, deadLettersMs: 1_000 }, logger, { forceSweeper: true, pauseMs: 10 });
  await waitFor(async () => (await deadLettersCollection(db).countDocuments()) === 2, { timeout: 10_000 });
  await retention.stop();
  const left = await idsLeft(db);
  expect(left.deadLetters).toEqual(["new_0", "new_1"]);
  expect(left.deliveries).toHaveLength(5);
  expect(left.attempts).toHaveLength(5);
});

test("where the server has TTL indexes they are created and follow a changed period; FerretDB is told apart and swept", async ({ mongo, logger }) => {
  const db = mongo.db;
  if (!(await serverHasTtlIndexes(db))) {
    const retention = await startRetention(db, { deliveriesMs: 60_000, deadLettersMs: 60_000 }, logger, { intervalMs: 60_000 });
    expect(retention.mode).toBe("sweeper");
    await retention.stop();
    // No index was asked of a server that refuses TTL indexes.
    expect((await deliveriesCollection(db).listIndexes().toArray()).map((i) => i.name)).not.toContain("expire_created_at");
    return;
  }
  const retention = await startRetention(db, { deliveriesMs: 30 * 86_400_000, deadLettersMs: 90 * 86_400_000 }, logger);
  expect(retention.mode).toBe("ttl-index");
  await retention.stop();
  const ttl = async (collection: string, name: string) => (await db.collection(collection).listIndexes().toArray()).find((i) => i.name === name)?.expireAfterSeconds;
  expect([await ttl("deliveries", "expire_created_at"), await ttl("delivery_attempts", "expire_started_at"), await ttl("dead_letters", "expire_dead_lettered_at")]).toEqual([
    2_592_000, 2_592_000, 7_776_000,
  ]);
  await ensureTtlIndexes(db, { deliveriesMs: 7 * 86_400_000, deadLettersMs: 90 * 86_400_000 });
  expect(await ttl("deliveries", "expire_created_at")).toBe(604_800);
});
