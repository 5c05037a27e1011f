import { describe, expect, it } from "vitest";
import { afterCursor, decodeCursor, encodeCursor, page } from "./cursor.js";
import { ApiError } from "./errors.js";

describe("cursor", () => {
  it("round-trips time and id through an opaque url-safe string", () => {
    const cursor = { at: new Date("2026-03-20T12:00:00.123Z"), id: "wh_abc" };
    const raw = encodeCursor(cursor);
    expect(raw).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(raw)).toEqual(cursor);
  });

  it.each([
    "",
    "!!!",
    "bm90IGpzb24",
    Buffer.from('{"v":2,"t":1,"i":"x"}').toString("base64url"),
    Buffer.from('{"v":1,"t":-1,"i":"x"}').toString("base64url"),
    Buffer.from('{"v":1,"t":1,"i":"x","extra":1}').toString("base64url"),
    "a".repeat(600),
  ])("refuses %j with a 422 naming query.cursor", (raw) => {
    let caught: unknown;
    try {
      decodeCursor(raw);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).toBody()).toEqual({
      error: { code: "validation_failed", message: "query.cursor: is not a cursor returned by this API", details: [{ field: "query.cursor", message: "is not a cursor returned by this API" }] },
    });
  });

  it("builds the strictly-after filter for a newest-first order", () => {
    const at = new Date(5);
    expect(afterCursor("createdAt", undefined)).toEqual({});
    expect(afterCursor("createdAt", { at, id: "b" })).toEqual({ createdAt: { $lte: at }, $or: [{ createdAt: { $lt: at } }, { createdAt: at, _id: { $lt: "b" } }] });
  });

  it("pages a limit+1 fetch", () => {
    const docs = [1, 2, 3].map((n) => ({ id: `x${n}`, at: new Date(n) }));
    const full = page(docs, 2, (d) => ({ at: d.at, id: d.id }));
    expect(full.items).toEqual(docs.slice(0, 2));
    expect(decodeCursor(full.nextCursor!)).toEqual({ at: new Date(2), id: "x2" });
    expect(page(docs, 3, (d) => ({ at: d.at, id: d.id })).nextCursor).toBeNull();
  });
});
