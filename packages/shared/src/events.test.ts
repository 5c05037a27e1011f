import { describe, expect, it } from "vitest";
import { EVENT_TYPES, parseJsonDomainEvent } from "./events.js";

const good = { id: "evt_1", event: "task.updated", timestamp: "2026-03-20T12:00:00Z", organizationId: "org_1", data: { id: "tsk_1", changes: {} } };
const bytes = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value));

describe("domain event envelope", () => {
  it("has the user guide's eight event types", () => {
    expect(EVENT_TYPES).toEqual(["task.created", "task.updated", "task.deleted", "task.moved", "comment.created", "member.added", "member.removed", "project.created"]);
  });

  it("accepts a valid event, with or without a timezone offset", () => {
    expect(parseJsonDomainEvent(bytes(good))).toEqual({ ok: true, value: good });
    expect(parseJsonDomainEvent(bytes({ ...good, timestamp: "2026-03-20T12:00:00.123+02:00" })).ok).toBe(true);
  });

  it.each([
    ["an empty value", null, /empty/],
    ["bad JSON", "{not json", /invalid JSON/],
    ["a JSON array", [1, 2], /\(root\)/],
    ["a missing id", { ...good, id: undefined }, /^id:/],
    ["an unknown event", { ...good, event: "task.exploded" }, /event: unknown event type/],
    ["a bad timestamp", { ...good, timestamp: "yesterday" }, /timestamp/],
    ["a missing organization", { ...good, organizationId: "" }, /organizationId/],
    ["non-object data", { ...good, data: "text" }, /data/],
    ["null data", { ...good, data: null }, /data/],
    ["data without its id", { ...good, data: { changes: {} } }, /^\/data\/id: is required$/],
    ["a task.updated without changes", { ...good, data: { id: "tsk_1" } }, /^\/data\/changes: is required$/],
    ["a mistyped field the guide shows", { ...good, data: { id: "tsk_1", changes: {}, assignee: { id: 7 } } }, /^\/data\/assignee\/id: expected string, received number$/],
  ])("refuses %s with a reason", (_label, value, reason) => {
    const result = parseJsonDomainEvent(value === null ? null : bytes(value));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});
