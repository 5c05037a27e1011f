// docs/endpoint-health.md: what a receiver's trouble does. Real broker, real database, real receivers on loopback.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { attemptsCollection, attemptsInside, countByStatus, deliveriesCollection, deliveryIdFor, loadAttempts, webhooksCollection } from "@agiletune/shared";
import { domainEvent, pipelineTest as test, readTopic, waitFor } from "@agiletune/testing";
import { afterEach, expect } from "vitest";
import { recoverDeliveries } from "../services/admin-api/src/recover.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
const LADDER = [1_000, 2_000, 3_000, 4_000, 5_000];

test("a 429 or 503 with Retry-After (seconds or an HTTP date) delays the next attempt past the ladder; the header is recorded; over 12 h is capped", async ({
  mongo,
  startPipeline,
  startReceiver,
}) => {
  const httpDate = () => new Date(Date.now() + 4_000).toUTCString();
  const receiver = await startReceiver((req, count) => {
    if (count > 1) return { status: 200 };
    if (req.path === "/seconds") return { status: 429, headers: { "retry-after": "3" } };
    if (req.path === "/date") return { status: 503, headers: { "retry-after": httpDate() } };
    return { status: 429, headers: { "retry-after": "999999" } };
  });
  const pipeline = await startPipeline({ retryDelaysMs: LADDER });
  const hooks = {
    seconds: await pipeline.createWebhook({ url: receiver.url("/seconds") }),
    date: await pipeline.createWebhook({ url: receiver.url("/date") }),
    capped: await pipeline.createWebhook({ url: receiver.url("/capped") }),
  };
  const event = domainEvent();
  await pipeline.produceEvents([event]);
  await receiver.waitFor(() => receiver.forPath("/seconds").length >= 2 && receiver.forPath("/date").length >= 2, 30_000);

  const gap = (path: string) => receiver.forPath(path)[1]!.receivedAt - receiver.forPath(path)[0]!.receivedAt;
  // The ladder alone would retry after 1 s.
  expect(gap("/seconds")).toBeGreaterThanOrEqual(3_000 - 50);
  expect(gap("/date")).toBeGreaterThanOrEqual(3_000 - 50);
  const attempts = await loadAttempts(mongo.db, (await deliveriesCollection(mongo.db).findOne({ _id: deliveryIdFor(event.id, hooks.seconds._id) }))!);
  expect(attempts[0]).toMatchObject({ outcome: "failed", response: { status: 429 }, retryAfter: "3" });

  // 999999 s is capped at 12 h: retrying, due no later than 12 h after the failure, and not sent again meanwhile.
  const capped = await deliveriesCollection(mongo.db).findOne({ _id: deliveryIdFor(event.id, hooks.capped._id) });
  expect(capped).toMatchObject({ status: "retrying" });
  const failedAt = receiver.forPath("/capped")[0]!.receivedAt;
  expect(capped!.nextAttemptAt!.getTime()).toBeGreaterThan(failedAt + 12 * 3_600_000 - 60_000);
  expect(capped!.nextAttemptAt!.getTime()).toBeLessThanOrEqual(failedAt + 12 * 3_600_000 + 60_000);
  expect(receiver.forPath("/capped")).toHaveLength(1);
});

/** A receiver on a fixed loopback port that can go down (connection refused) and come back. */
async function switchableReceiver() {
  const received: Array<{ deliveryId: string; at: number }> = [];
  const handler = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
    // Counted as the request arrives: the order in which they were sent.
    received.push({ deliveryId: String(req.headers["x-agiletune-delivery"]), at: Date.now() });
    req.resume();
    req.on("end", () => res.writeHead(200).end("ok"));
  };
  let server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    down: close,
    async up() {
      server = createServer(handler);
      await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    },
    close,
  };
}

