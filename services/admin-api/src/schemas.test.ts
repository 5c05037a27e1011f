import { describe, expect, it } from "vitest";
import { ApiError } from "./errors.js";
import { createWebhookSchema, deliveriesQuerySchema, dlqReplaySchema, parseOr422, parseQuery, parseRecover, rotateSecretSchema, updateWebhookSchema } from "./schemas.js";

function details(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(422);
    return (err as ApiError).details;
  }
  throw new Error("expected a 422");
}

const valid = { url: "https://hooks.example.com/in", contentType: "json", events: ["task.created"] };

describe("createWebhookSchema", () => {
  it("accepts the minimal body and dedupes events in order", () => {
    expect(parseOr422(createWebhookSchema, { ...valid, events: ["task.updated", "task.created", "task.updated"] })).toEqual({
      ...valid,
      events: ["task.updated", "task.created"],
    });
    expect(parseOr422(createWebhookSchema, { ...valid, events: ["*"], description: "Équipe 🚀 — déploiements", active: false, secret: "s".repeat(16) })).toMatchObject({
      events: ["*"],
      description: "Équipe 🚀 — déploiements",
    });
  });

  it.each([
    [
      { ...valid, extra: 1, other: 2 },
      [
        { field: "extra", message: "is not a known field" },
        { field: "other", message: "is not a known field" },
      ],
    ],
    [{ contentType: "json", events: ["task.created"] }, [{ field: "url", message: "is required" }]],
    [{ ...valid, url: 42 }, [{ field: "url", message: "Invalid input: expected string, received number" }]],
    [{ ...valid, url: "ftp://x.example/" }, [{ field: "url", message: "must use http or https" }]],
    [{ ...valid, contentType: "xml" }, [{ field: "contentType", message: 'must be "json" or "form"' }]],
    [{ ...valid, events: [] }, [{ field: "events", message: 'must list at least one event type, or "*"' }]],
    [{ ...valid, events: "task.created" }, [{ field: "events", message: "must be an array of event types" }]],
    [{ ...valid, events: ["task.created", "task.exploded"] }, [{ field: "events.1", message: "is not a known event type (see GET /v1/event-types)" }]],
    [{ ...valid, events: ["*", "task.created"] }, [{ field: "events", message: '"*" means every event and must be alone' }]],
    [{ ...valid, events: Array(51).fill("task.created") }, [{ field: "events", message: "must list at most 50 event types" }]],
    [{ ...valid, secret: "short" }, [{ field: "secret", message: "must be at least 16 characters" }]],
    [{ ...valid, secret: "x".repeat(257) }, [{ field: "secret", message: "must be at most 256 characters" }]],
    [{ ...valid, secret: "0123456789abcdef\u0007" }, [{ field: "secret", message: "must not contain control characters" }]],
    [{ ...valid, description: "a\u0000b" }, [{ field: "description", message: "must not contain control characters" }]],
    [{ ...valid, description: "bad \ud800 surrogate" }, [{ field: "description", message: "must be valid Unicode (no unpaired surrogates)" }]],
    [{ ...valid, description: "d".repeat(501) }, [{ field: "description", message: "must be at most 500 characters" }]],
    [{ ...valid, active: "yes" }, [{ field: "active", message: "must be true or false" }]],
    [{ ...valid, rateLimitPerSecond: 0 }, [{ field: "rateLimitPerSecond", message: "must be a whole number from 1 to 10000" }]],
    [{ ...valid, rateLimitPerSecond: 10_001 }, [{ field: "rateLimitPerSecond", message: "must be a whole number from 1 to 10000" }]],
    [{ ...valid, rateLimitPerSecond: 2.5 }, [{ field: "rateLimitPerSecond", message: "must be a whole number from 1 to 10000" }]],
    [{ ...valid, rateLimitPerSecond: "5" }, [{ field: "rateLimitPerSecond", message: "must be a whole number from 1 to 10000" }]],
    [{ ...valid, rateLimitPerSecond: null }, [{ field: "rateLimitPerSecond", message: "must be a whole number from 1 to 10000" }]],
    [[valid], [{ field: "(body)", message: "Invalid input: expected object, received array" }]],
  ])("refuses %#", (body, expected) => {
    expect(details(() => parseOr422(createWebhookSchema, body))).toEqual(expected);
  });

  it("caps the number of details for huge wrong inputs", () => {
    expect(details(() => parseOr422(createWebhookSchema, { ...valid, events: Array(40).fill("nope") }))).toHaveLength(20);
  });
});

