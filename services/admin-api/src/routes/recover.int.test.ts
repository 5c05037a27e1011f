// docs/endpoint-health.md "Recover": the route and `pnpm dlq -- recover` against the real broker and
// database, reading back what lands on the deliveries topic.
import {
  COLLECTIONS,
  deadLettersCollection,
  deliveriesCollection,
  deliveryIdFor,
  newDeliveryEntry,
  payloadFrom,
  storedPayloadOf,
  type DeliveryDoc,
  type DeliveryJob,
  type DeliveryStatus,
} from "@agiletune/shared";
import kafkajs from "kafkajs";
import { pino } from "pino";
import { expect } from "vitest";
import { parseDlqArgs, runDlqCommand, type DlqCommand } from "../dlq-cli.js";
import { apiTest as test } from "@agiletune/testing";
import { consumeJobs } from "@agiletune/testing";
import { startTestApi } from "@agiletune/testing/harness";

const hook = { url: "https://hooks.example.com/in", contentType: "json", events: ["*"] };
const T0 = new Date("2026-03-20T12:00:00.000Z");
const SINCE = new Date(T0.getTime() - 3_600_000);

/** A log entry as the dispatcher leaves it, `offsetMs` after SINCE, with the payload it keeps unless `payload: false`. */
function entry(webhookId: string, n: number, status: DeliveryStatus, offsetMs: number, opts: { payload?: boolean; organizationId?: string; data?: Record<string, unknown> } = {}): DeliveryDoc {
  const eventId = `evt_${n}`;
  const at = new Date(SINCE.getTime() + offsetMs);
  const job = { deliveryId: deliveryIdFor(eventId, webhookId), webhookId, organizationId: opts.organizationId ?? "org_a", eventId, event: "task.updated" };
  return newDeliveryEntry(job, at, {
    status,
    statusReason: status === "failed" ? "retries exhausted" : status === "cancelled" ? "the webhook was deactivated" : null,
    updatedAt: new Date(at.getTime() + 500),
    ...(opts.payload !== false && { payload: storedPayloadOf({ event: "task.updated", timestamp: at.toISOString(), data: opts.data ?? { n } }) }),
  });
}

function command(argv: string[]): Exclude<DlqCommand, { command: "help" }> {
  const cmd = parseDlqArgs(argv, T0);
  if (cmd.command === "help") throw new Error("unexpected help");
  return cmd;
}

