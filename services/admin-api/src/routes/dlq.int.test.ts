import { COLLECTIONS, deadLettersCollection, deliveryIdFor, type DeadLetterDoc, type DeliveryJob } from "@agiletune/shared";
import { pino } from "pino";
import { expect } from "vitest";
import { parseDlqArgs, runDlqCommand } from "../dlq-cli.js";
import { apiTest as test, consumeJobs } from "@agiletune/testing";

const T = Date.parse("2026-03-20T00:00:00.000Z");

function deadLetter(i: number, org: string, webhookId: string, event: string): DeadLetterDoc {
  const eventId = `evt_${i}`;
  const job: DeliveryJob = {
    deliveryId: deliveryIdFor(eventId, webhookId),
    webhookId,
    organizationId: org,
    eventId,
    event,
    timestamp: "2026-03-19T00:00:00Z",
    data: { n: i },
    attempt: 5,
    source: "event",
    dueAt: T - 1000,
    enqueuedAt: T - 100_000,
  };
  return { _id: job.deliveryId, organizationId: org, webhookId, event, eventId, job, lastError: "HTTP 500", deadLetteredAt: new Date(T + i * 60_000), replayedAt: null, replayCount: 0 };
}

test("operators list dead letters with filters and replay them once into the deliveries topic, route and CLI alike", async ({ api, mongo, kafka, topics }) => {
  const dls = [
    deadLetter(1, "org_a", "wh_a1", "task.created"),
    deadLetter(2, "org_a", "wh_a1", "task.updated"),
    deadLetter(3, "org_a", "wh_a2", "task.created"),
    deadLetter(4, "org_b", "wh_b1", "task.created"),
    deadLetter(5, "org_a", "wh_a1", "task.created"),
  ];
  await deadLettersCollection(mongo.db).insertMany(dls);
  const ids = (r: { json: { items: Array<{ id: string }> } }) => r.json.items.map((d) => d.id);

  const all = await api.request("GET", "/v1/admin/dlq");
  expect(all.status).toBe(200);
  expect(ids(all)).toEqual([5, 4, 3, 2, 1].map((i) => dls[i - 1]!._id));
  expect(all.json.items[4]).toEqual({
    id: dls[0]!._id,
    deliveryId: dls[0]!._id,
    organizationId: "org_a",
    webhookId: "wh_a1",
    eventId: "evt_1",
    event: "task.created",
    attempt: 5,
    lastError: "HTTP 500",
    deadLetteredAt: new Date(T + 60_000).toISOString(),
    replayedAt: null,
    replayCount: 0,
  });
  expect(all.text).not.toContain('"data"');
  const page1 = await api.request("GET", "/v1/admin/dlq?organizationId=org_a&limit=2");
  expect(ids(page1)).toEqual([dls[4]!._id, dls[2]!._id]);
  const page2 = await api.request("GET", `/v1/admin/dlq?organizationId=org_a&limit=2&cursor=${page1.json.nextCursor}`);
  expect(ids(page2)).toEqual([dls[1]!._id, dls[0]!._id]);
  expect(page2.json.nextCursor).toBeNull();
  const filtered = await api.request("GET", `/v1/admin/dlq?webhookId=wh_a1&event=task.created&from=${new Date(T + 60_000).toISOString()}&to=${new Date(T + 5 * 60_000).toISOString()}`);
  expect(ids(filtered)).toEqual([dls[0]!._id]);
  expect((await api.request("GET", "/v1/admin/dlq?from=2026-03-21T00:00:00Z&to=2026-03-20T00:00:00Z")).json.error.details).toEqual([{ field: "query.from", message: "must be before to" }]);
  expect((await api.request("GET", "/v1/admin/dlq?from=last-week")).status).toBe(422);

  // Dry run counts, writes nothing.
  const dry = await api.request("POST", "/v1/admin/dlq/replay", { body: { organizationId: "org_a", webhookId: "wh_a1", dryRun: true } });
  expect([dry.status, dry.json]).toEqual([200, { dryRun: true, matched: 3, replayed: 0 }]);
  expect(await deadLettersCollection(mongo.db).countDocuments({ replayedAt: { $ne: null } })).toBe(0);
  expect((await api.request("POST", "/v1/admin/dlq/replay", { body: { webhookId: "wh_a1", force: true } })).json.error.details).toEqual([{ field: "force", message: "is not a known field" }]);

  // Replay through the route: wh_a1's three.
  const replayAt = new Date(T + 3600_000);
  api.clockAt(replayAt);
  const replay = await api.request("POST", "/v1/admin/dlq/replay", { body: { organizationId: "org_a", webhookId: "wh_a1" } });
  expect(replay.json).toEqual({ dryRun: false, matched: 3, replayed: 3 });
  const marked = await deadLettersCollection(mongo.db).find({ webhookId: "wh_a1" }).toArray();
  expect(marked.map((d) => [d.replayedAt, d.replayCount])).toEqual([
    [replayAt, 1],
    [replayAt, 1],
    [replayAt, 1],
  ]);
  // Twice: nothing more.
  expect((await api.request("POST", "/v1/admin/dlq/replay", { body: { webhookId: "wh_a1" } })).json).toEqual({ dryRun: false, matched: 0, replayed: 0 });
  // Dead-lettered again (the dispatcher resets replayedAt): replayable again.
  await deadLettersCollection(mongo.db).updateOne({ _id: dls[0]!._id }, { $set: { replayedAt: null, deadLetteredAt: new Date(T + 7200_000) } });

  // The CLI shares the code: replays the rest of org_a since T+2m, and the re-dead-lettered one.
  const out: string[] = [];
  const deps = { db: mongo.db, producer: api.producer, topics, logger: pino({ level: "silent" }), out: (l: string) => out.push(l), clock: () => new Date(T + 9000_000) };
  const dryCmd = parseDlqArgs(["--", "replay", "--org", "org_a", "--since", new Date(T + 2 * 60_000).toISOString(), "--dry-run"]);
  if (dryCmd.command === "help") throw new Error("unexpected");
  await runDlqCommand(dryCmd, deps);
  expect(out).toEqual(["dry run: 2 dead letter(s) would be replayed"]);
  const cmd = parseDlqArgs(["replay", "--org", "org_a", "--since", new Date(T + 2 * 60_000).toISOString(), "--json"]);
  if (cmd.command === "help") throw new Error("unexpected");
  await runDlqCommand(cmd, deps);
  expect(out[1]).toBe(JSON.stringify({ dryRun: false, matched: 2, replayed: 2 }));
  // Audited as the command line's, once: the dry run changed nothing.
  const byCli = await mongo.db.collection(COLLECTIONS.auditLog).find({ "actor.id": "dlq-cli" }).toArray();
  expect(byCli.map((e) => [e.actor.type, e.action, e.organizationId, e.target])).toEqual([["operator", "dead_letters.replayed", "org_a", { type: "dead-letters", id: "org_a" }]]);
  const listCmd = parseDlqArgs(["list", "--webhook", "wh_a1", "--limit", "1"]);
  if (listCmd.command === "help") throw new Error("unexpected");
  await runDlqCommand(listCmd, deps);
  expect(out[2]).toContain(`${dls[0]!._id}  org=org_a webhook=wh_a1 event=task.created replayed=${new Date(T + 9000_000).toISOString()} (2x)  HTTP 500`);
  expect(out[3]).toBe("1 dead letter(s)");
  expect((await deadLettersCollection(mongo.db).findOne({ _id: dls[0]!._id }))?.replayCount).toBe(2);
  expect((await deadLettersCollection(mongo.db).findOne({ _id: dls[3]!._id }))?.replayedAt).toBeNull();

  // Five jobs in all: three from the route, two from the CLI; each at attempt 0, fresh ladder.
  const jobs = await consumeJobs(kafka, topics.deliveries, 5);
  expect(jobs).toHaveLength(5);
  const fromRoute = jobs.filter((j) => j.job.enqueuedAt === replayAt.getTime());
  expect(fromRoute.map((j) => j.job.deliveryId).sort()).toEqual([dls[0]!._id, dls[1]!._id, dls[4]!._id].sort());
  const { dueAt: _dueAt, ...original } = dls[1]!.job;
  expect(fromRoute.find((j) => j.job.deliveryId === dls[1]!._id)).toEqual({ key: "wh_a1", job: { ...original, attempt: 0, source: "replay", enqueuedAt: replayAt.getTime() } });
  for (const { job } of jobs) {
    expect(job).not.toHaveProperty("dueAt");
    expect([job.attempt, job.source]).toEqual([0, "replay"]);
  }
  expect(
    jobs
      .filter((j) => j.job.enqueuedAt === T + 9000_000)
      .map((j) => j.job.deliveryId)
      .sort(),
  ).toEqual([dls[0]!._id, dls[2]!._id].sort());
});

