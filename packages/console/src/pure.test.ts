import { describe, expect, it } from "vitest";
import { describeError, ApiError } from "./api.js";
import { prettyBody } from "./body.js";
import { hourlyBuckets, lastDelivered, totals } from "./chart.js";
import { groupEventTypes } from "./events.js";
import { fieldErrors } from "./field-errors.js";
import { formatDuration, fromLocalInput, healthReasonText, healthTone, isUnsettled, recoverOutcome, relativeTime, statusLook, toLocalInput } from "./format.js";
import { matchRoute, paths } from "./routes.js";
import type { DeliverySummary } from "./api.js";

const HOUR = 3_600_000;

function delivery(fields: Partial<DeliverySummary>): DeliverySummary {
  return {
    id: "dlv_1",
    webhookId: "wh_1",
    eventId: "evt_1",
    event: "task.created",
    status: "succeeded",
    attemptCount: 1,
    lastAttemptAt: null,
    lastResponseStatus: 200,
    nextAttemptAt: null,
    statusReason: null,
    heldBehind: null,
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
    ...fields,
  };
}

describe("the 24 h chart", () => {
  const now = Date.UTC(2026, 2, 20, 12, 30);
  it("counts succeeded and failed deliveries per hour, oldest hour first, and nothing older than 24 h", () => {
    const at = (msAgo: number) => new Date(now - msAgo).toISOString();
    const buckets = hourlyBuckets(
      [
        delivery({ createdAt: at(60_000), status: "succeeded" }),
        delivery({ createdAt: at(120_000), status: "failed" }),
        delivery({ createdAt: at(2 * HOUR), status: "succeeded" }),
        delivery({ createdAt: at(3 * HOUR), status: "retrying" }),
        delivery({ createdAt: at(23 * HOUR), status: "succeeded" }),
        delivery({ createdAt: at(25 * HOUR), status: "failed" }),
      ],
      now,
    );
    expect(buckets).toHaveLength(24);
    expect(buckets[23]).toEqual({ start: Date.UTC(2026, 2, 20, 12), succeeded: 1, failed: 1 });
    expect(buckets[21]).toMatchObject({ succeeded: 1, failed: 0 });
    expect(totals(buckets)).toEqual({ succeeded: 3, failed: 1 });
    expect(buckets[0]!.start).toBe(Date.UTC(2026, 2, 19, 13));
  });

  it("takes the last delivery by its latest attempt, not by creation", () => {
    const older = delivery({ id: "dlv_old", createdAt: new Date(now - HOUR).toISOString(), lastAttemptAt: new Date(now - 1000).toISOString() });
    const newer = delivery({ id: "dlv_new", createdAt: new Date(now - 60_000).toISOString(), lastAttemptAt: new Date(now - 50_000).toISOString() });
    const never = delivery({ id: "dlv_pending", lastAttemptAt: null, status: "pending" });
    expect(lastDelivered([never, newer, older])?.id).toBe("dlv_old");
    expect(lastDelivered([never])).toBeUndefined();
  });
});

describe("field errors of a 422", () => {
  it("puts each detail beside its field and keeps the rest for the top of the form", () => {
    const { byField, other } = fieldErrors([
      { field: "url", message: "must use http or https" },
      { field: "events.1", message: "is not a known event type (see GET /v1/event-types)" },
      { field: "events", message: "must list at most 50 event types" },
      { field: "secret", message: "must be at least 16 characters" },
      { field: "colour", message: "is not a known field" },
      { field: "(body)", message: "a JSON object body is required" },
    ]);
    expect(byField).toEqual({
      url: ["must use http or https"],
      events: ["entry 2 is not a known event type (see GET /v1/event-types)", "must list at most 50 event types"],
      secret: ["must be at least 16 characters"],
    });
    expect(other.map((d) => d.field)).toEqual(["colour", "(body)"]);
  });
});

describe("request bodies", () => {
  it("pretty-prints JSON, decodes a form body's payload, and leaves anything else alone", () => {
    const json = '{"event":"ping","timestamp":"t","data":{"a":[1,"<b>"]}}';
    expect(prettyBody(json)).toEqual({ kind: "json", pretty: JSON.stringify(JSON.parse(json), null, 2) });
    expect(prettyBody(`payload=${encodeURIComponent(json)}`)).toEqual({ kind: "form", pretty: JSON.stringify(JSON.parse(json), null, 2) });
    expect(prettyBody("<img src=x onerror=alert(1)>")).toEqual({ kind: "text", pretty: "<img src=x onerror=alert(1)>" });
    expect(prettyBody("payload=%7Bnot-json")).toEqual({ kind: "text", pretty: "payload=%7Bnot-json" });
  });
});

describe("event groups", () => {
  it("groups the catalogue as Tasks, Comments, Members, Projects, and keeps an unknown prefix", () => {
    const groups = groupEventTypes([
      { event: "task.created", description: "" },
      { event: "member.added", description: "" },
      { event: "comment.created", description: "" },
      { event: "task.moved", description: "" },
      { event: "sprint.started", description: "" },
      { event: "project.created", description: "" },
    ]);
    expect(groups.map((g) => [g.label, g.types.map((t) => t.event)])).toEqual([
      ["Tasks", ["task.created", "task.moved"]],
      ["Comments", ["comment.created"]],
      ["Members", ["member.added"]],
      ["Projects", ["project.created"]],
      ["Other", ["sprint.started"]],
    ]);
  });
});