test("recover resends exactly the failed and cancelled deliveries since a time, once, with their ids and a fresh ladder; route and CLI alike", async ({ api, mongo, kafka, topics }) => {
  api.clockAt(T0);
  const keyA = await api.createOrgKey("org_a");
  const keyB = await api.createOrgKey("org_b");
  const webhook = (await api.request("POST", "/v1/organizations/org_a/webhooks", { body: hook, token: keyA })).json;
  const other = (await api.request("POST", "/v1/organizations/org_a/webhooks", { body: hook, token: keyA })).json;
  const path = `/v1/organizations/org_a/webhooks/${webhook.id}/recover`;
  const wh = webhook.id as string;

  const log = {
    older: entry(wh, 1, "failed", -1), // created just before since
    atSince: entry(wh, 2, "failed", 0), // `since` is inclusive
    failed: entry(wh, 3, "failed", 60_000),
    cancelled: entry(wh, 4, "cancelled", 120_000),
    succeeded: entry(wh, 5, "succeeded", 130_000),
    retrying: entry(wh, 6, "retrying", 140_000),
    parked: entry(wh, 7, "parked", 150_000),
    pending: entry(wh, 8, "pending", 160_000),
    noPayload: entry(wh, 9, "cancelled", 170_000, { payload: false }), // cancelled before any attempt, in older data
    otherWebhook: entry(other.id, 10, "failed", 60_000),
    otherOrg: entry(wh, 11, "failed", 60_000, { organizationId: "org_b" }),
  };
  // The same delivery id under another organization cannot exist; give it its own.
  log.otherOrg._id = "dlv_other_org";
  await deliveriesCollection(mongo.db).insertMany(Object.values(log));
  // The failed one was dead-lettered too (as the dispatcher records it).
  await deadLettersCollection(mongo.db).insertOne({
    _id: log.failed._id,
    organizationId: "org_a",
    webhookId: wh,
    event: "task.updated",
    eventId: "evt_3",
    job: { deliveryId: log.failed._id, webhookId: wh, organizationId: "org_a", eventId: "evt_3", event: "task.updated", timestamp: "t", data: {}, attempt: 5, source: "event", enqueuedAt: 1 },
    lastError: "HTTP 500",
    deadLetteredAt: new Date(log.failed.createdAt.getTime() + 3_000),
    replayedAt: null,
    replayCount: 0,
  });

  // Refusals first: nothing may be sent by them.
  const expect422 = async (body: unknown, details: unknown) => {
    const res = await api.request("POST", path, { body, token: keyA });
    expect([res.status, res.json.error.code, res.json.error.details]).toEqual([422, "validation_failed", details]);
  };
  await expect422({}, [{ field: "since", message: "is required" }]);
  await expect422({ since: "yesterday" }, [{ field: "since", message: "must be an ISO 8601 date-time, e.g. 2026-03-20T12:00:00Z" }]);
  await expect422({ since: "2026-03-20T12:00:00.001Z" }, [{ field: "since", message: "must not be in the future (now is 2026-03-20T12:00:00.000Z)" }]);
  await expect422({ since: SINCE.toISOString(), dryRun: true }, [{ field: "dryRun", message: "is not a known field" }]);
  expect((await api.request("POST", path, { token: keyA })).json.error.details).toEqual([{ field: "(body)", message: "a JSON object body is required" }]);
  expect((await api.request("POST", path, { rawBody: "{since", token: keyA })).status).toBe(400);
  // Another organization's key: its path is forbidden, and through its own path the webhook does not exist.
  expect((await api.request("POST", path, { body: { since: SINCE.toISOString() }, token: keyB })).status).toBe(403);
  expect((await api.request("POST", `/v1/organizations/org_b/webhooks/${wh}/recover`, { body: { since: SINCE.toISOString() }, token: keyB })).status).toBe(404);
  expect((await api.request("POST", "/v1/organizations/org_a/webhooks/wh_000000000000000000000000/recover", { body: { since: SINCE.toISOString() }, token: keyA })).status).toBe(404);
  expect((await api.request("POST", path, { body: { since: SINCE.toISOString() }, token: null })).status).toBe(401);
  // Inactive: the dispatcher would only cancel them again.
  await api.request("PATCH", `/v1/organizations/org_a/webhooks/${wh}`, { body: { active: false }, token: keyA });
  const inactive = await api.request("POST", path, { body: { since: SINCE.toISOString() }, token: keyA });
  expect([inactive.status, inactive.json.error]).toEqual([409, { code: "conflict", message: "the webhook is inactive; activate it (PATCH active: true) first", details: [] }]);
  await api.request("PATCH", `/v1/organizations/org_a/webhooks/${wh}`, { body: { active: true }, token: keyA });
  expect(await deliveriesCollection(mongo.db).countDocuments({ status: "pending" })).toBe(1);

  // The recover: three sent, the one without a payload skipped and logged.
  const recovered = await api.request("POST", path, { body: { since: SINCE.toISOString() }, token: keyA });
  expect([recovered.status, recovered.json]).toEqual([202, { matched: 3 }]);
  const sent = [log.atSince, log.failed, log.cancelled];
  const stored = await deliveriesCollection(mongo.db).find({}).toArray();
  const byId = new Map(stored.map((d) => [d._id, d]));
  for (const d of sent) expect(byId.get(d._id)).toMatchObject({ status: "pending", statusReason: "recovered at 2026-03-20T12:00:00.000Z", nextAttemptAt: null, updatedAt: T0 });
  for (const d of [log.older, log.succeeded, log.retrying, log.parked, log.noPayload, log.otherWebhook, log.otherOrg]) expect(byId.get(d._id), d.eventId).toEqual(d);
  expect(await deadLettersCollection(mongo.db).findOne({ _id: log.failed._id })).toMatchObject({ replayedAt: T0, replayCount: 1 });
  const skippedLine = api.logLines.find((l) => l.includes("cannot be recovered"));
  expect(skippedLine).toContain(log.noPayload._id);
  expect(skippedLine).toContain('"level":40');

  // Right after: nothing more to send.
  api.clockAt(new Date(T0.getTime() + 1000));
  expect((await api.request("POST", path, { body: { since: SINCE.toISOString() }, token: keyA })).json).toEqual({ matched: 0 });
  // The operator token may recover any organization's webhook.
  expect((await api.request("POST", path, { body: { since: SINCE.toISOString() } })).json).toEqual({ matched: 0 });

  // The CLI shares the code: one of them failed again since (a fresh log write), and is recovered once more.
  await deliveriesCollection(mongo.db).updateOne({ _id: log.cancelled._id }, { $set: { status: "failed", statusReason: "retries exhausted", updatedAt: new Date(T0.getTime() + 5000) } });
  const out: string[] = [];
  const cliAt = new Date(T0.getTime() + 9000);
  const deps = { db: mongo.db, producer: api.producer, topics, logger: pino({ level: "silent" }), out: (l: string) => out.push(l), clock: () => cliAt };
  await runDlqCommand(command(["--", "recover", "--webhook", wh, "--org", "org_a", "--since", SINCE.toISOString()]), deps);
  expect(out).toEqual([`recovered 1 deliveries of ${wh} into ${topics.deliveries}; 1 skipped (no stored payload to send)`]);
  await runDlqCommand(command(["recover", "--webhook", wh, "--org", "org_a", "--since", SINCE.toISOString(), "--json"]), deps);
  expect(out[1]).toBe(JSON.stringify({ matched: 0, skipped: 1 }));
  await expect(runDlqCommand(command(["recover", "--webhook", wh, "--org", "org_b", "--since", SINCE.toISOString()]), deps)).rejects.toThrow(`webhook ${wh} not found in organization org_b`);
  await api.request("PATCH", `/v1/organizations/org_a/webhooks/${wh}`, { body: { active: false }, token: keyA });
  await expect(runDlqCommand(command(["recover", "--webhook", wh, "--org", "org_a", "--since", SINCE.toISOString()]), deps)).rejects.toThrow("the webhook is inactive");
  // Each recover the command line made is audited as its own; the refused ones are not.
  const byCli = await mongo.db.collection(COLLECTIONS.auditLog).find({ "actor.id": "dlq-cli" }).toArray();
  expect(byCli.map((e) => [e.action, e.organizationId, e.target, e.at.getTime()])).toEqual(Array(2).fill(["webhook.recovered", "org_a", { type: "webhook", id: wh }, cliAt.getTime()]));

  // On the topic: four jobs, keyed by webhook, each its delivery's own id and stored payload, at attempt 0.
  const jobs = await consumeJobs(kafka, topics.deliveries, 4);
  expect(jobs).toHaveLength(4);
  const expected = (d: DeliveryDoc, enqueuedAt: Date): { key: string; job: DeliveryJob } => ({
    key: wh,
    job: {
      deliveryId: d._id,
      webhookId: wh,
      organizationId: "org_a",
      eventId: d.eventId,
      event: "task.updated",
      timestamp: payloadFrom(d)!.timestamp,
      data: payloadFrom(d)!.data,
      attempt: 0,
      source: "replay",
      enqueuedAt: enqueuedAt.getTime(),
    },
  });
  // Oldest first within the webhook's partition.
  expect(jobs).toEqual([...sent.map((d) => expected(d, T0)), expected(log.cancelled, cliAt)]);
});

