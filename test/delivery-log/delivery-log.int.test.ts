// The delivery log's writes and reads against the real database server (the local one here,
// MongoDB 7 where a Docker engine runs): the shapes each side relies on.
import { integrationTest as test } from "@agiletune/testing";
import { expect } from "vitest";
import {
  type AttemptRecord,
  attemptsCollection,
  attemptsInside,
  countByStatus,
  countReplayable,
  deadLettersCollection,
  deliveriesCollection,
  type DeliveryJob,
  DeliveryLogWriter,
  findDelivery,
  forgetPendingDelivery,
  listDeadLetters,
  listDeliveries,
  loadAttempts,
  markRecovered,
  markReplayed,
  newDeliveryEntry,
  nextRecoverable,
  nextReplayable,
  oldestParked,
  parkedCollection,
  payloadFrom,
  recordPendingDelivery,
} from "@agiletune/shared";

const T0 = Date.parse("2026-03-20T12:00:00Z");
function jobOf(n: number, fields: Partial<DeliveryJob> = {}): DeliveryJob {
  return {
    deliveryId: `dlv_${n}`,
    webhookId: "wh_1",
    organizationId: "org_1",
    eventId: `evt_${n}`,
    event: n % 2 ? "task.created" : "task.updated",
    timestamp: "2026-03-20T12:00:00Z",
    data: { n },
    attempt: 0,
    source: "event",
    enqueuedAt: T0,
    ...fields,
  };
}
function attemptAt(ms: number, attempt: number, status: number): AttemptRecord {
  return {
    attempt,
    source: "event",
    startedAt: new Date(ms),
    durationMs: 5,
    outcome: status < 300 ? "succeeded" : "failed",
    request: { url: "https://example.com/h", headers: { a: "b" } },
    response: { status, headers: {}, body: "", bodyTruncated: false },
    error: null,
  };
}

test("a first attempt creates the entry with the attempt inside; later and repeated recordings are stored apart, each counted once", async ({ mongo }) => {
  let clock = T0;
  const log = new DeliveryLogWriter(mongo.db, { now: () => clock });
  const job = jobOf(1);
  await log.recordAttempt(job, { id: "a0", record: attemptAt(T0, 0, 500) }, { status: "retrying", nextAttemptAt: new Date(T0 + 1_000), statusReason: null });
  const first = await deliveriesCollection(mongo.db).findOne({ _id: job.deliveryId });
  expect(first).toMatchObject({ status: "retrying", firstAttemptId: "a0", attemptIds: [], lastAttempt: { responseStatus: 500 } });
  // The payload and the attempt inside are stored as JSON text, and read back as they were.
  expect(typeof first!.payload).toBe("string");
  expect(payloadFrom(first!)).toMatchObject({ event: "task.created", data: { n: 1 } });
  expect(typeof first!.attempts).toBe("string");
  expect(attemptsInside(first!)).toEqual([attemptAt(T0, 0, 500)]);
  expect(await attemptsCollection(mongo.db).countDocuments()).toBe(0);

  // A repeat of the same recording (a write retried after an error) and then retry 1.
  await log.recordAttempt(job, { id: "a0", record: attemptAt(T0, 0, 500) }, { status: "retrying", nextAttemptAt: new Date(T0 + 1_000), statusReason: null });
  clock = T0 + 1_000;
  await log.recordAttempt({ ...job, attempt: 1 }, { id: "a1", record: attemptAt(T0 + 1_000, 1, 200) }, { status: "succeeded", nextAttemptAt: null, statusReason: null });
  const entry = await findDelivery(mongo.db, { organizationId: "org_1", webhookId: "wh_1", deliveryId: job.deliveryId });
  expect(entry).toMatchObject({ status: "succeeded", nextAttemptAt: null, lastAttempt: { responseStatus: 200 } });
  expect((await loadAttempts(mongo.db, entry!)).map((a) => [a.attempt, a.response?.status])).toEqual([
    [0, 500],
    [1, 200],
  ]);
  // Another organization never sees it.
  expect(await findDelivery(mongo.db, { organizationId: "org_2", webhookId: "wh_1", deliveryId: job.deliveryId })).toBeNull();
  await log.drain();
});

