import { COLLECTIONS } from "@agiletune/shared";
import { apiTest as test, readTopic, type TestApi } from "@agiletune/testing";
import type { Kafka } from "kafkajs";
import { expect } from "vitest";
import { sweepExpiredIdempotencyKeys } from "../idempotency.js";

const ORG = "/v1/organizations/org_a";
const taskUpdated = { event: "task.updated", data: { id: "tsk_1", title: "Implement login page", changes: { status: { from: "todo", to: "in_progress" } } } };
const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/** Everything on the events topic: `count` messages, then on to the end (a duplicate would show). */
async function eventsOnTopic(kafka: Kafka, topic: string, count: number) {
  return (await readTopic(kafka, topic, count)).map((m) => ({ key: m.key?.toString(), event: JSON.parse(m.value!.toString()), headers: m.headers }));
}

const publish = (api: TestApi, body: unknown, headers: Record<string, string> = {}, token?: string) => api.request("POST", `${ORG}/events`, { body, headers, ...(token && { token }) });

test("an event is produced keyed by its organization, with the path's organization, a generated id and time, and the request's trace context; 202 once the broker has it", async ({
  api,
  kafka,
  topics,
}) => {
  api.clockAt(new Date("2026-03-20T12:00:00.000Z"));
  const res = await publish(api, { ...taskUpdated, orderingKey: "prj_1" }, { traceparent, tracestate: "vendor=1" });
  expect(res.status).toBe(202);
  expect(res.json).toEqual({ id: expect.stringMatching(/^evt_[0-9a-f]{24}$/) });
  const given = await publish(api, { ...taskUpdated, id: "evt_upstream_1", timestamp: "2026-03-19T08:00:00+02:00" }, { traceparent: "not-a-traceparent" });
  expect([given.status, given.json]).toEqual([202, { id: "evt_upstream_1" }]);

  // Data goes on as sent, even a key a copied object would lose.
  const odd = await api.request("POST", `${ORG}/events`, { rawBody: '{"event":"project.created","data":{"id":"prj_1","__proto__":{"x":1}}}', headers: { "content-type": "application/json" } });
  expect(odd.status).toBe(202);

  const [first, second, third, ...more] = await eventsOnTopic(kafka, topics.events, 3);
  expect(more).toEqual([]);
  expect(third!.event.data).toEqual(JSON.parse('{"id":"prj_1","__proto__":{"x":1}}'));
  expect(Object.keys(third!.event.data)).toEqual(["id", "__proto__"]);
  expect(first).toEqual({
    key: "org_a",
    event: { id: res.json.id, event: "task.updated", timestamp: "2026-03-20T12:00:00.000Z", organizationId: "org_a", data: taskUpdated.data, orderingKey: "prj_1" },
    headers: { traceparent, tracestate: "vendor=1" },
  });
  expect(second).toEqual({
    key: "org_a",
    event: { id: "evt_upstream_1", event: "task.updated", timestamp: "2026-03-19T08:00:00+02:00", organizationId: "org_a", data: taskUpdated.data },
    headers: {},
  });
});

test("concurrent requests with one Idempotency-Key, on two admin API instances, produce exactly one event and all answer its id", async ({ api, startApi, kafka, topics }) => {
  const other = await startApi();
  const headers = { "idempotency-key": "order-42-created" };
  const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => publish(i % 2 ? other : api, taskUpdated, headers)));
  expect(answers.map((a) => a.status)).toEqual(Array(12).fill(202));
  const ids = new Set(answers.map((a) => a.json.id));
  expect(ids.size).toBe(1);
  expect(answers.filter((a) => a.headers["idempotent-replayed"] === "false")).toHaveLength(1);
  // A later repeat: the first answer, nothing produced. Another organization's same key is its own.
  const later = await publish(other, taskUpdated, headers);
  expect([later.status, later.json, later.headers["idempotent-replayed"]]).toEqual([202, { id: [...ids][0] }, "true"]);
  const elsewhere = await api.request("POST", "/v1/organizations/org_b/events", { body: taskUpdated, headers });
  expect(elsewhere.status).toBe(202);

  const onTopic = await eventsOnTopic(kafka, topics.events, 2);
  expect(onTopic.map((m) => [m.key, m.event.id]).sort()).toEqual([
    ["org_a", [...ids][0]],
    ["org_b", elsewhere.json.id],
  ]);
});

test("a key reused with another body is refused with 409, on either route; a malformed key is a 422", async ({ api, kafka, topics }) => {
  const headers = { "idempotency-key": "k1" };
  expect((await publish(api, taskUpdated, headers)).status).toBe(202);
  const reused = await publish(api, { ...taskUpdated, data: { ...taskUpdated.data, title: "Another" } }, headers);
  expect(reused.status).toBe(409);
  expect(reused.json.error.code).toBe("idempotency_key_reused");
  // The same key on the batch route is another request too.
  expect((await api.request("POST", `${ORG}/events/batch`, { body: { events: [taskUpdated] }, headers })).json.error.code).toBe("idempotency_key_reused");
  for (const bad of ["x".repeat(256), "café-1", "tab\there"]) {
    const res = await publish(api, taskUpdated, { "idempotency-key": bad });
    expect([res.status, res.json.error.details]).toEqual([422, [{ field: "header.Idempotency-Key", message: "must be 1 to 255 printable ASCII characters" }]]);
  }
  expect(await eventsOnTopic(kafka, topics.events, 1)).toHaveLength(1);
});

