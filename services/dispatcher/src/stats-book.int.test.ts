// The dispatcher's statistics tallies on the real database: written by a flush, added to by
// the next, a bucket the database refuses dropped without holding back the others, and
// what is left written by stop.
import { DeliveryError, statsCollection, statsIdOf, systemClock, type DeliveryJob } from "@agiletune/shared";
import { integrationTest as test } from "@agiletune/testing";
import { expect } from "vitest";
import type { AttemptResult } from "./attempt.js";
import { StatsBook } from "./stats-book.js";

const AT = Date.parse("2026-12-07T10:15:20Z");

/** What the recorder hands the statistics for one attempt: only the job's ids, the answer and its time matter. */
function attempt(webhookId: string, status: number | null, durationMs: number): AttemptResult {
  const job = { webhookId, organizationId: "org_1", deliveryId: `dlv_${webhookId}` } as DeliveryJob;
  const error = status === null ? new DeliveryError("timeout", "no answer") : status >= 300 ? new DeliveryError("http_status", `HTTP ${status}`) : null;
  return { job, startedAt: AT, http: { status, headers: {}, body: "", bodyTruncated: false, durationMs, error } } as AttemptResult;
}

test("tallies are added to their minute, hour and day buckets; a refused bucket is dropped and the others still written", async ({ mongo, logger }) => {
  const db = mongo.db;
  const book = new StatsBook({ db, flushIntervalMs: 60_000, clock: systemClock, logger });
  // A bucket document the database can never add to (its count is not a number).
  const minute = Date.parse("2026-12-07T10:15:00Z");
  await statsCollection(db).insertOne({ _id: statsIdOf({ webhookId: "wh_bad", interval: "minute", start: minute }), attempts: "many" } as never);

  book.count(attempt("wh_bad", 200, 5));
  book.count(attempt("wh_ok", 200, 12));
  book.count(attempt("wh_ok", 503, 80));
  book.count(attempt("wh_ok", null, 1_000));
  await book.flush();
  // The refused minute dropped; the tallies after it in the command come back next time.
  await book.flush();
  book.count(attempt("wh_ok", 404, 3));
  // The next minute: a bucket of its own, the same hour and day.
  book.count({ ...attempt("wh_ok", 200, 7), startedAt: AT + 60_000 });
  await book.stop();

  const docs = await statsCollection(db).find({ webhookId: "wh_ok" }).sort({ _id: 1 }).toArray();
  expect(docs.map((d) => [d.interval, d.start.toISOString(), d.attempts, d.succeeded, d.byOutcome])).toEqual([
    ["day", "2026-12-07T00:00:00.000Z", 5, 2, { "2xx": 2, "4xx": 1, "5xx": 1, timeout: 1 }],
    ["hour", "2026-12-07T10:00:00.000Z", 5, 2, { "2xx": 2, "4xx": 1, "5xx": 1, timeout: 1 }],
    ["minute", "2026-12-07T10:15:00.000Z", 4, 1, { "2xx": 1, "4xx": 1, "5xx": 1, timeout: 1 }],
    ["minute", "2026-12-07T10:16:00.000Z", 1, 1, { "2xx": 1 }],
  ]);
  expect(docs[0]).toMatchObject({ organizationId: "org_1", end: new Date("2026-12-08T00:00:00Z"), maxMs: 1_000, latency: { le10: 2, le25: 1, le100: 1, le1000: 1 } });
  // wh_bad: its minute stays as it was, its hour and day are counted.
  const bad = await statsCollection(db).find({ webhookId: "wh_bad" }).toArray();
  expect(bad.map((d) => [d.interval, d.attempts])).toEqual(
    expect.arrayContaining([
      ["hour", 1],
      ["day", 1],
    ]),
  );
  expect((await statsCollection(db).findOne({ _id: statsIdOf({ webhookId: "wh_bad", interval: "minute", start: minute }) }))?.attempts).toBe("many");
});