describe("updateWebhookSchema and rotateSecretSchema", () => {
  it("accepts a partial change and refuses an empty one or the secret", () => {
    expect(parseOr422(updateWebhookSchema, { active: false })).toEqual({ active: false });
    expect(details(() => parseOr422(updateWebhookSchema, {}))).toEqual([
      { field: "(body)", message: "must change at least one of url, contentType, events, active, description, rateLimitPerSecond, ordered, headers, auth, ed25519" },
    ]);
    expect(details(() => parseOr422(updateWebhookSchema, { secret: "0123456789abcdef" }))).toEqual([{ field: "secret", message: "cannot be changed here; use POST .../secret/rotate" }]);
    expect(parseOr422(rotateSecretSchema, {})).toEqual({});
  });

  it("takes a rate limit from 1 to 10000, or null to remove it", () => {
    expect(parseOr422(createWebhookSchema, { ...valid, rateLimitPerSecond: 1 })).toMatchObject({ rateLimitPerSecond: 1 });
    expect(parseOr422(updateWebhookSchema, { rateLimitPerSecond: 10_000 })).toEqual({ rateLimitPerSecond: 10_000 });
    expect(parseOr422(updateWebhookSchema, { rateLimitPerSecond: null })).toEqual({ rateLimitPerSecond: null });
    for (const rateLimitPerSecond of [0, -1, 10_001, 1.5, "10", true, Number.MAX_SAFE_INTEGER + 2]) {
      expect(details(() => parseOr422(updateWebhookSchema, { rateLimitPerSecond }))).toEqual([
        { field: "rateLimitPerSecond", message: "must be a whole number from 1 to 10000, or null to remove the limit" },
      ]);
    }
  });

  it("takes ordered as a boolean on create and update, absent unless given", () => {
    expect(parseOr422(createWebhookSchema, valid)).not.toHaveProperty("ordered");
    expect(parseOr422(createWebhookSchema, { ...valid, ordered: true })).toMatchObject({ ordered: true });
    expect(parseOr422(updateWebhookSchema, { ordered: false })).toEqual({ ordered: false });
    for (const ordered of ["true", 1, null, {}]) {
      expect(details(() => parseOr422(createWebhookSchema, { ...valid, ordered }))).toEqual([{ field: "ordered", message: "must be true or false" }]);
      expect(details(() => parseOr422(updateWebhookSchema, { ordered }))).toEqual([{ field: "ordered", message: "must be true or false" }]);
    }
  });
});

describe("parseRecover", () => {
  const now = new Date("2026-03-20T12:00:00.000Z");

  it("takes since up to now, with any offset", () => {
    expect(parseRecover({ since: "2026-03-20T12:00:00Z" }, now)).toEqual({ since: now });
    expect(parseRecover({ since: "2026-03-20T10:00:00-01:00" }, now)).toEqual({ since: new Date("2026-03-20T11:00:00Z") });
  });

  it.each([
    [{ since: "2026-03-20T12:00:00.001Z" }, [{ field: "since", message: "must not be in the future (now is 2026-03-20T12:00:00.000Z)" }]],
    [{ since: "last tuesday" }, [{ field: "since", message: "must be an ISO 8601 date-time, e.g. 2026-03-20T12:00:00Z" }]],
    [{ since: "2026-02-30T00:00:00Z" }, [{ field: "since", message: "must be an ISO 8601 date-time, e.g. 2026-03-20T12:00:00Z" }]],
    [{}, [{ field: "since", message: "is required" }]],
    [{ since: "2026-03-20T00:00:00Z", until: "x" }, [{ field: "until", message: "is not a known field" }]],
    [undefined, [{ field: "(body)", message: "a JSON object body is required" }]],
  ])("refuses %j", (body, expected) => {
    expect(details(() => parseRecover(body, now))).toEqual(expected);
  });
});

describe("query schemas", () => {
  it("defaults and bounds limit, refuses repeated parameters", () => {
    expect(parseQuery(deliveriesQuerySchema, {})).toEqual({ limit: 50 });
    expect(parseQuery(deliveriesQuerySchema, { limit: "100", status: "failed", event: "ping" })).toEqual({ limit: 100, status: "failed", event: "ping" });
    for (const limit of ["0", "101", "-1", "1.5", "ten", "99999"]) {
      expect(details(() => parseQuery(deliveriesQuerySchema, { limit }))).toEqual([{ field: "query.limit", message: "must be a whole number from 1 to 100" }]);
    }
    expect(details(() => parseQuery(deliveriesQuerySchema, { status: "lost" }))).toEqual([
      { field: "query.status", message: "must be one of pending, succeeded, retrying, parked, held, failed, cancelled" },
    ]);
    expect(details(() => parseQuery(deliveriesQuerySchema, { limit: ["1", "2"] }))).toEqual([{ field: "query.limit", message: "must be given once" }]);
  });

  it("parses dead-letter filters with from before to", () => {
    expect(parseOr422(dlqReplaySchema, { from: "2026-03-20T12:00:00Z", dryRun: true })).toEqual({ from: new Date("2026-03-20T12:00:00Z"), dryRun: true });
    expect(details(() => parseOr422(dlqReplaySchema, { from: "2026-03-21T00:00:00Z", to: "2026-03-20T00:00:00Z" }))).toEqual([{ field: "from", message: "must be before to" }]);
    expect(details(() => parseOr422(dlqReplaySchema, { from: "yesterday" }))).toEqual([{ field: "from", message: "must be an ISO 8601 date-time, e.g. 2026-03-20T12:00:00Z" }]);
    expect(details(() => parseOr422(dlqReplaySchema, { webhookId: "wh 1" }))).toEqual([{ field: "webhookId", message: "is not a valid id" }]);
  });
});