test("a key expires after 24 h: a repeat then produces again; the sweep deletes what expired", async ({ api, kafka, topics, mongo }) => {
  const t0 = Date.parse("2026-03-20T12:00:00Z");
  const headers = { "idempotency-key": "nightly-sync" };
  api.clockAt(new Date(t0));
  const first = await publish(api, taskUpdated, headers);
  api.clockAt(new Date(t0 + 24 * 3600_000 - 1000));
  expect((await publish(api, taskUpdated, headers)).json).toEqual(first.json);
  api.clockAt(new Date(t0 + 24 * 3600_000));
  const after = await publish(api, taskUpdated, headers);
  expect([after.status, after.headers["idempotent-replayed"]]).toEqual([202, "false"]);
  expect(after.json.id).not.toBe(first.json.id);
  expect((await eventsOnTopic(kafka, topics.events, 2)).map((m) => m.event.id)).toEqual([first.json.id, after.json.id]);

  const keys = mongo.db.collection(COLLECTIONS.idempotencyKeys);
  // The first claim went when the key was claimed afresh; its completion is left to the sweep.
  expect(await sweepExpiredIdempotencyKeys(mongo.db, new Date(t0 + 48 * 3600_000 - 1000))).toBe(1);
  expect(await sweepExpiredIdempotencyKeys(mongo.db, new Date(t0 + 48 * 3600_000))).toBe(2);
  expect(await keys.countDocuments()).toBe(0);
  expect(await mongo.db.collection(COLLECTIONS.idempotencyCompletions).countDocuments()).toBe(0);
});

test("schema failures answer 422 with a JSON pointer per problem and produce nothing", async ({ api, kafka, topics }) => {
  const res = await publish(api, { event: "task.updated", data: { id: 7, assignee: { name: "Jane" } }, organizationId: "org_b" });
  expect(res.status).toBe(422);
  expect(res.json.error.details).toEqual([
    { field: "organizationId", pointer: "/organizationId", message: "is not a known field" },
    { field: "data.id", pointer: "/data/id", message: "expected string, received number" },
    { field: "data.assignee.id", pointer: "/data/assignee/id", message: "is required" },
    { field: "data.changes", pointer: "/data/changes", message: "is required" },
  ]);
  const unknown = await publish(api, { event: "task.exploded", data: {} });
  expect(unknown.json.error.details).toEqual([{ field: "event", pointer: "/event", message: "unknown event type" }]);
  const noBody = await api.request("POST", `${ORG}/events`);
  expect([noBody.status, noBody.json.error.details[0].pointer]).toEqual([422, ""]);

  const marker = await publish(api, { event: "project.created", data: { id: "prj_marker" } });
  expect((await eventsOnTopic(kafka, topics.events, 1)).map((m) => m.event.id)).toEqual([marker.json.id]);
});

test("a batch is checked whole before anything is produced: all of it, in order, or none", async ({ api, kafka, topics }) => {
  const batch = (events: unknown[], headers: Record<string, string> = {}) => api.request("POST", `${ORG}/events/batch`, { body: { events }, headers });
  const good = [taskUpdated, { event: "comment.created", data: { id: "cmt_1" }, id: "evt_c1" }, { event: "member.added", data: { id: "usr_1" } }];
  const refused = await batch([...good, { event: "task.moved", data: { id: "tsk_2" } }, { event: "project.created", data: {} }]);
  expect(refused.status).toBe(422);
  expect(refused.json.error.details).toEqual([
    { field: "events.3.data.changes", pointer: "/events/3/data/changes", message: "is required" },
    { field: "events.4.data.id", pointer: "/events/4/data/id", message: "is required" },
  ]);
  const tooMany = await batch(Array(101).fill(taskUpdated));
  expect([tooMany.status, tooMany.json.error.details[0].pointer]).toEqual([422, "/events"]);
  expect((await batch([])).status).toBe(422);

  const accepted = await batch(good, { "idempotency-key": "batch-1" });
  expect(accepted.status).toBe(202);
  expect(accepted.json.ids).toHaveLength(3);
  expect(accepted.json.ids[1]).toBe("evt_c1");
  expect((await batch(good, { "idempotency-key": "batch-1" })).json).toEqual(accepted.json);
  const onTopic = await eventsOnTopic(kafka, topics.events, 3);
  expect(onTopic.map((m) => [m.key, m.event.id, m.event.event])).toEqual([
    ["org_a", accepted.json.ids[0], "task.updated"],
    ["org_a", "evt_c1", "comment.created"],
    ["org_a", accepted.json.ids[2], "member.added"],
  ]);
});

test("an organization key publishes for its own organization only; a portal session not at all", async ({ api, kafka, topics }) => {
  const token = await api.createOrgKey("org_a");
  const own = await publish(api, taskUpdated, {}, token);
  expect(own.status).toBe(202);
  const other = await api.request("POST", "/v1/organizations/org_b/events", { body: taskUpdated, token });
  expect([other.status, other.json.error.code]).toEqual([403, "forbidden"]);
  const otherBatch = await api.request("POST", "/v1/organizations/org_b/events/batch", { body: { events: [taskUpdated] }, token });
  expect(otherBatch.status).toBe(403);
  expect((await api.request("POST", `${ORG}/events`, { body: taskUpdated, token: null })).status).toBe(401);
  // A portal session is a person on the settings page, not a service: it may not publish.
  const portal = await api.request("POST", "/v1/organizations/org_a/portal-sessions", { body: { user: { id: "usr_1" } } });
  const exchanged = await api.request("POST", "/v1/portal-sessions/exchange", { token: null, body: { link: (portal.json.url as string).split("#")[1] } });
  const byPortal = await api.request("POST", "/v1/organizations/org_a/events", { body: taskUpdated, token: exchanged.json.token as string });
  expect([byPortal.status, byPortal.json.error.code]).toEqual([403, "forbidden"]);
  expect((await eventsOnTopic(kafka, topics.events, 1)).map((m) => [m.key, m.event.organizationId, m.event.id])).toEqual([["org_a", "org_a", own.json.id]]);
});
