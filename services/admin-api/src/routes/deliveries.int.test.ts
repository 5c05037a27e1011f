import { attemptsCollection, deliveriesCollection, deliveryIdFor, storedAttempts, storedPayloadOf, type AttemptRecord, type DeliveryDoc } from "@agiletune/shared";
import kafkajs from "kafkajs";
import { expect } from "vitest";
import { apiTest as test, consumeJobs } from "@agiletune/testing";

const hook = { url: "https://hooks.example.com/in", contentType: "json", events: ["task.created", "task.updated"] };

function attempt(n: number, at: Date, status: number): AttemptRecord {
  return {
    attempt: n,
    source: "event",
    startedAt: at,
    durationMs: 12.5,
    outcome: status < 300 ? "succeeded" : "failed",
    request: { url: hook.url, headers: { "content-type": "application/json", "x-agiletune-event": "task.updated" } },
    response: { status, headers: { "content-type": "text/plain" }, body: "nope", bodyTruncated: false },
    error: status < 300 ? null : { code: "http_status", message: `HTTP ${status}` },
  };
}

test("ping, delivery log with filters and pages, one delivery with attempts, redeliver: jobs land on the deliveries topic", async ({ api, mongo, kafka, topics }) => {
  const webhook = (await api.request("POST", "/v1/organizations/org_a/webhooks", { body: hook })).json;
  const base = `/v1/organizations/org_a/webhooks/${webhook.id}`;
  const t0 = new Date("2026-03-20T12:00:00.000Z");

  // Ping: 202 with the delivery id, pending in the log at once.
  api.clockAt(t0);
  const ping = await api.request("POST", `${base}/ping`);
  expect(ping.status).toBe(202);
  const pingId = ping.json.deliveryId as string;
  expect(ping.json).toEqual({ deliveryId: expect.stringMatching(/^dlv_[0-9a-f]{32}$/) });
  const pending = await api.request("GET", `${base}/deliveries/${pingId}`);
  expect(pending.json).toEqual({
    id: pingId,
    webhookId: webhook.id,
    eventId: expect.stringMatching(/^ping_/),
    event: "ping",
    status: "pending",
    attempts: [],
    requestBody: null,
    nextAttemptAt: null,
    statusReason: null,
    heldBehind: null,
    createdAt: t0.toISOString(),
    updatedAt: t0.toISOString(),
  });
  expect(deliveryIdFor(pending.json.eventId, webhook.id)).toBe(pingId);

  // The log as the dispatcher writes it (with the payload it keeps for redelivery).
  const payload = { event: "task.updated", timestamp: "2026-03-19T08:00:00Z", data: { id: "tsk_1", title: "Ünïcode ✓" } };
  const docs: DeliveryDoc[] = [1, 2, 3, 4].map((i) => ({
    _id: deliveryIdFor(`evt_${i}`, webhook.id),
    webhookId: webhook.id,
    organizationId: "org_a",
    eventId: `evt_${i}`,
    event: i === 4 ? "task.created" : "task.updated",
    status: i === 1 ? "succeeded" : "failed",
    // The first attempt inside the entry, a later one apart (as the dispatcher logs them).
    attempts: storedAttempts([i === 1 ? attempt(0, new Date(t0.getTime() - 3000), 200) : attempt(0, new Date(t0.getTime() - 9000), 500)]),
    attemptIds: i === 1 ? [] : [`${deliveryIdFor(`evt_${i}`, webhook.id)}.1.x`],
    lastAttempt: i === 1 ? { startedAt: new Date(t0.getTime() - 3000), responseStatus: 200 } : { startedAt: new Date(t0.getTime() - 8000), responseStatus: 503 },
    nextAttemptAt: null,
    statusReason: i === 1 ? null : "retries exhausted",
    createdAt: new Date(t0.getTime() - 10_000 * i),
    updatedAt: new Date(t0.getTime() - 1000),
    ...(i !== 3 && { payload: storedPayloadOf({ ...payload, event: i === 4 ? "task.created" : "task.updated" }) }),
  }));
  await deliveriesCollection(mongo.db).insertMany(docs);
  await attemptsCollection(mongo.db).insertMany(
    docs.slice(1).map((d) => ({ _id: d.attemptIds![0]!, deliveryId: d._id, webhookId: d.webhookId, organizationId: d.organizationId, ...attempt(1, new Date(t0.getTime() - 8000), 503) })),
  );
  await deliveriesCollection(mongo.db).insertOne({ ...docs[0]!, _id: "dlv_other", webhookId: "wh_other" });

  const all = await api.request("GET", `${base}/deliveries`);
  expect(all.json.items.map((d: { id: string }) => d.id)).toEqual([pingId, ...docs.map((d) => d._id)]);
  expect(all.json.items[1]).toEqual({
    id: docs[0]!._id,
    webhookId: webhook.id,
    eventId: "evt_1",
    event: "task.updated",
    status: "succeeded",
    attemptCount: 1,
    lastAttemptAt: new Date(t0.getTime() - 3000).toISOString(),
    lastResponseStatus: 200,
    nextAttemptAt: null,
    statusReason: null,
    heldBehind: null,
    createdAt: new Date(t0.getTime() - 10_000).toISOString(),
    updatedAt: new Date(t0.getTime() - 1000).toISOString(),
  });
  expect(all.text).not.toContain("tsk_1");
  const failed = await api.request("GET", `${base}/deliveries?status=failed&limit=2`);
  expect(failed.json.items.map((d: { id: string }) => d.id)).toEqual([docs[1]!._id, docs[2]!._id]);
  const failedNext = await api.request("GET", `${base}/deliveries?status=failed&limit=2&cursor=${failed.json.nextCursor}`);
  expect(failedNext.json).toEqual({ items: [expect.objectContaining({ id: docs[3]!._id })], nextCursor: null });
  expect((await api.request("GET", `${base}/deliveries?event=task.created`)).json.items.map((d: { id: string }) => d.id)).toEqual([docs[3]!._id]);
  expect((await api.request("GET", `${base}/deliveries?event=ping&status=pending`)).json.items.map((d: { id: string }) => d.id)).toEqual([pingId]);
  expect((await api.request("GET", `${base}/deliveries?status=lost`)).status).toBe(422);
  expect((await api.request("GET", `${base}/deliveries?event=task.exploded`)).json.error.details).toEqual([{ field: "query.event", message: "is not a known event type" }]);

  const one = await api.request("GET", `${base}/deliveries/${docs[1]!._id}`);
  expect(one.json.attempts).toEqual([
    {
      attempt: 0,
      source: "event",
      startedAt: new Date(t0.getTime() - 9000).toISOString(),
      durationMs: 12.5,
      outcome: "failed",
      request: { url: hook.url, headers: { "content-type": "application/json", "x-agiletune-event": "task.updated" } },
      response: { status: 500, headers: { "content-type": "text/plain" }, body: "nope", bodyTruncated: false },
      error: { code: "http_status", message: "HTTP 500" },
      retryAfter: null,
      // Its request headers have none: logged before attempts sent one (docs/tracing.md).
      traceparent: null,
    },
    expect.objectContaining({ attempt: 1, response: expect.objectContaining({ status: 503 }) }),
  ]);
  expect(one.json).not.toHaveProperty("payload");
  // The body as sent, for the settings page: the stored event as the latest attempt's content type encodes it.
  expect(one.json.requestBody).toBe(JSON.stringify(payload));
  // Logged before payloads were kept: no body to show.
  expect((await api.request("GET", `${base}/deliveries/${docs[2]!._id}`)).json.requestBody).toBeNull();
  expect((await api.request("GET", `${base}/deliveries/dlv_other`)).status).toBe(404);
  expect((await api.request("GET", `${base}/deliveries/dlv_missing`)).status).toBe(404);

  // Redeliver: same delivery id, the stored payload, one manual attempt.
  api.clockAt(new Date(t0.getTime() + 1000));
  const redeliver = await api.request("POST", `${base}/deliveries/${docs[1]!._id}/redeliver`);
  expect([redeliver.status, redeliver.json]).toEqual([202, { deliveryId: docs[1]!._id }]);
  // No payload kept: 409.
  const noPayload = await api.request("POST", `${base}/deliveries/${docs[2]!._id}/redeliver`);
  expect(noPayload.status).toBe(409);
  expect(noPayload.json.error.code).toBe("conflict");
  expect((await api.request("POST", `${base}/deliveries/${docs[1]!._id}/redeliver`, { body: { force: true } })).status).toBe(422);
  expect((await api.request("POST", `${base}/ping`, { body: { x: 1 } })).json.error.details).toEqual([{ field: "x", message: "is not a known field" }]);

  // Inactive webhook: ping and redeliver are refused.
  await api.request("PATCH", base, { body: { active: false } });
  expect((await api.request("POST", `${base}/ping`)).status).toBe(409);
  expect((await api.request("POST", `${base}/deliveries/${docs[1]!._id}/redeliver`)).status).toBe(409);

  const jobs = await consumeJobs(kafka, topics.deliveries, 2);
  expect(jobs).toHaveLength(2);
  const byId = Object.fromEntries(jobs.map((j) => [j.job.source, j]));
  expect(byId.ping).toEqual({
    key: webhook.id,
    job: {
      deliveryId: pingId,
      webhookId: webhook.id,
      organizationId: "org_a",
      eventId: pending.json.eventId,
      event: "ping",
      timestamp: t0.toISOString(),
      data: { webhookId: webhook.id },
      attempt: 0,
      source: "ping",
      enqueuedAt: t0.getTime(),
    },
  });
  expect(byId.redeliver).toEqual({
    key: webhook.id,
    job: { deliveryId: docs[1]!._id, webhookId: webhook.id, organizationId: "org_a", eventId: "evt_2", ...payload, attempt: 2, source: "redeliver", enqueuedAt: t0.getTime() + 1000 },
  });
});

test("a ping the broker does not take answers 503 and leaves no pending delivery behind", async ({ startApi, mongo }) => {
  // What kafkajs throws when the broker's connection fails; it marks it retriable.
  const brokerAway = async () => Promise.reject(new kafkajs.KafkaJSConnectionError("broker away", { broker: "127.0.0.1:9092" }));
  const failing = { send: brokerAway, sendBatch: brokerAway };
  const api = await startApi({ producer: failing });
  const webhook = (await api.request("POST", "/v1/organizations/org_a/webhooks", { body: hook })).json;
  const res = await api.request("POST", `/v1/organizations/org_a/webhooks/${webhook.id}/ping`);
  expect(res.status).toBe(503);
  expect(res.json).toEqual({ error: { code: "unavailable", message: "the delivery queue is unavailable; try again", details: [] } });
  expect(await deliveriesCollection(mongo.db).countDocuments()).toBe(0);
  expect(api.logLines.some((l) => l.includes('"msg":"request failed"') && l.includes("broker away"))).toBe(true);
});
