import { describe, expect, it } from "vitest";
import { attemptCountOf, attemptsInside, payloadFrom, storedAttempts, storedPayloadOf, type AttemptRecord } from "./documents.js";

const inside = storedAttempts([{ attempt: 0, startedAt: new Date(0) } as AttemptRecord]);

describe("attemptCountOf", () => {
  it("counts the attempt inside the entry and each one stored apart", () => {
    expect(attemptCountOf({ attempts: inside, attemptIds: ["d.1.a", "d.2.b"] })).toBe(3);
    expect(attemptCountOf({ attemptIds: ["d.0.a"] })).toBe(1);
    expect(attemptCountOf({ attemptIds: [] })).toBe(0);
  });

  it("does not count the first attempt again when a repeated recording also stored it apart", () => {
    expect(attemptCountOf({ attempts: inside, firstAttemptId: "d.0.a", attemptIds: ["d.0.a", "d.1.b", "d.1.b"] })).toBe(2);
  });
});

describe("the stored format of an entry's payload and attempt", () => {
  const record: AttemptRecord = {
    attempt: 0,
    source: "event",
    startedAt: new Date("2026-12-02T07:00:00.123Z"),
    durationMs: 4,
    outcome: "succeeded",
    request: { url: "https://example.com/h", headers: { "content-type": "application/json", "x-agiletune-signature": "ab12" } },
    response: { status: 200, headers: { date: "Wed, 02 Dec 2026 07:00:00 GMT" }, body: "ok", bodyTruncated: false },
    error: null,
    retryAfter: null,
  };
  const job = { event: "task.updated", timestamp: "2026-12-02T07:00:00.000Z", data: { id: "t1", note: "ünïcødé ✓", nested: { list: [1, "two", null] } } };

  it("reads back as written: the attempt with its start a Date, the payload unchanged", () => {
    const stored = { attempts: storedAttempts([record]), payload: storedPayloadOf(job), attemptIds: [] };
    expect(typeof stored.attempts).toBe("string");
    expect(attemptsInside(stored)).toEqual([record]);
    expect(attemptsInside(stored)[0]!.startedAt).toBeInstanceOf(Date);
    expect(payloadFrom(stored)).toEqual(job);
    expect(attemptCountOf(stored)).toBe(1);
  });

  it("reads an entry without an attempt or a payload as having none", () => {
    expect(attemptsInside({})).toEqual([]);
    expect(payloadFrom({})).toBeUndefined();
  });
});
