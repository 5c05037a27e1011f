import type { Filter } from "mongodb";
import { expect } from "vitest";
import { integrationTest as test } from "./fixtures.js";

test("produces and consumes through the real broker, with keys, headers and committed offsets", async ({ kafka, topics, testId }) => {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const sent = Array.from({ length: 20 }, (_, i) => ({ key: `org_${i % 3}`, value: JSON.stringify({ n: i }), headers: { "x-test": testId } }));
  await producer.send({ topic: topics.events, messages: sent });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `${testId}-group` });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.events, fromBeginning: true });
  const received: Array<{ key: string; n: number; header: string }> = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          received.push({ key: message.key!.toString(), n: JSON.parse(message.value!.toString()).n, header: String(message.headers?.["x-test"]) });
          if (received.length === sent.length) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();

  expect(received.map((r) => r.n).sort((a, b) => a - b)).toEqual(sent.map((_, i) => i));
  expect(new Set(received.map((r) => r.header))).toEqual(new Set([testId]));
  // Same key, same partition, so per-organization order holds.
  for (const key of ["org_0", "org_1", "org_2"]) {
    const ns = received.filter((r) => r.key === key).map((r) => r.n);
    expect(ns).toEqual([...ns].sort((a, b) => a - b));
  }

  const admin = kafka.admin();
  await admin.connect();
  const [committed] = await admin.fetchOffsets({ groupId: `${testId}-group`, topics: [topics.events] });
  await admin.disconnect();
  const total = committed!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  expect(total).toBe(sent.length);
});

test("writes and reads through the real database server", async ({ mongo, testId }) => {
  const items = mongo.db.collection<{ _id: string; n: number; at: Date; tags: string[] }>("probe");
  const at = new Date("2026-03-20T12:00:00Z");
  await items.insertMany([
    { _id: "a", n: 1, at, tags: ["task.created"] },
    { _id: "b", n: 2, at: new Date(at.getTime() + 1000), tags: ["*"] },
    { _id: "c", n: 3, at: new Date(at.getTime() + 2000), tags: ["member.added"] },
  ]);
  const found = await items
    .find({ tags: { $in: ["task.created", "*"] } })
    .sort({ at: -1 })
    .toArray();
  expect(found.map((d) => d._id)).toEqual(["b", "a"]);
  await expect(items.insertOne({ _id: "a", n: 9, at, tags: [] })).rejects.toMatchObject({ code: 11000 });
  expect(mongo.db.databaseName).toBe(testId);
});

// infra/ferretdb/patches narrows operations by _id through the _id index; every other
// condition of the filter must still apply, as the conditional log writes rely on it.
test("an _id filter with further conditions matches only documents meeting all of them", async ({ mongo }) => {
  const log = mongo.db.collection<{ _id: string; status: string }>("conditional");
  await log.insertMany([
    { _id: "done", status: "succeeded" },
    { _id: "open", status: "retrying" },
  ]);
  const unlessSucceeded = (id: string) => ({ _id: id, status: { $ne: "succeeded" } });

  expect((await log.updateOne(unlessSucceeded("done"), { $set: { status: "cancelled" } })).matchedCount).toBe(0);
  expect((await log.updateOne(unlessSucceeded("open"), { $set: { status: "cancelled" } })).matchedCount).toBe(1);
  expect(await log.findOne({ _id: "done", status: "cancelled" })).toBeNull();
  expect((await log.deleteOne({ _id: "done", status: "pending" })).deletedCount).toBe(0);
  expect(await log.find({}, { sort: { _id: 1 } }).toArray()).toEqual([
    { _id: "done", status: "succeeded" },
    { _id: "open", status: "cancelled" },
  ]);
});

