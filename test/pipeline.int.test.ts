import { agileTuneSignature, deliveriesCollection, deliveryIdFor, EVENT_TYPES, standardWebhookSignature } from "@agiletune/shared";
import { integrationTest as test } from "@agiletune/local-infra/fixtures";
import { startReceiver } from "@agiletune/local-infra/receiver";
import { afterEach, expect } from "vitest";
import { verifySignature } from "../packages/shared/src/fixtures/user-guide-verify-signature.js";
import { domainEvent, startPipeline } from "./support/pipeline.js";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

test("each of the eight event types reaches a subscribed endpoint with the exact body and headers", async ({ kafka, mongo, topics, logger, testId }) => {
  const receiver = await startReceiver();
  cleanups.push(receiver.close);
  const pipeline = await startPipeline({ kafka, db: mongo.db, topics, logger, testId });
  cleanups.push(pipeline.stop);
  const jsonHook = await pipeline.createWebhook({ url: receiver.url("/json"), events: ["*"] });
  const formHook = await pipeline.createWebhook({ url: receiver.url("/form"), events: ["*"], contentType: "form" });

  const events = EVENT_TYPES.map((type) => domainEvent({ event: type, data: { id: `x_${type}`, note: "ünïcødé ✓ & = ?" } }));
  await pipeline.produceEvents(events);
  await receiver.waitFor((all) => all.length >= 16);
  expect(receiver.requests).toHaveLength(16);

  for (const event of events) {
    const json = receiver.forPath("/json").find((r) => r.headers["x-agiletune-event"] === event.event)!;
    const expectedBody = JSON.stringify({ event: event.event, timestamp: event.timestamp, data: event.data });
    expect(json.method).toBe("POST");
    expect(json.body).toBe(expectedBody);
    expect(json.headers["content-type"]).toBe("application/json");
    expect(json.headers["user-agent"]).toMatch(/^AgileTune-Webhooks\/\d+\.\d+\.\d+$/);
    expect(json.headers["x-agiletune-delivery"]).toBe(deliveryIdFor(event.id, jsonHook._id));
    expect(verifySignature(json.body, String(json.headers["x-agiletune-signature"]), jsonHook.secret)).toBe(true);
    expect(json.headers["webhook-id"]).toBe(json.headers["x-agiletune-delivery"]);
    const timestamp = Number(json.headers["webhook-timestamp"]);
    expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);
    expect(json.headers["webhook-signature"]).toBe(standardWebhookSignature(String(json.headers["webhook-id"]), timestamp, json.body, jsonHook.secret));

    const form = receiver.forPath("/form").find((r) => r.headers["x-agiletune-event"] === event.event)!;
    expect(form.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(form.body).toBe(`payload=${encodeURIComponent(expectedBody)}`);
    expect(new URLSearchParams(form.body).get("payload")).toBe(expectedBody);
    expect(verifySignature(form.body, String(form.headers["x-agiletune-signature"]), formHook.secret)).toBe(true);
    expect(agileTuneSignature(form.body, formHook.secret)).toBe(form.headers["x-agiletune-signature"]);
  }

  // Every delivery is in the log as succeeded, with its one attempt.
  await expect.poll(async () => deliveriesCollection(mongo.db).countDocuments({ status: "succeeded" }), { timeout: 10_000 }).toBe(16);
  const logged = await deliveriesCollection(mongo.db).findOne({ _id: deliveryIdFor(events[0]!.id, jsonHook._id) });
  expect(logged).toMatchObject({ webhookId: jsonHook._id, eventId: events[0]!.id, event: events[0]!.event, status: "succeeded" });
  expect(logged!.attempts).toHaveLength(1);
  expect(logged!.attempts[0]).toMatchObject({ attempt: 0, outcome: "succeeded", response: { status: 200, body: "ok" } });
});