test("entries without an attempt are stored whole; cancel spares a success and a waiting note keeps the status", async ({ mongo }) => {
  const log = new DeliveryLogWriter(mongo.db, { now: () => T0 });
  // A fresh cancelled entry keeps its empty list and nulls, whichever way the store profile writes it.
  await log.cancel(jobOf(1), "the webhook was deleted");
  const cancelled = await deliveriesCollection(mongo.db).findOne({ _id: "dlv_1" });
  expect(cancelled).toMatchObject({ status: "cancelled", statusReason: "the webhook was deleted", attemptIds: [], nextAttemptAt: null, lastAttempt: null });
  expect(cancelled!.attempts).toBeUndefined();

  await log.recordAttempt(jobOf(2), { id: "b0", record: attemptAt(T0, 0, 200) }, { status: "succeeded", nextAttemptAt: null, statusReason: null });
  await log.cancel(jobOf(2), "the webhook was deactivated");
  expect((await deliveriesCollection(mongo.db).findOne({ _id: "dlv_2" }))!.status).toBe("succeeded");

  await log.recordAttempt(jobOf(3), { id: "c0", record: attemptAt(T0, 0, 500) }, { status: "retrying", nextAttemptAt: new Date(T0 + 1_000), statusReason: null });
  await log.noteWaiting({ ...jobOf(3), attempt: 1 }, new Date(T0 + 60_000), "endpoint busy");
  expect(await deliveriesCollection(mongo.db).findOne({ _id: "dlv_3" })).toMatchObject({ status: "retrying", statusReason: "endpoint busy", nextAttemptAt: new Date(T0 + 60_000) });
});

test("lists a webhook's deliveries newest first without payloads, filtered and paged by position", async ({ mongo }) => {
  let clock = T0;
  const log = new DeliveryLogWriter(mongo.db, { now: () => clock });
  for (let n = 1; n <= 5; n++) {
    clock = T0 + n * 1_000;
    await log.recordAttempt(
      jobOf(n, { enqueuedAt: clock }),
      { id: `x${n}`, record: attemptAt(clock, 0, n === 3 ? 500 : 200) },
      { status: n === 3 ? "failed" : "succeeded", nextAttemptAt: null, statusReason: null },
    );
  }
  const all = await listDeliveries(mongo.db, { organizationId: "org_1", webhookId: "wh_1", limit: 10 });
  expect(all.map((d) => d._id)).toEqual(["dlv_5", "dlv_4", "dlv_3", "dlv_2", "dlv_1"]);
  expect(all.every((d) => !("payload" in d))).toBe(true);
  expect((await listDeliveries(mongo.db, { organizationId: "org_1", webhookId: "wh_1", status: "failed", limit: 10 })).map((d) => d._id)).toEqual(["dlv_3"]);
  expect((await listDeliveries(mongo.db, { organizationId: "org_1", webhookId: "wh_1", event: "task.updated", limit: 10 })).map((d) => d._id)).toEqual(["dlv_4", "dlv_2"]);
  const second = await listDeliveries(mongo.db, { organizationId: "org_1", webhookId: "wh_1", after: { at: all[1]!.createdAt, id: all[1]!._id }, limit: 2 });
  expect(second.map((d) => d._id)).toEqual(["dlv_3", "dlv_2"]);
  expect(await listDeliveries(mongo.db, { organizationId: "org_2", webhookId: "wh_1", limit: 10 })).toEqual([]);
});