test("replays more dead letters than one batch holds, each exactly once", async ({ api, mongo, kafka, topics }) => {
  const many = Array.from({ length: 60 }, (_, i) => deadLetter(i, "org_a", `wh_${i % 7}`, "task.created"));
  await deadLettersCollection(mongo.db).insertMany(many);
  const res = await api.request("POST", "/v1/admin/dlq/replay", { body: {} });
  expect(res.json).toEqual({ dryRun: false, matched: 60, replayed: 60 });
  const jobs = await consumeJobs(kafka, topics.deliveries, 60);
  expect(new Set(jobs.map((j) => j.job.deliveryId)).size).toBe(60);
  expect(jobs.every((j) => j.key === j.job.webhookId)).toBe(true);
  expect(await deadLettersCollection(mongo.db).countDocuments({ replayCount: 1 })).toBe(60);
});

test("replays dead letters of large events, which together exceed the broker's request limit", async ({ api, mongo, kafka, topics }) => {
  // One webhook, so one partition: 12 × 900 KB in a single produce is over Kafka's 1 MB.
  const large = Array.from({ length: 12 }, (_, i) => {
    const dl = deadLetter(i, "org_a", "wh_large", "task.created");
    return { ...dl, job: { ...dl.job, data: { n: i, text: "x".repeat(900_000) } } };
  });
  await deadLettersCollection(mongo.db).insertMany(large);
  const res = await api.request("POST", "/v1/admin/dlq/replay", { body: { webhookId: "wh_large" } });
  expect(res.json).toEqual({ dryRun: false, matched: 12, replayed: 12 });
  const jobs = await consumeJobs(kafka, topics.deliveries, 12);
  expect(jobs.map((j) => (j.job.data as { n: number }).n).sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
  expect(jobs.every((j) => (j.job.data as { text: string }).text.length === 900_000)).toBe(true);
});