/**
 * The most arrivals a receiver in this process may count in one second at `perSecond`: the
 * limit plus 10 %, and at least 2. Arrivals are timestamped by the test process, whose event
 * loop the dispatcher shares; a stall on the loaded 2-core machine bunches a few (seen: 52
 * at 50/s). Without the limiter a backlog arrives hundreds at once, so this still fails then.
 */
function allowedInOneSecond(perSecond: number): number {
  return perSecond + Math.max(2, Math.floor(perSecond * 0.1));
}

/** Most requests in any window of one second. */
function mostInOneSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return Math.max(0, ...sorted.map((t) => sorted.filter((u) => u >= t && u < t + 1_000).length));
}

test("410 Gone deactivates the webhook at once, cancels what waits for it, sends nothing more and tells the organization", async ({ kafka, mongo, topics, startPipeline, startReceiver }) => {
  const receiver = await startReceiver((req) => (req.path === "/gone" ? { status: 410 } : { status: 200 }));
  const pipeline = await startPipeline({ retryDelaysMs: LADDER, maxInFlightPerEndpoint: 1 });
  const gone = await pipeline.createWebhook({ url: receiver.url("/gone") });
  const events = Array.from({ length: 20 }, () => domainEvent());
  await pipeline.produceEvents(events);
  await expect.poll(async () => deliveriesCollection(mongo.db).countDocuments({ webhookId: gone._id, status: "cancelled" }), { timeout: 20_000 }).toBe(20);
  await expect.poll(async () => webhooksCollection(mongo.db).findOne({ _id: gone._id }), { timeout: 10_000 }).toMatchObject({ active: false, health: "disabled", healthReason: "gone" });
  // One request at a time to it: the first 410 ends it, a request already waiting may still have gone.
  expect(receiver.forPath("/gone").length).toBeLessThanOrEqual(2);
  const first = await deliveriesCollection(mongo.db).findOne({ _id: deliveryIdFor(events[0]!.id, gone._id) });
  expect(first!.statusReason).toMatch(/410 Gone/);
  const [notification] = await readTopic(kafka, topics.notifications, 1);
  expect(JSON.parse(String(notification!.value))).toMatchObject({ type: "webhook.disabled", organizationId: "org_1", webhookId: gone._id, url: receiver.url("/gone"), reason: "gone" });
  expect(String(notification!.key)).toBe("org_1");
});