test("recovers more deliveries than one batch holds, large ones in size-bounded requests, each exactly once", async ({ api, mongo, kafka, topics }) => {
  api.clockAt(T0);
  const wh = (await api.request("POST", "/v1/organizations/org_a/webhooks", { body: hook })).json.id as string;
  // 75 failed or cancelled deliveries: two batches; four of ~600 KB, together over a 1 MB produce request.
  const many = Array.from({ length: 75 }, (_, i) => entry(wh, i, i % 2 ? "failed" : "cancelled", i * 1000, { data: i % 20 === 0 ? { n: i, text: "x".repeat(600_000) } : { n: i } }));
  await deliveriesCollection(mongo.db).insertMany(many);
  const res = await api.request("POST", `/v1/organizations/org_a/webhooks/${wh}/recover`, { body: { since: SINCE.toISOString() } });
  expect([res.status, res.json]).toEqual([202, { matched: 75 }]);
  const jobs = await consumeJobs(kafka, topics.deliveries, 75);
  expect(jobs.map((j) => j.job.deliveryId)).toEqual(many.map((d) => d._id));
  expect(jobs.filter((j) => typeof j.job.data.text === "string").map((j) => (j.job.data.text as string).length)).toEqual(Array(4).fill(600_000));
  expect(await deliveriesCollection(mongo.db).countDocuments({ status: "pending", statusReason: "recovered at 2026-03-20T12:00:00.000Z" })).toBe(75);
  expect((await api.request("POST", `/v1/organizations/org_a/webhooks/${wh}/recover`, { body: { since: SINCE.toISOString() } })).json).toEqual({ matched: 0 });
});

test("a recover the broker does not take answers 503 and leaves the deliveries as they were", async ({ mongo, kafka, topics }) => {
  const brokerAway = async () => Promise.reject(new kafkajs.KafkaJSConnectionError("broker away", { broker: "127.0.0.1:9092" }));
  const api = await startTestApi({ db: mongo.db, kafka, topics, producer: { send: brokerAway, sendBatch: brokerAway } });
  try {
    api.clockAt(T0);
    const wh = (await api.request("POST", "/v1/organizations/org_a/webhooks", { body: hook })).json.id as string;
    const failed = entry(wh, 1, "failed", 1000);
    await deliveriesCollection(mongo.db).insertOne(failed);
    const res = await api.request("POST", `/v1/organizations/org_a/webhooks/${wh}/recover`, { body: { since: SINCE.toISOString() } });
    expect([res.status, res.json.error.code]).toEqual([503, "unavailable"]);
    expect(await deliveriesCollection(mongo.db).findOne({ _id: failed._id })).toEqual(failed);
  } finally {
    await api.close();
  }
});