test("dead letters: re-dead-lettering keeps the replay count and makes it replayable again; replay marks apply once", async ({ mongo }) => {
  let clock = T0;
  const log = new DeliveryLogWriter(mongo.db, { now: () => clock });
  await log.recordDeadLetter(jobOf(1), "retries exhausted");
  clock = T0 + 1_000;
  await log.recordDeadLetter(jobOf(2, { webhookId: "wh_2" }), "retries exhausted");
  await log.drain();
  expect(await countReplayable(mongo.db, {})).toBe(2);
  expect((await listDeadLetters(mongo.db, { webhookId: "wh_2" }, { limit: 10 })).map((d) => d._id)).toEqual(["dlv_2"]);
  const listed = await listDeadLetters(mongo.db, {}, { limit: 10 });
  expect(listed.map((d) => d._id)).toEqual(["dlv_2", "dlv_1"]);
  expect(listed[0]!.job.data).toBeUndefined();

  const batch = await nextReplayable(mongo.db, {}, undefined, 10);
  expect(batch.map((d) => d._id)).toEqual(["dlv_1", "dlv_2"]);
  await markReplayed(mongo.db, batch, new Date(T0 + 2_000));
  await markReplayed(mongo.db, batch, new Date(T0 + 3_000));
  expect(await countReplayable(mongo.db, {})).toBe(0);
  expect(await deadLettersCollection(mongo.db).findOne({ _id: "dlv_1" })).toMatchObject({ replayCount: 1, replayedAt: new Date(T0 + 2_000) });

  clock = T0 + 4_000;
  await log.recordDeadLetter(jobOf(1), "retries exhausted again");
  expect(await deadLettersCollection(mongo.db).findOne({ _id: "dlv_1" })).toMatchObject({ replayCount: 1, replayedAt: null, lastError: "retries exhausted again" });
  expect(await countReplayable(mongo.db, { from: new Date(T0 + 4_000) })).toBe(1);
});

test("a pending ping entry is kept until attempted, and can be forgotten only while untouched", async ({ mongo }) => {
  const ping = jobOf(9, { source: "ping", event: "ping" });
  await recordPendingDelivery(mongo.db, ping, new Date(T0));
  await recordPendingDelivery(mongo.db, ping, new Date(T0 + 1));
  expect(await deliveriesCollection(mongo.db).findOne({ _id: "dlv_9" })).toMatchObject({ status: "pending", attemptIds: [], createdAt: new Date(T0) });
  await forgetPendingDelivery(mongo.db, "dlv_9");
  expect(await deliveriesCollection(mongo.db).countDocuments({ _id: "dlv_9" })).toBe(0);

  const log = new DeliveryLogWriter(mongo.db, { now: () => T0 });
  await recordPendingDelivery(mongo.db, ping, new Date(T0));
  await log.recordAttempt(ping, { id: "p0", record: attemptAt(T0, 0, 200) }, { status: "succeeded", nextAttemptAt: null, statusReason: null });
  await forgetPendingDelivery(mongo.db, "dlv_9");
  expect((await deliveriesCollection(mongo.db).findOne({ _id: "dlv_9" }))?.status).toBe("succeeded");
});

