import { describe, expect, it } from "vitest";
import { createOrUpdate } from "./writer.js";

const document = { _id: "dlv_1", status: "cancelled", statusReason: "gone", attemptIds: [] as string[], lastAttempt: null, updatedAt: new Date(0) };
const set = { status: "cancelled", statusReason: "gone", updatedAt: new Date(0) };
const applyIf = { status: { $ne: "succeeded" } };

describe("createOrUpdate, by the store profile's upsert strategy", () => {
  it("insert-then-update: the whole document inserted, the guarded update as the fallback on a duplicate key", () => {
    expect(createOrUpdate("insert-then-update", { document, set, applyIf })).toEqual({
      op: { insertOne: { document } },
      fallback: { updateOne: { filter: { _id: "dlv_1", ...applyIf }, update: { $set: set } } },
    });
  });

  it("upsert: one guarded upsert whose $setOnInsert holds the rest of the document, empty lists and nulls included; the same update without upsert as the fallback", () => {
    expect(createOrUpdate("upsert", { document, set, applyIf })).toEqual({
      op: { updateOne: { filter: { _id: "dlv_1", ...applyIf }, update: { $setOnInsert: { attemptIds: [], lastAttempt: null }, $set: set }, upsert: true } },
      fallback: { updateOne: { filter: { _id: "dlv_1", ...applyIf }, update: { $set: set } } },
    });
  });

  it("nothing to set: no $set and no fallback, an existing document stays as it is", () => {
    expect(createOrUpdate("upsert", { document, set: {} })).toEqual({
      op: { updateOne: { filter: { _id: "dlv_1" }, update: { $setOnInsert: { status: "cancelled", statusReason: "gone", attemptIds: [], lastAttempt: null, updatedAt: new Date(0) } }, upsert: true } },
      fallback: undefined,
    });
    expect(createOrUpdate("insert-then-update", { document, set: {} }).fallback).toBeUndefined();
  });
});
