import { integrationTest as test } from "@agiletune/testing";
import { expect } from "vitest";
import { LogWriter } from "@agiletune/shared";

test("writes a large mix of inserts and updates in batches the server accepts, falling back to the update on duplicates", async ({ mongo }) => {
  const writer = new LogWriter(mongo.db, { lingerMs: 20, maxBatch: 1000 });
  type Item = { _id: string; n: number; via?: string };
  const items = mongo.db.collection<Item>("items");
  await items.insertMany(Array.from({ length: 150 }, (_, i) => ({ _id: `old${i}`, n: 0 })));
  const writes: Array<Promise<void>> = [];
  // 150 updates, 150 fresh inserts, 150 inserts colliding with existing documents.
  for (let i = 0; i < 150; i++) writes.push(writer.write<Item>(items.collectionName, { updateOne: { filter: { _id: `old${i}` }, update: { $inc: { n: 1 } } } }));
  for (let i = 0; i < 150; i++) writes.push(writer.write<Item>(items.collectionName, { insertOne: { document: { _id: `new${i}`, n: 1 } } }));
  for (let i = 0; i < 150; i++) {
    writes.push(
      writer.write<Item>(items.collectionName, { insertOne: { document: { _id: `old${i}`, n: 100 } } }, { updateOne: { filter: { _id: `old${i}` }, update: { $set: { via: "fallback" } } } }),
    );
  }
  await Promise.all(writes);
  await writer.drain();
  expect(await items.countDocuments({ n: 1, _id: { $regex: "^old" } })).toBe(150);
  expect(await items.countDocuments({ via: "fallback" })).toBe(150);
  expect(await items.countDocuments({ _id: { $regex: "^new" } })).toBe(150);
});

test("applies two writes to one document in the order they were made, even when the first falls back", async ({ mongo }) => {
  const writer = new LogWriter(mongo.db, { lingerMs: 50 });
  type Entry = { _id: string; status: string; attempts: number };
  const log = mongo.db.collection<Entry>("entries");
  await log.insertOne({ _id: "dlv_1", status: "pending", attempts: 0 });
  // Queued within one linger, so both land in one batch: attempt 0's insert meets the
  // existing entry and falls back to its update, then attempt 1's update must still win.
  const first = writer.write<Entry>(
    log.collectionName,
    { insertOne: { document: { _id: "dlv_1", status: "retrying", attempts: 1 } } },
    { updateOne: { filter: { _id: "dlv_1" }, update: { $set: { status: "retrying", attempts: 1 } } } },
  );
  const second = writer.write<Entry>(log.collectionName, { updateOne: { filter: { _id: "dlv_1" }, update: { $set: { status: "succeeded", attempts: 2 } } } });
  await Promise.all([first, second]);
  expect(await log.findOne({ _id: "dlv_1" })).toEqual({ _id: "dlv_1", status: "succeeded", attempts: 2 });
});

test("written() resolves once the writes queued before it have landed, and does not wait for a write queued after it", async ({ mongo }) => {
  const writer = new LogWriter(mongo.db, { lingerMs: 20 });
  const items = mongo.db.collection<{ _id: string }>("barrier");
  const before = Array.from({ length: 50 }, (_, i) => writer.write<{ _id: string }>(items.collectionName, { insertOne: { document: { _id: `b${i}` } } }));
  const barrier = writer.written();
  // A write queued only after the barrier resolves: were it waited for, the barrier would never resolve (as `drain` would not under constant load).
  let releaseLater: () => void = () => {};
  const held = new Promise<void>((r) => (releaseLater = r));
  const after = held.then(() => writer.write<{ _id: string }>(items.collectionName, { insertOne: { document: { _id: "after" } } }));
  await barrier;
  expect(await items.countDocuments({ _id: { $regex: "^b" } })).toBe(50);
  expect(await items.countDocuments({ _id: "after" })).toBe(0);
  releaseLater();
  await Promise.all([...before, after]);
});

test("a collection with a longer linger gathers writes spread over it into one command, in its one lane", async ({ mongo }) => {
  // 20 writes 5 ms apart take about 100 ms, and far longer on a loaded machine: the linger leaves room for that.
  const commands: Array<{ collection: string; operations: number }> = [];
  const writer = new LogWriter(mongo.db, { collections: { gathered: { lanes: 1, lingerMs: 3_000 } }, onCommand: (c) => commands.push(c) });
  const writes: Array<Promise<unknown>> = [];
  for (let i = 0; i < 20; i++) {
    writes.push(writer.write<{ _id: string }>("gathered", { insertOne: { document: { _id: `g${i}` } } }));
    writes.push(writer.write<{ _id: string }>("prompt", { insertOne: { document: { _id: `p${i}` } } }));
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(writes);
  expect(commands.filter((c) => c.collection === "gathered").map((c) => c.operations)).toEqual([20]);
  // The default (5 ms) sends as writes come.
  expect(commands.filter((c) => c.collection === "prompt").length).toBeGreaterThan(1);
});