test("recover: failed and cancelled entries since a time, oldest first by position; marks apply only to unchanged entries and earlier dead letters", async ({ mongo }) => {
  const log = new DeliveryLogWriter(mongo.db, { now: () => T0 });
  const statuses = ["failed", "succeeded", "cancelled", "retrying", "parked", "failed", "pending", "cancelled", "failed"] as const;
  const entries = statuses.map((status, i) => newDeliveryEntry(jobOf(i + 1), new Date(T0 + Math.floor(i / 2) * 1_000), { status, statusReason: `was ${status}` }));
  // Another webhook and another organization with the same webhook id never match.
  entries.push(newDeliveryEntry(jobOf(20, { webhookId: "wh_2" }), new Date(T0 + 1_000), { status: "failed" }));
  entries.push(newDeliveryEntry(jobOf(21, { organizationId: "org_2" }), new Date(T0 + 1_000), { status: "failed" }));
  await deliveriesCollection(mongo.db).insertMany(entries);
  const filter = { organizationId: "org_1", webhookId: "wh_1", since: new Date(T0 + 1_000) };

  // dlv_1 is older than since; dlv_3 and dlv_4 share a time: the id orders them.
  const first = await nextRecoverable(mongo.db, filter, undefined, 2);
  expect(first.map((d) => [d._id, d.status])).toEqual([
    ["dlv_3", "cancelled"],
    ["dlv_6", "failed"],
  ]);
  const last = first[1]!;
  const rest = await nextRecoverable(mongo.db, filter, { at: last.createdAt, id: last._id }, 50);
  expect(rest.map((d) => d._id)).toEqual(["dlv_8", "dlv_9"]);

  // dlv_6 was dead-lettered before the recover, dlv_9 after it (it failed again since): only dlv_6's mark applies.
  await log.recordDeadLetter(jobOf(6), "retries exhausted");
  await log.drain();
  const at = new Date(T0 + 60_000);
  await new DeliveryLogWriter(mongo.db, { now: () => at.getTime() + 1 }).recordDeadLetter(jobOf(9), "retries exhausted");
  // The dispatcher logged dlv_8 again between the read and the mark (cancelled again, the
  // same status): its log stays, recognised by its time.
  await deliveriesCollection(mongo.db).updateOne({ _id: "dlv_8" }, { $set: { statusReason: "the webhook was deactivated", updatedAt: new Date(T0 + 59_000) } });
  await markRecovered(mongo.db, [...first, ...rest], at);

  const after = await deliveriesCollection(mongo.db)
    .find({}, { projection: { payload: 0, attempts: 0 } })
    .sort({ _id: 1 })
    .toArray();
  const byId = Object.fromEntries(after.map((d) => [d._id, d]));
  for (const id of ["dlv_3", "dlv_6", "dlv_9"]) expect(byId[id]).toMatchObject({ status: "pending", statusReason: "recovered at 2026-03-20T12:01:00.000Z", nextAttemptAt: null, updatedAt: at });
  expect(byId.dlv_8).toMatchObject({ status: "cancelled", statusReason: "the webhook was deactivated" });
  expect(byId.dlv_1).toMatchObject({ status: "failed", statusReason: "was failed" });
  expect(byId.dlv_20).toMatchObject({ status: "failed" });
  expect(await deadLettersCollection(mongo.db).findOne({ _id: "dlv_6" })).toMatchObject({ replayedAt: at, replayCount: 1 });
  expect(await deadLettersCollection(mongo.db).findOne({ _id: "dlv_9" })).toMatchObject({ replayedAt: null, replayCount: 0 });
  // Left to recover since then: only what the marks did not touch.
  expect((await nextRecoverable(mongo.db, filter, undefined, 50)).map((d) => d._id)).toEqual(["dlv_8"]);
  expect((await nextRecoverable(mongo.db, { ...filter, since: new Date(T0) }, undefined, 50)).map((d) => d._id)).toEqual(["dlv_1", "dlv_8"]);
  // A second mark of the same read changes nothing more.
  await markRecovered(mongo.db, first, new Date(T0 + 120_000));
  expect((await deliveriesCollection(mongo.db).findOne({ _id: "dlv_3" }))!.updatedAt).toEqual(at);
});

test("a late recording of an older failed attempt does not undo a success (at-least-once duplicates)", async ({ mongo }) => {
  const log = new DeliveryLogWriter(mongo.db, { now: () => T0 });
  const job = jobOf(7);
  await log.recordAttempt(job, { id: "s0", record: attemptAt(T0, 0, 500) }, { status: "retrying", nextAttemptAt: new Date(T0 + 1_000), statusReason: null });
  await log.recordAttempt({ ...job, attempt: 1 }, { id: "s1", record: attemptAt(T0 + 1_000, 1, 200) }, { status: "succeeded", nextAttemptAt: null, statusReason: null });
  // A duplicate of attempt 0 (sent again by another dispatcher after a rebalance) lands last.
  await log.recordAttempt(job, { id: "s0-dup", record: attemptAt(T0 + 1_500, 0, 500) }, { status: "retrying", nextAttemptAt: new Date(T0 + 2_500), statusReason: null });
  const entry = await deliveriesCollection(mongo.db).findOne({ _id: job.deliveryId });
  expect(entry).toMatchObject({ status: "succeeded", nextAttemptAt: null, lastAttempt: { responseStatus: 200 } });
  // The duplicate is still in the log, as what happened.
  expect(await loadAttempts(mongo.db, entry!)).toHaveLength(3);
});

