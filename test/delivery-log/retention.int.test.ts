// Retention against the real database server: the paced sweeper on the local server, and
// the TTL indexes where the server's store profile has them (MongoDB 7 where a Docker engine
// runs). Time is a ManualClock: data is aged by advancing it, never by sleeping.
import { integrationTest as test, waitFor } from "@agiletune/testing";
import type { Db } from "mongodb";
import { expect } from "vitest";
import {
  attemptsCollection,
  deadLettersCollection,
  deliveriesCollection,
  ensureTtlIndexes,
  ManualClock,
  newDeliveryEntry,
  startRetention,
  statsCollection,
  statsIdOf,
  storeProfile,
  sweepExpired,
  type AttemptDoc,
  type DeadLetterDoc,
  type DeliveryJob,
  type StoreProfile,
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
async function logAt(db: Db, prefix: string, n: number, at: Date): Promise<void> {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}_${i}`);
  await deliveriesCollection(db).insertMany(ids.map((id) => newDeliveryEntry(job(id), at, { status: "failed", attemptIds: [`${id}.1`] })));
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

/** The server's own profile, but retention by the sweeper: what a server without TTL indexes does. */
async function sweeping(db: Db): Promise<StoreProfile> {
  return { ...(await storeProfile(db)), retention: "sweeper" };
}

/** `old` deliveries logged, then `agedMs` later `fresh` ones ("new_*"): returns the clock, now at the fresh ones' time. */
async function agedLog(db: Db, counts: { old: number; agedMs: number; fresh: number }): Promise<ManualClock> {
  const clock = new ManualClock();
  await logAt(db, "old", counts.old, new Date(clock.now()));
  await clock.advance(counts.agedMs);
  await logAt(db, "new", counts.fresh, new Date(clock.now()));
  return clock;
}

/**
 * Advances the clock a step at a time until `condition` holds: the sweeper's pauses pass without anyone waiting for
 * them. Only while the sweeper sleeps: time moved during its queries would age the fresh entries past their period on
 * a slow machine.
 */
async function advanceUntil(clock: ManualClock, stepMs: number, condition: () => boolean | Promise<boolean>): Promise<void> {
  await waitFor(
    async () => {
      if (await condition()) return true;
      if (clock.sleeping > 0) await clock.advance(stepMs);
      return false;
    },
    { timeout: 60_000, interval: 1 },
  );
}

test("the sweeper deletes deliveries, attempts and dead letters past their periods in paced batches, keeps newer ones, and stops between batches", async ({ mongo, logger }) => {
  const db = mongo.db;
  const clock = await agedLog(db, { old: 25, agedMs: 2_500, fresh: 3 });

  const batches: Array<{ collection: string; deleted: number; at: number }> = [];
  const retention = await startRetention(db, { deliveriesMs: 2_000, deadLettersMs: 60_000 }, logger, {
    profile: await sweeping(db),
    clock,
    batchSize: 10,
    pauseMs: 80,
    intervalMs: 60_000,
    onBatch: (collection, deleted) => batches.push({ collection, deleted, at: clock.now() }),
  });
  expect(retention.mode).toBe("sweeper");
  const attemptsDeleted = () => batches.filter((b) => b.collection === "delivery_attempts").reduce((sum, b) => sum + b.deleted, 0);
  await advanceUntil(clock, 20, () => attemptsDeleted() === 25);
  // The pass is over once its last pause has passed; the next is a minute away and stop does not wait for it.
  await clock.advance(80);
  await retention.stop();
  expect(clock.pending).toBe(0);

  const left = await idsLeft(db);
  expect(left.deliveries).toEqual(["new_0", "new_1", "new_2"]);
  expect(left.attempts).toEqual(["new_0.1", "new_1.1", "new_2.1"]);
  // Dead letters keep their own, longer, period.
  expect(left.deadLetters).toHaveLength(28);
  // 25 deliveries in batches of at most 10, then 25 attempts; each batch at least the pause after the previous one, in the clock's time.
  expect(batches.map((b) => [b.collection, b.deleted])).toEqual([
    ["deliveries", 10],
    ["deliveries", 10],
    ["deliveries", 5],
    ["delivery_attempts", 10],
    ["delivery_attempts", 10],
    ["delivery_attempts", 5],
  ]);
  for (let i = 1; i < batches.length; i++) if (batches[i]!.collection === batches[i - 1]!.collection) expect(batches[i]!.at - batches[i - 1]!.at).toBeGreaterThanOrEqual(80);
});

test("dead letters expire by deadLetteredAt with DEAD_LETTER_RETENTION, apart from the deliveries'", async ({ mongo, logger }) => {
  const db = mongo.db;
  const clock = await agedLog(db, { old: 3, agedMs: 1_200, fresh: 2 });
  const retention = await startRetention(db, { deliveriesMs: 60_000, deadLettersMs: 1_000 }, logger, { profile: await sweeping(db), clock, pauseMs: 10 });
  let deadLetters = 5;
  await advanceUntil(clock, 10, async () => (deadLetters = await deadLettersCollection(db).countDocuments()) === 2);
  expect(deadLetters).toBe(2);
  await retention.stop();
  const left = await idsLeft(db);
  expect(left.deadLetters).toEqual(["new_0", "new_1"]);
  expect(left.deliveries).toHaveLength(5);
  expect(left.attempts).toHaveLength(5);
});

test("retention follows the store profile: TTL indexes where it has them, created and following a changed period; otherwise the sweeper and no TTL index asked for", async ({ mongo, logger }) => {
  const db = mongo.db;
  const profile = await storeProfile(db);
  if (profile.retention === "sweeper") {
    const retention = await startRetention(db, { deliveriesMs: 60_000, deadLettersMs: 60_000 }, logger, { intervalMs: 60_000, clock: new ManualClock() });
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

test("the audit log expires with the deliveries' period by its at, and a portal session at its own expiresAt", async ({ mongo, logger }) => {
  const db = mongo.db;
  const clock = new ManualClock();
  const at = (ms: number) => new Date(clock.now() + ms);
  const entry = (id: string, ms: number) => ({
    _id: id,
    organizationId: "org_1",
    at: at(ms),
    actor: { type: "operator", id: "operator" },
    action: "webhook.deleted",
    target: { type: "webhook", id: "wh_1" },
  });
  await db.collection<{ _id: string }>("audit_log").insertMany([entry("aud_old", -3_000), entry("aud_new", 0)]);
  const session = (id: string, ms: number) => ({ _id: id, organizationId: "org_1", user: { id: "u" }, readOnly: false, createdAt: at(-60_000), expiresAt: at(ms) });
  await db.collection<{ _id: string }>("portal_sessions").insertMany([session("ps_over", -1), session("ps_live", 60_000)]);

  const retention = await startRetention(db, { deliveriesMs: 2_000, deadLettersMs: 2_000 }, logger, { profile: await sweeping(db), clock, pauseMs: 10 });
  const left = async (collection: string) =>
    (
      await db
        .collection<{ _id: string }>(collection)
        .find({}, { projection: { _id: 1 } })
        .toArray()
    )
      .map((d) => d._id)
      .sort();
  await advanceUntil(clock, 10, async () => (await left("audit_log")).length === 1 && (await left("portal_sessions")).length === 1);
  await retention.stop();
  expect(await left("audit_log")).toEqual(["aud_new"]);
  expect(await left("portal_sessions")).toEqual(["ps_live"]);
});

test("endpoint statistics expire with the deliveries' period, each bucket by its end", async ({ mongo }) => {
  const db = mongo.db;
  const MINUTE = 60_000;
  const DAY = 86_400_000;
  const now = 10 * DAY;
  const bucket = (interval: "minute" | "day", start: number) => ({
    _id: statsIdOf({ webhookId: "wh_1", interval, start }),
    webhookId: "wh_1",
    organizationId: "org_1",
    interval,
    start: new Date(start),
    end: new Date(start + (interval === "day" ? DAY : MINUTE)),
    attempts: 1,
    succeeded: 1,
  });
  // With a retention of one day: the minute that ended 2 min past it goes, the minute inside
  // stays, and so does the day that began before the cutoff but ends after it.
  await statsCollection(db).insertMany([bucket("minute", now - DAY - 3 * MINUTE), bucket("minute", now - DAY + MINUTE), bucket("day", now - DAY - 3 * MINUTE)]);
  const counts = await sweepExpired(db, { deliveriesMs: DAY, deadLettersMs: 90 * DAY }, { asOf: now, pauseMs: 0 });
  expect(counts.endpoint_stats).toBe(1);
  expect((await statsCollection(db).find().sort({ _id: 1 }).toArray()).map((d) => [d.interval, d.start.getTime()])).toEqual([
    ["day", now - DAY - 3 * MINUTE],
    ["minute", now - DAY + MINUTE],
  ]);
});
