// CONTRACT §8: what a receiver's trouble does. Real broker, real database, real receivers on loopback.
import { deliveriesCollection, deliveryIdFor, loadAttempts } from "@agiletune/shared";
import { integrationTest as test } from "@agiletune/local-infra/fixtures";
import { startReceiver } from "@agiletune/local-infra/receiver";
import { afterEach, expect } from "vitest";
import { domainEvent, startPipeline } from "./support/pipeline.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
const LADDER = [1_000, 2_000, 3_000, 4_000, 5_000];

test("a 429 or 503 with Retry-After (seconds or an HTTP date) delays the next attempt past the ladder; the header is recorded; over 12 h is capped", async ({ kafka, mongo, topics, logger, testId }) => {
  const httpDate = () => new Date(Date.now() + 4_000).toUTCString();
  const receiver = await startReceiver((req, count) => {
    if (count > 1) return { status: 200 };
    if (req.path === "/seconds") return { status: 429, headers: { "retry-after": "3" } };
    if (req.path === "/date") return { status: 503, headers: { "retry-after": httpDate() } };
    return { status: 429, headers: { "retry-after": "999999" } };
  });
  cleanups.push(receiver.close);
  const pipeline = await startPipeline({ kafka, db: mongo.db, topics, logger, testId, retryDelaysMs: LADDER });
  cleanups.push(pipeline.stop);
  const hooks = { seconds: await pipeline.createWebhook({ url: receiver.url("/seconds") }), date: await pipeline.createWebhook({ url: receiver.url("/date") }), capped: await pipeline.createWebhook({ url: receiver.url("/capped") }) };
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