describe("words the pages show", () => {
  it("has an icon for every status, parked and held included, and a neutral one for a status it does not know", () => {
    for (const status of ["pending", "succeeded", "retrying", "parked", "held", "failed", "cancelled"]) expect(statusLook(status).icon).not.toBe("•");
    expect(new Set(["pending", "succeeded", "retrying", "parked", "held", "failed", "cancelled"].map((s) => statusLook(s).icon)).size).toBe(7);
    expect(statusLook("quarantined")).toEqual({ icon: "•", tone: "off" });
    expect(["pending", "retrying", "parked", "held"].every(isUnsettled)).toBe(true);
    expect(["succeeded", "failed", "cancelled"].some(isUnsettled)).toBe(false);
    expect([healthTone("healthy"), healthTone("failing"), healthTone("disabled"), healthTone("probing")]).toEqual(["ok", "bad", "off", "warn"]);
  });

  it("explains the health reasons docs/endpoint-health.md names as codes, and shows any other as it is", () => {
    expect(healthReasonText("gone")).toBe("the endpoint answered 410 Gone, which asks AgileTune to stop sending");
    expect(healthReasonText("failing-too-long")).toMatch(/^every attempt failed for too long/);
    expect(healthReasonText("retries exhausted; last: http_status: the endpoint answered 500")).toBe("retries exhausted; last: http_status: the endpoint answered 500");
  });

  it("says what a recover did, in the singular when it is one", () => {
    const since = new Date(Date.UTC(2026, 2, 20, 12)).toISOString();
    expect(recoverOutcome(1, since)).toBe("1 delivery sent again, each with its delivery ID and a fresh set of retries; see Recent Deliveries below.");
    expect(recoverOutcome(12, since)).toMatch(/^12 deliveries sent again, /);
    expect(recoverOutcome(0, since)).toMatch(/^No delivery sent again: none failed or was cancelled since .+\.$/);
  });

  it("reads and writes datetime-local values in local time, to the minute", () => {
    const at = new Date(2026, 2, 20, 9, 5, 42).getTime();
    expect(toLocalInput(at)).toBe("2026-03-20T09:05");
    expect(fromLocalInput("2026-03-20T09:05")).toBe(new Date(2026, 2, 20, 9, 5).toISOString());
    expect([fromLocalInput(""), fromLocalInput("2026-13-45T99:99")]).toEqual([undefined, undefined]);
  });

  it("says times and durations briefly", () => {
    const now = Date.UTC(2026, 2, 20, 12);
    expect(relativeTime(new Date(now + 3_200).toISOString(), now)).toBe("in 3 s");
    expect(relativeTime(new Date(now - 5 * 60_000).toISOString(), now)).toBe("5 min ago");
    expect(relativeTime(new Date(now - 2 * HOUR).toISOString(), now)).toBe("2 h ago");
    expect(relativeTime(new Date(now + 300).toISOString(), now)).toBe("now");
    expect([formatDuration(12.4), formatDuration(1_234), formatDuration(12_345), formatDuration(null)]).toEqual(["12 ms", "1.23 s", "12.3 s", "—"]);
  });

  it("turns API errors into sentences, never losing the API's message", () => {
    expect(describeError(new ApiError(404, "not_found", "webhook not found"))).toBe("Webhook not found.");
    expect(describeError(new ApiError(503, "unavailable", "the delivery queue is unavailable; try again"))).toBe("The delivery queue is unavailable; try again. (HTTP 503; try again in a moment.)");
    expect(describeError(new ApiError(0, "network", "Could not reach the admin API (Failed to fetch). Check that it is running and try again."))).toMatch(/^Could not reach/);
    expect(describeError(new TypeError("x is undefined"))).toBe("Something went wrong in the page: x is undefined");
  });
});

describe("routes", () => {
  it("reads every page's path and builds the same paths back", () => {
    expect(matchRoute("/ui/")).toEqual({ name: "home" });
    expect(matchRoute("/ui")).toEqual({ name: "home" });
    expect(matchRoute(paths.webhooks())).toEqual({ name: "webhooks" });
    expect(matchRoute(paths.addWebhook())).toEqual({ name: "add-webhook" });
    expect(matchRoute(paths.webhook("wh_1"))).toEqual({ name: "webhook", webhookId: "wh_1" });
    expect(matchRoute(paths.delivery("wh_1", "dlv_2"))).toEqual({ name: "delivery", webhookId: "wh_1", deliveryId: "dlv_2" });
    expect(matchRoute(paths.deadLetters())).toEqual({ name: "dead-letters" });
    expect(matchRoute(paths.signIn())).toEqual({ name: "sign-in" });
    expect(matchRoute(paths.organization())).toEqual({ name: "organization" });
    expect(matchRoute(paths.activity())).toEqual({ name: "activity" });
    expect(matchRoute(paths.portal())).toEqual({ name: "portal" });
    expect(matchRoute(paths.signedOut())).toEqual({ name: "signed-out" });
    expect(matchRoute("/ui/guide")).toEqual({ name: "guide" });
    expect(matchRoute("/ui/webhooks/wh_1/elsewhere")).toEqual({ name: "not-found" });
    expect(matchRoute("/ui/webhooks/a%2Fb")).toEqual({ name: "webhook", webhookId: "a/b" });
    expect(paths.webhook("a/b")).toBe("/ui/webhooks/a%2Fb");
  });
});
