// GET .../stats and GET .../deliveries (search) on the real database: what they answer for
// buckets written the dispatcher's way (addToStats), and the clear 4xx for bad input.
import { addAttempt, addToStats, emptyTally, type OutcomeClass, type StatsEntry, type StatsInterval } from "@agiletune/shared";
import { apiTest as test } from "@agiletune/testing";
import { expect } from "vitest";

const hook = { url: "https://hooks.example.com/in", contentType: "json", events: ["task.created"] };
const MINUTE = 60_000;

function entry(webhookId: string, interval: StatsInterval, start: number, attempts: Array<[OutcomeClass, number]>): StatsEntry {
  const tally = emptyTally();
  for (const [outcome, durationMs] of attempts) addAttempt(tally, { outcome, durationMs });
  return { key: { webhookId, organizationId: "org_a", interval, start }, tally };
}

test("statistics: buckets of the asked interval in [from, to), counts and percentiles; written twice, they add up", async ({ api, mongo }) => {
  const webhook = (await api.request("POST", "/v1/organizations/org_a/webhooks", { body: hook })).json;
  const t0 = Date.parse("2026-03-20T12:00:00.000Z");
  const first = entry(webhook.id, "minute", t0, [
    ["2xx", 20],
    ["2xx", 30],
    ["5xx", 400],
  ]);
  // Two dispatchers' flushes of one minute, and the next minute.
  expect(await addToStats(mongo.db, [first, entry(webhook.id, "minute", t0, [["timeout", 31_000]]), entry(webhook.id, "minute", t0 + MINUTE, [["4xx", 5]])])).toEqual({ left: [] });
  await addToStats(mongo.db, [entry(webhook.id, "hour", t0, [["connection", 3]])]);

  const base = `/v1/organizations/org_a/webhooks/${webhook.id}/stats`;
  // `from` inside a minute takes that minute; `to` is exclusive.
  const res = await api.request("GET", `${base}?interval=minute&from=2026-03-20T12:00:30Z&to=2026-03-20T12:02:00Z`);
  expect(res.status).toBe(200);
  expect(res.json.items).toEqual([
    {
      start: "2026-03-20T12:00:00.000Z",
      attempts: 4,
      succeeded: 2,
      failed: 2,
      byOutcome: { "2xx": 2, "3xx": 0, "4xx": 0, "5xx": 1, timeout: 1, connection: 0 },
      latencyMs: { p50: 50, p95: 30_800, p99: 30_960 },
    },
    {
      start: "2026-03-20T12:01:00.000Z",
      attempts: 1,
      succeeded: 0,
      failed: 1,
      byOutcome: { "2xx": 0, "3xx": 0, "4xx": 1, "5xx": 0, timeout: 0, connection: 0 },
      latencyMs: { p50: 3, p95: 5, p99: 5 },
    },
  ]);
  expect((await api.request("GET", `${base}?interval=minute&from=2026-03-20T12:00:30Z&to=2026-03-20T12:01:00Z`)).json.items).toHaveLength(1);
  // Another interval's buckets are apart; the default interval is hour, ending now.
  expect((await api.request("GET", `${base}?interval=hour&from=2026-03-20T11:00:00Z&to=2026-03-20T13:00:00Z`)).json.items.map((b: { attempts: number }) => b.attempts)).toEqual([1]);
  api.clockAt(new Date(t0 + 30 * MINUTE));
  expect((await api.request("GET", base)).json.items).toHaveLength(1);
  api.clockAt(null);
});

test("statistics and search refuse bad input with a 4xx naming the field", async ({ api }) => {
  const webhook = (await api.request("POST", "/v1/organizations/org_a/webhooks", { body: hook })).json;
  const base = `/v1/organizations/org_a/webhooks/${webhook.id}/stats`;
  const refused = async (path: string, status: number, details?: unknown) => {
    const res = await api.request("GET", path);
    expect(res.status, JSON.stringify(res.json)).toBe(status);
    if (details !== undefined) expect(res.json.error.details).toEqual(details);
  };
  await refused(`${base}?interval=week`, 422, [{ field: "query.interval", message: "must be one of minute, hour, day" }]);
  await refused(`${base}?from=2026-03-20T13:00:00Z&to=2026-03-20T12:00:00Z`, 422, [{ field: "query.from", message: "must be before to" }]);
  await refused(`${base}?from=2026-03-20T12:00:00Z&to=2026-03-20T12:00:00Z`, 422, [{ field: "query.from", message: "must be before to" }]);
  await refused(`${base}?from=yesterday`, 422, [{ field: "query.from", message: "must be an ISO 8601 date-time, e.g. 2026-03-20T12:00:00Z" }]);
  await refused(`${base}?interval=minute&from=2026-03-18T00:00:00Z&to=2026-03-20T00:00:00Z`, 422, [
    { field: "query.from", message: "the range holds 2880 minutes; at most 1500 per request: use a shorter range or a longer interval" },
  ]);
  await refused(`${base}?interval=hour&interval=day`, 422, [{ field: "query.interval", message: "must be given once" }]);
  // A `to` in the future with no `from`: the default range before it, not an error.
  expect((await api.request("GET", `${base}?to=2099-01-01T00:00:00Z`)).status).toBe(200);
  await refused("/v1/organizations/org_a/webhooks/wh_missing/stats", 404);
  const otherKey = await api.createOrgKey("org_b");
  expect((await api.request("GET", base, { token: otherKey })).status).toBe(403);
  expect((await api.request("GET", "/v1/organizations/org_a/deliveries?eventId=evt_1", { token: otherKey })).status).toBe(403);

  await refused("/v1/organizations/org_a/deliveries", 422, [{ field: "query.eventId", message: "give eventId or deliveryId (or both)" }]);
  await refused("/v1/organizations/org_a/deliveries?deliveryId=not%20an%20id", 422, [{ field: "query.deliveryId", message: "is not a valid id" }]);
  // Nothing found is an empty list, not an error.
  expect((await api.request("GET", "/v1/organizations/org_a/deliveries?eventId=evt_unknown")).json).toEqual({ items: [], nextCursor: null });
});