test("a dead endpoint gets threshold + probes requests, its deliveries park; back up, each arrives once, oldest first, within its rate limit", { timeout: 180_000 }, async ({
  kafka,
  mongo,
  topics,
  logger,
  startPipeline,
}) => {
  const receiver = await switchableReceiver();
  cleanups.push(receiver.close);
  await receiver.down();
  const threshold = 5;
  const perEndpoint = 4;
  const pipeline = await startPipeline({ retryDelaysMs: LADDER, maxInFlightPerEndpoint: perEndpoint, health: { failureThreshold: threshold, probeIntervalMs: 1_000 } });
  const hook = await pipeline.createWebhook({ url: receiver.url, rateLimitPerSecond: 50 });
  const events = Array.from({ length: 500 }, () => domainEvent());
  await pipeline.produceEvents(events);
  // A failed probe takes one out (retrying) until it parks again, so all 500 are waiting and at most one is not parked.
  await waitFor(
    async () => {
      const byStatus = await countByStatus(mongo.db, hook._id);
      const waiting = (byStatus.parked ?? 0) + (byStatus.retrying ?? 0);
      return waiting === 500 && Object.keys(byStatus).every((s) => s === "parked" || s === "retrying") && (byStatus.parked ?? 0) >= 499;
    },
    { timeout: 60_000, interval: 200, message: async () => `all 500 parked but for a probe's: ${JSON.stringify(await countByStatus(mongo.db, hook._id))}` },
  );
  // It stays down through two probes (1 s after the circuit opened, then 2 s later): each fails and keeps it open.
  await expect.poll(() => pipeline.metric("webhook_circuit_probes_total"), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
  expect(Object.keys(await countByStatus(mongo.db, hook._id)).every((s) => s === "parked" || s === "retrying")).toBe(true);
  // Attempts are counted before probes: a probe is counted when made, before its attempt is logged.
  const requestsWhileDown =
    (await attemptsCollection(mongo.db).countDocuments({ webhookId: hook._id })) + (await deliveriesCollection(mongo.db).countDocuments({ webhookId: hook._id, firstAttemptId: { $exists: true } }));
  const probes = await pipeline.metric("webhook_circuit_probes_total");
  logger.info({ requestsWhileDown, probes }, "dead endpoint");
  // Requests already started when the threshold was reached finish too: at most perEndpoint - 1 of them.
  expect(requestsWhileDown).toBeGreaterThanOrEqual(threshold);
  expect(requestsWhileDown).toBeLessThanOrEqual(threshold + perEndpoint - 1 + probes);
  expect(await webhooksCollection(mongo.db).findOne({ _id: hook._id })).toMatchObject({ health: "failing", circuit: { state: "open" } });

  await receiver.up();
  await expect.poll(() => new Set(receiver.received.map((r) => r.deliveryId)).size, { timeout: 60_000, interval: 500 }).toBe(500);
  await expect.poll(async () => (await webhooksCollection(mongo.db).findOne({ _id: hook._id }))?.circuit ?? null, { timeout: 10_000 }).toBeNull();
  const ids = receiver.received.map((r) => r.deliveryId);
  const duplicates = ids.length - new Set(ids).size;
  logger.info({ duplicates, received: ids.length }, "at-least-once duplicates after recovery");
  expect(new Set(ids)).toEqual(new Set(events.map((e) => deliveryIdFor(e.id, hook._id))));
  // At least once, and here exactly once: every parked delivery is released once.
  expect(duplicates).toBe(0);
  // Released oldest first (by the log's createdAt), pages of them handed to the gate in
  // order; up to perEndpoint go at once and the rate limiter may wake them in any order, so
  // under load one lands a few places from its turn (7-8 seen at perEndpoint 4), never far:
  // released at random, 491 would be ~160 places off on average. Deliveries attempted while it was down are
  // left out: each continues its own ladder, and may be between tiers when the drain starts.
  const attemptedWhileDown = new Set(
    (await attemptsCollection(mongo.db).distinct("deliveryId", { webhookId: hook._id, outcome: "failed" })).concat(
      (
        await deliveriesCollection(mongo.db)
          .find({ webhookId: hook._id, firstAttemptId: { $exists: true } })
          .toArray()
      )
        .filter((d) => attemptsInside(d)[0]?.outcome === "failed")
        .map((d) => d._id),
    ),
  );
  const created = (await deliveriesCollection(mongo.db).find({ webhookId: hook._id }).sort({ createdAt: 1, _id: 1 }).toArray()).map((d) => d._id).filter((id) => !attemptedWhileDown.has(id));
  const firstSeen = [...new Set(ids)].filter((id) => !attemptedWhileDown.has(id));
  const displacement = Math.max(...firstSeen.map((id, i) => Math.abs(i - created.indexOf(id))));
  logger.info({ displacement, attemptedWhileDown: attemptedWhileDown.size }, "release order");
  expect(displacement).toBeLessThanOrEqual(3 * perEndpoint);
  expect(mostInOneSecond(receiver.received.map((r) => r.at))).toBeLessThanOrEqual(allowedInOneSecond(50));
  expect(await webhooksCollection(mongo.db).findOne({ _id: hook._id })).toMatchObject({ health: "healthy", healthReason: null, failingSince: null });
  expect(await deliveriesCollection(mongo.db).countDocuments({ webhookId: hook._id, status: "succeeded" })).toBe(500);
  const notifications = (await readTopic(kafka, topics.notifications, 2)).map((m) => JSON.parse(String(m.value)).type);
  expect(notifications).toEqual(["webhook.failing", "webhook.recovered"]);
});

test("a webhook failing for longer than DISABLE_AFTER is disabled and its parked deliveries fail; re-activated, a recover delivers them with their own ids", { timeout: 90_000 }, async ({
  kafka,
  mongo,
  topics,
  logger,
  startPipeline,
  startReceiver,
}) => {
  const receiver = await startReceiver(() => ({ status: 500 }));
  const pipeline = await startPipeline({ retryDelaysMs: LADDER, maxInFlightPerEndpoint: 1, health: { failureThreshold: 2, probeIntervalMs: 500, disableAfterMs: 3_000 } });
  const hook = await pipeline.createWebhook({ url: receiver.url("/broken") });
  await pipeline.produceEvents(Array.from({ length: 10 }, () => domainEvent()));
  await expect.poll(async () => (await webhooksCollection(mongo.db).findOne({ _id: hook._id }))?.health, { timeout: 30_000 }).toBe("disabled");
  expect(await webhooksCollection(mongo.db).findOne({ _id: hook._id })).toMatchObject({ active: false, healthReason: "failing-too-long" });
  await expect.poll(async () => (await countByStatus(mongo.db, hook._id)).parked ?? 0, { timeout: 10_000 }).toBe(0);
  const statuses = await countByStatus(mongo.db, hook._id);
  expect(Object.keys(statuses).every((s) => s === "failed" || s === "cancelled" || s === "retrying")).toBe(true);
  expect(statuses.failed ?? 0).toBeGreaterThan(0);
  const types = (await readTopic(kafka, topics.notifications, 2)).map((m) => JSON.parse(String(m.value)).type);
  expect(types).toEqual(["webhook.failing", "webhook.disabled"]);

  // Fixed and re-activated (what PATCH active: true writes; the route is tested in webhooks.int.test.ts), then recovered.
  receiver.setResponder(() => ({ status: 200 }));
  await webhooksCollection(mongo.db).updateOne({ _id: hook._id }, { $set: { active: true, health: "healthy", healthReason: null, failingSince: null, circuit: null, updatedAt: new Date() } });
  await expect.poll(async () => deliveriesCollection(mongo.db).countDocuments({ webhookId: hook._id, status: { $in: ["retrying", "pending"] } }), { timeout: 30_000 }).toBe(0);
  const lost = await deliveriesCollection(mongo.db)
    .find({ webhookId: hook._id, status: { $in: ["failed", "cancelled"] } })
    .toArray();
  expect(lost.length).toBe(10 - (await deliveriesCollection(mongo.db).countDocuments({ webhookId: hook._id, status: "succeeded" })));
  const before = receiver.requests.length;
  const { matched } = await recoverDeliveries({ db: mongo.db, producer: pipeline.producer, topics, logger }, (await webhooksCollection(mongo.db).findOne({ _id: hook._id }))!, new Date(0));
  expect(matched).toBe(lost.length);
  await receiver.waitFor((all) => all.length >= before + lost.length, 30_000);
  const recovered = receiver.requests.slice(before).map((r) => r.headers["x-agiletune-delivery"]);
  expect(new Set(recovered)).toEqual(new Set(lost.map((d) => d._id)));
  await expect.poll(async () => deliveriesCollection(mongo.db).countDocuments({ webhookId: hook._id, status: "succeeded" }), { timeout: 15_000 }).toBe(10);
  expect(await webhooksCollection(mongo.db).findOne({ _id: hook._id })).toMatchObject({ active: true, health: "healthy" });
});

test("a hanging endpoint's circuit opens and its deliveries park, while other webhooks keep flowing", { timeout: 90_000 }, async ({ mongo, startPipeline, startReceiver }) => {
  const receiver = await startReceiver((req) => (req.path === "/hanging" ? "hang" : { status: 200 }));
  const perEndpoint = 4;
  const pipeline = await startPipeline({ retryDelaysMs: LADDER, deliveryTimeoutMs: 2_000, maxInFlightPerEndpoint: perEndpoint, health: { failureThreshold: 3, probeIntervalMs: 60_000 } });
  const hanging = await pipeline.createWebhook({ url: receiver.url("/hanging") });
  const healthy = await Promise.all(Array.from({ length: 10 }, (_, i) => pipeline.createWebhook({ url: receiver.url(`/ok-${i}`) })));
  await pipeline.produceEvents(Array.from({ length: 50 }, () => domainEvent()));
  // Every healthy webhook gets all 50 while the hanging one times out and parks.
  await receiver.waitFor((all) => all.filter((r) => r.path.startsWith("/ok-")).length >= 500, 30_000);
  await expect.poll(async () => (await countByStatus(mongo.db, hanging._id)).parked ?? 0, { timeout: 30_000 }).toBeGreaterThanOrEqual(50 - 3 - perEndpoint);
  expect(receiver.forPath("/hanging").length).toBeLessThanOrEqual(3 + perEndpoint - 1);
  expect(await webhooksCollection(mongo.db).findOne({ _id: hanging._id })).toMatchObject({ health: "failing", circuit: { state: "open" } });
  // The log is written after each response, through the batched writer: it may trail the receiver.
  for (const hook of healthy) {
    await expect.poll(() => deliveriesCollection(mongo.db).countDocuments({ webhookId: hook._id, status: "succeeded" }), { timeout: 10_000 }).toBe(50);
  }
});

test("rateLimitPerSecond holds at the receiver across a rebalance onto a second dispatcher, while another webhook runs at full speed", { timeout: 120_000 }, async ({
  mongo,
  logger,
  startPipeline,
  startReceiver,
}) => {
  const receiver = await startReceiver(() => ({ status: 200 }));
  const first = await startPipeline({ retryDelaysMs: LADDER });
  const limited = await first.createWebhook({ url: receiver.url("/limited"), rateLimitPerSecond: 10 });
  await first.createWebhook({ url: receiver.url("/free") });
  const events = Array.from({ length: 120 }, () => domainEvent());
  await first.produceEvents(events);
  await receiver.waitFor(() => receiver.forPath("/limited").length >= 20, 20_000);
  // A second instance of every service joins the groups: partitions move between them.
  await startPipeline({ retryDelaysMs: LADDER, encryptionKey: first.encryptionKey });
  await receiver
    .waitFor(() => new Set(receiver.forPath("/limited").map((r) => r.headers["x-agiletune-delivery"])).size >= 120, 60_000)
    .catch(async (err) => {
      const statuses = await deliveriesCollection(mongo.db)
        .aggregate([{ $match: { webhookId: limited._id } }, { $group: { _id: "$status", n: { $sum: 1 } } }])
        .toArray();
      throw new Error(`${(err as Error).message}; limited deliveries by status: ${JSON.stringify(statuses)}`);
    });

  const limitedTimes = receiver.forPath("/limited").map((r) => r.receivedAt);
  const freeTimes = receiver.forPath("/free").map((r) => r.receivedAt);
  const ids = receiver.forPath("/limited").map((r) => String(r.headers["x-agiletune-delivery"]));
  logger.info({ mostInOneSecond: mostInOneSecond(limitedTimes), duplicates: ids.length - new Set(ids).size }, "rate limit across a rebalance");
  expect(mostInOneSecond(limitedTimes)).toBeLessThanOrEqual(allowedInOneSecond(10));
  expect(new Set(freeTimes).size).toBeGreaterThan(0);
  // The free webhook was not held to the limited one's pace: all 120 long before the limited ones.
  expect(receiver.forPath("/free").length).toBeGreaterThanOrEqual(120);
  expect(Math.max(...freeTimes)).toBeLessThan(Math.max(...limitedTimes) - 5_000);
  await expect.poll(async () => deliveriesCollection(mongo.db).countDocuments({ webhookId: limited._id, status: "succeeded" }), { timeout: 10_000 }).toBe(120);
});