// infra/ferretdb/patches/0002: unpatched, FerretDB held a pooled connection per matched
// update until the command ended, so these commands never answered. The log writer sends
// such commands, several at once.
test("answers update commands of hundreds of statements, several at once", { timeout: 30_000 }, async ({ mongo }) => {
  const counters = mongo.db.collection<{ _id: string; n: number }>("counters");
  await counters.insertMany(Array.from({ length: 800 }, (_, i) => ({ _id: `c${i}`, n: 0 })));
  const increment = (from: number, count: number) =>
    counters.bulkWrite(
      Array.from({ length: count }, (_, i) => ({ updateOne: { filter: { _id: `c${from + i}` }, update: { $inc: { n: 1 } } } })),
      { ordered: false },
    );

  await increment(0, 300);
  await Promise.all([increment(0, 200), increment(200, 200), increment(400, 200), increment(600, 200)]);

  expect(await counters.countDocuments({ n: 2 })).toBe(300);
  expect(await counters.countDocuments({ n: 1 })).toBe(500);
});

// infra/ferretdb/patches/0003 narrows `_id: {$in}` through the _id index; results must not change.
test("an _id list finds exactly the listed documents that meet the filter's other conditions", async ({ mongo }) => {
  const attempts = mongo.db.collection<{ _id: string | number; n: number }>("attempts");
  await attempts.insertMany([
    { _id: "a", n: 1 },
    { _id: "b", n: 2 },
    { _id: "c", n: 3 },
    { _id: 7, n: 7 },
  ]);
  const ids = async (filter: object) => (await attempts.find(filter).toArray()).map((d) => d._id).sort();

  expect(await ids({ _id: { $in: ["a", "c", "missing"] } })).toEqual(["a", "c"]);
  expect(await ids({ _id: { $in: ["a", "c"] }, n: { $gt: 1 } })).toEqual(["c"]);
  expect(await ids({ _id: { $in: ["b", 7] } })).toEqual([7, "b"]);
  expect(await ids({ _id: { $in: [] } })).toEqual([]);
});