test("a late recording of a failed attempt does not undo the parking of its retry; the parked delivery stays released", async ({ mongo }) => {
  let clock = T0;
  const log = new DeliveryLogWriter(mongo.db, { now: () => clock });
  const job = jobOf(8);
  await log.recordAttempt(job, { id: "r0", record: attemptAt(T0, 0, 503) }, { status: "retrying", nextAttemptAt: new Date(T0 + 1_000), statusReason: null });
  // Its retry (attempt 1) failed too, and the retry after it came back while the circuit was
  // open and was parked (at T0 + 3 s) before attempt 1's log write (made at T0 + 2 s) landed:
  // a slow database, or the write repeated after a restart.
  clock = T0 + 3_000;
  await log.park({ ...job, attempt: 2 }, "circuit open");
  clock = T0 + 2_000;
  await log.recordAttempt({ ...job, attempt: 1 }, { id: "r1", record: attemptAt(T0 + 2_000, 1, 503) }, { status: "retrying", nextAttemptAt: new Date(T0 + 4_000), statusReason: null });
  const key = { organizationId: "org_1", webhookId: "wh_1", deliveryId: job.deliveryId };
  expect(await findDelivery(mongo.db, key)).toMatchObject({ status: "parked", statusReason: "circuit open", nextAttemptAt: null });
  expect(await oldestParked(mongo.db, { webhookId: "wh_1", limit: 10 })).toMatchObject([{ deliveryId: job.deliveryId, attempt: 2 }]);
  // The parked attempt itself (released as a probe) failing does move it on: its retry is in a tier now.
  clock = T0 + 5_000;
  await log.recordAttempt({ ...job, attempt: 2 }, { id: "r2", record: attemptAt(T0 + 5_000, 2, 503) }, { status: "retrying", nextAttemptAt: new Date(T0 + 8_000), statusReason: null });
  expect(await findDelivery(mongo.db, key)).toMatchObject({ status: "retrying", nextAttemptAt: new Date(T0 + 8_000) });
  expect(await oldestParked(mongo.db, { webhookId: "wh_1", limit: 10 })).toEqual([]);
  expect(await parkedCollection(mongo.db).countDocuments()).toBe(0);
  expect((await loadAttempts(mongo.db, (await findDelivery(mongo.db, key))!)).map((a) => a.attempt)).toEqual([0, 1, 2]);
});

