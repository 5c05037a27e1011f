// The one-time rewrite of the delivery log's earlier layouts (delivery-log/migrate-legacy.ts)
// against the real database server: documents written the earlier ways read, after it, as
// the earlier readers showed them.
import { integrationTest as test } from "@agiletune/testing";
import {
  attemptCountOf,
  attemptsInside,
  COLLECTIONS,
  countByStatus,
  deliveriesCollection,
  findDelivery,
  listDeliveries,
  loadAttempts,
  migrateLegacyLayout,
  oldestParked,
  parkedCollection,
  payloadFrom,
  storedAttempts,
  storedPayloadOf,
  type AttemptRecord,
} from "@agiletune/shared";
import type { Db } from "mongodb";
import { expect } from "vitest";

const T0 = Date.parse("2026-11-20T12:00:00Z");
const at = (s: number) => new Date(T0 + s * 1_000);
const payload = (n: number) => ({ event: "task.created", timestamp: "2026-11-20T12:00:00Z", data: { n } });
function attempt(n: number, startedAt: Date, status: number): AttemptRecord {
  return {
    attempt: n,
    source: "event",
    startedAt,
    durationMs: 7,
    outcome: status < 300 ? "succeeded" : "failed",
    request: { url: "https://example.com/h", headers: { "content-type": "application/json" } },
    response: { status, headers: {}, body: "", bodyTruncated: false },
    error: null,
  };
}
const base = (id: string, createdAt: Date) => ({
  _id: id,
  webhookId: "wh_1",
  organizationId: "org_1",
  eventId: `evt_${id}`,
  event: "task.created",
  createdAt,
  nextAttemptAt: null,
  statusReason: null,
});

/** One entry of each earlier layout, and one of the current layout that must be left as it is. */
async function insertEarlierLayouts(db: Db): Promise<void> {
  const collection = (name: string) => db.collection<{ _id: string } & Record<string, unknown>>(name);
  await collection(COLLECTIONS.deliveries).insertMany([
    // Attempt and payload as documents (before JSON text), attempts stored apart named.
    {
      ...base("nested", at(1)),
      status: "succeeded",
      attempts: [attempt(0, at(1), 500)],
      firstAttemptId: "nested.0",
      attemptIds: ["nested.1"],
      lastAttempt: { startedAt: at(2), responseStatus: 200 },
      payload: payload(1),
      updatedAt: at(2),
    },
    // Before attempts were stored apart: every attempt inside, no attemptIds.
    {
      ...base("inside", at(3)),
      status: "failed",
      attempts: [attempt(0, at(3), 500), attempt(1, at(4), 503)],
      lastAttempt: { startedAt: at(4), responseStatus: 503 },
      payload: payload(2),
      statusReason: "retries exhausted",
      updatedAt: at(4),
    },
    // No attempt yet: an empty list.
    { ...base("empty", at(5)), status: "cancelled", attempts: [], attemptIds: [], lastAttempt: null, payload: payload(3), statusReason: "the webhook was deleted", updatedAt: at(5) },
    // Parked in the entry, between retries, with its index document.
    {
      ...base("parked", at(6)),
      status: "parked",
      attempts: [attempt(0, at(6), 503)],
      attemptIds: [],
      lastAttempt: { startedAt: at(6), responseStatus: 503 },
      payload: payload(4),
      parkedJob: { attempt: 1, source: "event", enqueuedAt: T0 + 7_000 },
      statusReason: "the endpoint's circuit is open",
      updatedAt: at(7),
    },
    // Parked in the entry without a payload: cannot be sent again.
    {
      ...base("unsendable", at(8)),
      status: "parked",
      attempts: [],
      attemptIds: [],
      lastAttempt: null,
      parkedJob: { attempt: 0, source: "event", enqueuedAt: T0 + 8_000 },
      statusReason: "circuit open",
      updatedAt: at(8),
    },
    // Released and logged since: its index document is stale.
    {
      ...base("released", at(9)),
      status: "succeeded",
      attempts: storedAttempts([attempt(0, at(10), 200)]),
      firstAttemptId: "released.0",
      attemptIds: [],
      lastAttempt: { startedAt: at(10), responseStatus: 200 },
      payload: storedPayloadOf(payload(5)),
      updatedAt: at(10),
    },
  ]);
  await collection(COLLECTIONS.attempts).insertOne({ _id: "nested.1", deliveryId: "nested", webhookId: "wh_1", organizationId: "org_1", ...attempt(1, at(2), 200) });
  await collection(COLLECTIONS.parked).insertMany([
    { _id: "parked", webhookId: "wh_1", createdAt: at(6) },
    { _id: "released", webhookId: "wh_1", createdAt: at(9) },
  ]);
}