// infra/ferretdb/patches/0005 narrows queries through secondary indexes (string
// equalities on an index's leading fields) and, for a sort newest first with a limit,
// reads in the index's order and stops early. Results must be MongoDB's, also where the
// data defeats the index: arrays, missing or non-date sort keys, dates before 2001.
test("indexed finds, sorted newest first with a limit, return what a full scan returns", async ({ mongo }) => {
  type Doc = { _id: string; k: string | string[]; s?: string; at?: Date | string };
  const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));
  const ids = (docs: Array<{ _id: string }>) => docs.map((d) => d._id);
  const collection = async (name: string, docs: Doc[]) => {
    const c = mongo.db.collection<Doc>(name);
    await c.createIndexes([{ key: { k: 1, at: -1, _id: -1 }, name: "k_at" }]);
    await c.insertMany(docs);
    return c;
  };
  const newest = { at: -1, _id: -1 } as const;

  // Clean: every key a string, every date of this century; ties on `at` ordered by _id.
  const clean = await collection(
    "clean",
    Array.from({ length: 60 }, (_, i) => ({ _id: `d${String(i).padStart(2, "0")}`, k: i % 3 === 0 ? "b" : "a", s: i % 2 ? "odd" : "even", at: at(Math.floor(i / 4)) })),
  );
  const everyA = (await clean.find({}).toArray()).filter((d) => d.k === "a").sort((x, y) => (y.at as Date).getTime() - (x.at as Date).getTime() || (x._id < y._id ? 1 : -1));
  expect(ids(await clean.find({ k: "a" }).sort(newest).limit(7).toArray())).toEqual(ids(everyA.slice(0, 7)));
  expect(ids(await clean.find({ k: "a", s: "odd" }).sort(newest).limit(5).toArray())).toEqual(ids(everyA.filter((d) => d.s === "odd").slice(0, 5)));
  const seventh = everyA[6]!;
  const after = { at: { $lte: seventh.at as Date }, $or: [{ at: { $lt: seventh.at as Date } }, { at: seventh.at as Date, _id: { $lt: seventh._id } }] };
  expect(
    ids(
      await clean
        .find({ k: "a", ...after })
        .sort(newest)
        .limit(7)
        .toArray(),
    ),
  ).toEqual(ids(everyA.slice(7, 14)));
  expect(
    ids(
      await clean
        .find({ $and: [{ k: "a" }, { at: { $gte: at(5), $lt: at(8) } }] })
        .sort(newest)
        .limit(100)
        .toArray(),
    ),
  ).toEqual(ids(everyA.filter((d) => (d.at as Date) >= at(5) && (d.at as Date) < at(8))));
  expect(ids(await clean.find({}).sort(newest).limit(3).toArray())).toEqual(["d59", "d58", "d57"]);

  // An array holding the value matches the equality.
  const arrays = await collection("arrays", [
    { _id: "x1", k: "a", at: at(3) },
    { _id: "x2", k: ["b", "a"], at: at(5) },
    { _id: "x3", k: "b", at: at(9) },
  ]);
  expect(ids(await arrays.find({ k: "a" }).sort(newest).limit(2).toArray())).toEqual(["x2", "x1"]);
  expect(
    ids(
      await arrays
        .find({ k: { $in: ["a", "c"] } })
        .sort({ _id: 1 })
        .toArray(),
    ),
  ).toEqual(["x1", "x2"]);

  // A list of strings narrows through the index too (fanout's organizations): the same
  // documents as a scan that cannot use it, sorted or not, with other conditions or not.
  const anyOf = (docs: Doc[], keys: string[]) => ids(docs.filter((d) => typeof d.k === "string" && keys.includes(d.k)));
  const all = await clean.find({}).sort({ _id: 1 }).toArray();
  expect(
    ids(
      await clean
        .find({ k: { $in: ["b"] } })
        .sort({ _id: 1 })
        .toArray(),
    ),
  ).toEqual(anyOf(all, ["b"]));
  expect(
    ids(
      await clean
        .find({ k: { $in: ["a", "b", "zz"] }, s: "odd" })
        .sort({ _id: 1 })
        .toArray(),
    ),
  ).toEqual(anyOf(all, ["a", "b"]).filter((id) => all.find((d) => d._id === id)!.s === "odd"));
  expect(
    ids(
      await clean
        .find({ $and: [{ k: { $in: ["b"] } }, { s: "even" }] })
        .sort(newest)
        .limit(4)
        .toArray(),
    ),
  ).toEqual(ids(all.filter((d) => d.k === "b" && d.s === "even").sort((x, y) => (y.at as Date).getTime() - (x.at as Date).getTime() || (x._id < y._id ? 1 : -1))).slice(0, 4));
  expect(ids(await clean.find({ k: { $in: ["zz"] } }).toArray())).toEqual([]);
  // FerretDB says whether a find was narrowed (patch 0006 for lists); MongoDB plans its own way.
  const plan = await clean.find({ k: { $in: ["a", "b"] }, s: "odd" }).explain();
  if ("filterPushdown" in plan) expect(plan.filterPushdown).toBe(true);
  // Lists of other values are not narrowed, and still answered.
  expect(
    ids(
      await mongo.db
        .collection<Doc>("clean")
        .find({ k: { $in: ["b", null] } } as Filter<Doc>)
        .sort({ _id: 1 })
        .toArray(),
    ),
  ).toEqual(anyOf(all, ["b"]));

  // Sort keys of other types, missing, and a date before 2001, in the same equality range.
  const mixed = await collection("mixed", [
    { _id: "m1", k: "a", at: at(3) },
    { _id: "m2", k: "a", at: at(5) },
    { _id: "m3", k: "a" },
    { _id: "m4", k: "a", at: "2026-01-01" },
    { _id: "m5", k: "a", at: new Date("1999-01-01T00:00:00Z") },
    { _id: "m6", k: "b", at: at(9) },
  ]);
  expect(ids(await mixed.find({ k: "a" }).sort(newest).limit(4).toArray())).toEqual(["m2", "m1", "m5", "m4"]);
  const old = await collection("old", [
    { _id: "o1", k: "a", at: at(3) },
    { _id: "o2", k: "a", at: new Date("1999-01-01T00:00:00Z") },
    { _id: "o3", k: "a", at: at(5) },
  ]);
  expect(ids(await old.find({ k: "a" }).sort(newest).limit(1).toArray())).toEqual(["o3"]);
  expect(
    ids(
      await old
        .find({ k: "a", at: { $lte: at(4) } })
        .sort(newest)
        .limit(2)
        .toArray(),
    ),
  ).toEqual(["o1", "o2"]);
});