test("parked deliveries are released oldest first and shown parked until they are logged again; a disabled webhook's become failed with their payload", async ({ mongo }) => {
  let clock = T0;
  const log = new DeliveryLogWriter(mongo.db, { now: () => clock });
  for (let n = 1; n <= 4; n++) {
    clock = T0 + n * 1_000;
    await log.park(jobOf(n, { enqueuedAt: clock }), "circuit open");
  }
  await log.park(jobOf(5, { webhookId: "wh_other", enqueuedAt: clock }), "circuit open");
  // dlv_4 had a failed attempt before it was parked: its entry is shown parked, with that attempt.
  clock = T0 + 4_500;
  await log.recordAttempt(jobOf(6, { enqueuedAt: T0 + 4_500 }), { id: "q6", record: attemptAt(clock, 0, 500) }, { status: "retrying", nextAttemptAt: new Date(T0 + 5_500), statusReason: null });
  clock = T0 + 5_000;
  await log.park({ ...jobOf(6, { enqueuedAt: T0 + 4_500 }), attempt: 1 }, "circuit open");
  expect((await oldestParked(mongo.db, { webhookId: "wh_1", limit: 10 })).map((j) => j.deliveryId)).toEqual(["dlv_1", "dlv_2", "dlv_3", "dlv_4", "dlv_6"]);
  expect((await oldestParked(mongo.db, { webhookId: "wh_1", limit: 2, exclude: ["dlv_1"] })).map((j) => j.deliveryId)).toEqual(["dlv_2", "dlv_3"]);
  expect((await oldestParked(mongo.db, { webhookId: "wh_1", limit: 1 }))[0]).toMatchObject({ deliveryId: "dlv_1", attempt: 0, source: "event", data: { n: 1 } });

  const list = (q: { status?: "parked" | "retrying" | "succeeded"; limit?: number; after?: { at: Date; id: string } } = {}) =>
    listDeliveries(mongo.db, { organizationId: "org_1", webhookId: "wh_1", limit: 10, ...q }).then((ds) => ds.map((d) => [d._id, d.status, d.attemptIds.length, attemptsInside(d).length]));
  expect(await list()).toEqual([
    ["dlv_6", "parked", 0, 1],
    ["dlv_4", "parked", 0, 0],
    ["dlv_3", "parked", 0, 0],
    ["dlv_2", "parked", 0, 0],
    ["dlv_1", "parked", 0, 0],
  ]);
  expect(await list({ status: "retrying" })).toEqual([]);
  expect((await list({ limit: 2, after: { at: new Date(T0 + 3_000), id: "dlv_3" } })).map(([id]) => id)).toEqual(["dlv_2", "dlv_1"]);
  const parkedOnly = await findDelivery(mongo.db, { organizationId: "org_1", webhookId: "wh_1", deliveryId: "dlv_2" });
  expect(parkedOnly).toMatchObject({ status: "parked", statusReason: "circuit open" });
  expect(payloadFrom(parkedOnly!)).toMatchObject({ data: { n: 2 } });
  expect(await findDelivery(mongo.db, { organizationId: "org_2", webhookId: "wh_1", deliveryId: "dlv_2" })).toBeNull();

  // dlv_1 and dlv_2 released and delivered: logged like any first attempt, in their place, and no longer parked.
  clock = T0 + 10_000;
  for (const n of [1, 2])
    await log.recordAttempt(jobOf(n, { enqueuedAt: T0 + n * 1_000 }), { id: `p${n}`, record: attemptAt(clock, 0, 200) }, { status: "succeeded", nextAttemptAt: null, statusReason: null });
  expect((await oldestParked(mongo.db, { webhookId: "wh_1", limit: 2 })).map((j) => j.deliveryId)).toEqual(["dlv_3", "dlv_4"]);
  expect(await parkedCollection(mongo.db).countDocuments({ webhookId: "wh_1" })).toBe(3);
  expect((await list()).map(([id, status]) => [id, status])).toEqual([
    ["dlv_6", "parked"],
    ["dlv_4", "parked"],
    ["dlv_3", "parked"],
    ["dlv_2", "succeeded"],
    ["dlv_1", "succeeded"],
  ]);
  expect(await list({ status: "parked" })).toHaveLength(3);
  expect(await countByStatus(mongo.db, "wh_1")).toEqual({ parked: 3, succeeded: 2 });

  // Disabled: the parked ones end failed, each with an entry holding its payload (a recover sends them).
  clock = T0 + 11_000;
  await log.failParked("wh_1", "disabled");
  expect(await oldestParked(mongo.db, { webhookId: "wh_1", limit: 10 })).toEqual([]);
  expect(await countByStatus(mongo.db, "wh_1")).toEqual({ failed: 3, succeeded: 2 });
  const dlv3 = await deliveriesCollection(mongo.db).findOne({ _id: "dlv_3" });
  expect(dlv3).toMatchObject({ status: "failed", statusReason: "disabled", createdAt: new Date(T0 + 3_000) });
  expect(payloadFrom(dlv3!)).toMatchObject({ data: { n: 3 } });
  const dlv6 = await deliveriesCollection(mongo.db).findOne({ _id: "dlv_6" });
  expect(dlv6).toMatchObject({ status: "failed" });
  expect(attemptsInside(dlv6!)).toMatchObject([{ attempt: 0 }]);
  expect((await oldestParked(mongo.db, { webhookId: "wh_other", limit: 10 })).map((j) => j.deliveryId)).toEqual(["dlv_5"]);
  // 410 Gone: the same, cancelled.
  await log.cancelWaiting("wh_other", "gone");
  expect(await countByStatus(mongo.db, "wh_other")).toEqual({ cancelled: 1 });
});