test("rewrites the earlier layouts once, twice run or side by side, and the log reads as before", async ({ mongo }) => {
  const db = mongo.db;
  await insertEarlierLayouts(db);
  const current = await deliveriesCollection(db).findOne({ _id: "released" });

  // Two services starting at once, then a later start-up.
  const [first, second] = await Promise.all([migrateLegacyLayout(db), migrateLegacyLayout(db)]);
  expect(first.parkingsMoved + second.parkingsMoved).toBeGreaterThanOrEqual(1);
  expect(await migrateLegacyLayout(db)).toEqual({ entriesRewritten: 0, parkingsMoved: 0, parkingsUnsendable: 0, staleParkedRemoved: 0 });

  // Every entry in the current layout: text where documents were, attemptIds everywhere, no entry parked.
  const raw = await deliveriesCollection(db).find({}).sort({ _id: 1 }).toArray();
  for (const entry of raw) {
    expect(entry.attempts === undefined || typeof entry.attempts === "string").toBe(true);
    expect(entry.payload === undefined || typeof entry.payload === "string").toBe(true);
    expect(Array.isArray(entry.attemptIds)).toBe(true);
    expect(entry.status).not.toBe("parked");
    expect(entry).not.toHaveProperty("parkedJob");
  }
  expect(await deliveriesCollection(db).findOne({ _id: "released" })).toEqual(current);
  expect(await parkedCollection(db).find({}).toArray()).toMatchObject([
    { _id: "parked", webhookId: "wh_1", createdAt: at(6), organizationId: "org_1", event: "task.created", reason: "the endpoint's circuit is open" },
  ]);

  // What the API shows, as the earlier readers showed it.
  const key = (deliveryId: string) => ({ organizationId: "org_1", webhookId: "wh_1", deliveryId });
  const nested = (await findDelivery(db, key("nested")))!;
  expect(nested).toMatchObject({ status: "succeeded", updatedAt: at(2) });
  expect(attemptCountOf(nested)).toBe(2);
  expect((await loadAttempts(db, nested)).map((a) => [a.attempt, a.response?.status, a.startedAt])).toEqual([
    [0, 500, at(1)],
    [1, 200, at(2)],
  ]);
  expect(payloadFrom(nested)).toEqual(payload(1));

  const inside = (await findDelivery(db, key("inside")))!;
  expect(inside).toMatchObject({ status: "failed", statusReason: "retries exhausted" });
  expect(attemptCountOf(inside)).toBe(2);
  expect(attemptsInside(inside)).toEqual([attempt(0, at(3), 500), attempt(1, at(4), 503)]);

  const empty = (await findDelivery(db, key("empty")))!;
  expect(attemptCountOf(empty)).toBe(0);
  expect(payloadFrom(empty)).toEqual(payload(3));

  const parked = (await findDelivery(db, key("parked")))!;
  expect(parked).toMatchObject({ status: "parked", statusReason: "the endpoint's circuit is open", nextAttemptAt: null, updatedAt: at(7) });
  expect(attemptCountOf(parked)).toBe(1);
  // Released where it left its ladder.
  expect(await oldestParked(db, { webhookId: "wh_1", limit: 10 })).toEqual([
    { deliveryId: "parked", webhookId: "wh_1", organizationId: "org_1", eventId: "evt_parked", ...payload(4), attempt: 1, source: "event", enqueuedAt: T0 + 7_000 },
  ]);

  expect(await findDelivery(db, key("unsendable"))).toMatchObject({ status: "failed", statusReason: expect.stringContaining("cannot be sent again") });

  expect((await listDeliveries(db, { organizationId: "org_1", webhookId: "wh_1", limit: 10 })).map((d) => [d._id, d.status])).toEqual([
    ["released", "succeeded"],
    ["unsendable", "failed"],
    ["parked", "parked"],
    ["empty", "cancelled"],
    ["inside", "failed"],
    ["nested", "succeeded"],
  ]);
  expect((await listDeliveries(db, { organizationId: "org_1", webhookId: "wh_1", status: "parked", limit: 10 })).map((d) => d._id)).toEqual(["parked"]);
  expect(await countByStatus(db, "wh_1")).toEqual({ succeeded: 2, failed: 2, cancelled: 1, parked: 1 });
});