test("a failed redelivery of a parked delivery is logged but leaves it parked; a parking made meanwhile survives the stale sweep", async ({ mongo }) => {
  let clock = T0 + 1_000;
  const log = new DeliveryLogWriter(mongo.db, { now: () => clock });
  const job = jobOf(30, { enqueuedAt: T0 });
  await log.park(job, "circuit open");
  // An operator redelivers it while the endpoint is still down: one attempt, no decision.
  clock = T0 + 2_000;
  await log.recordAttempt({ ...job, source: "redeliver" }, { id: "m1", record: attemptAt(clock, 0, 503) }, null);
  const key = { organizationId: "org_1", webhookId: "wh_1", deliveryId: job.deliveryId };
  expect(await findDelivery(mongo.db, key)).toMatchObject({ status: "parked", lastAttempt: { responseStatus: 503 } });
  expect((await oldestParked(mongo.db, { webhookId: "wh_1", limit: 10 })).map((j) => j.deliveryId)).toEqual([job.deliveryId]);

  // Released, failed (retrying), and parked again before the sweep that found the first parking stale deletes it.
  clock = T0 + 3_000;
  await log.recordAttempt(job, { id: "m2", record: attemptAt(clock, 0, 503) }, { status: "retrying", nextAttemptAt: new Date(T0 + 4_000), statusReason: null });
  const staleRead = await parkedCollection(mongo.db).find({ webhookId: "wh_1" }).toArray();
  clock = T0 + 4_000;
  await log.park({ ...job, attempt: 1 }, "circuit open");
  await log.dropStaleParked(staleRead);
  expect(await oldestParked(mongo.db, { webhookId: "wh_1", limit: 10 })).toMatchObject([{ deliveryId: job.deliveryId, attempt: 1 }]);
  expect(await findDelivery(mongo.db, key)).toMatchObject({ status: "parked" });
});

test("parked deliveries not logged yet are merged into a full page only where they fall in it, and the rest come on later pages", async ({ mongo }) => {
  let clock = T0;
  const log = new DeliveryLogWriter(mongo.db, { now: () => clock });
  for (const n of [10, 11, 12, 13]) {
    clock = T0 + n * 1_000;
    await log.recordAttempt(jobOf(n, { enqueuedAt: clock }), { id: `a${n}`, record: attemptAt(clock, 0, 200) }, { status: "succeeded", nextAttemptAt: null, statusReason: null });
  }
  // Parked before any attempt: one inside the first page's span, one older than all of it.
  for (const [n, at] of [
    [20, T0 + 12_500],
    [21, T0 + 5_000],
  ] as const) {
    clock = at;
    await log.park(jobOf(n, { enqueuedAt: at }), "circuit open");
  }
  const page = (after?: { at: Date; id: string }) =>
    listDeliveries(mongo.db, { organizationId: "org_1", webhookId: "wh_1", limit: 3, ...(after && { after }) }).then((ds) => ds.map((d) => [d._id, d.status]));
  expect(await page()).toEqual([
    ["dlv_13", "succeeded"],
    ["dlv_20", "parked"],
    ["dlv_12", "succeeded"],
  ]);
  expect(await page({ at: new Date(T0 + 12_000), id: "dlv_12" })).toEqual([
    ["dlv_11", "succeeded"],
    ["dlv_10", "succeeded"],
    ["dlv_21", "parked"],
  ]);
});
