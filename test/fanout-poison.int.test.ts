import { randomBytes } from "node:crypto";
import { TOPIC_MAX_MESSAGE_BYTES } from "@agiletune/shared";
import { domainEvent, type Pipeline, pipelineTest as test, readTopic, type Receiver } from "@agiletune/testing";
import { expect } from "vitest";

// Poison from the real broker: an event that is not JSON, just under the events topic's
// 8 MiB. The topic took it, but the invalid topic refuses it with the set-aside headers
// added (MESSAGE_TOO_LARGE, every time), so the usual invalid-event path can never succeed.
const nearTheLimit = TOPIC_MAX_MESSAGE_BYTES - 150;

/** Produces a good event, `poison` and two good events, in this order on one partition; returns the good events. */
async function surroundPoison(pipeline: Pipeline, topic: string, poison: Buffer) {
  const before = domainEvent({ organizationId: "org_poison" });
  const after = [domainEvent({ organizationId: "org_poison" }), domainEvent({ organizationId: "org_poison" })];
  // One key, so one partition (one send each: together they pass the limit).
  for (const value of [JSON.stringify(before), poison, ...after.map((e) => JSON.stringify(e))]) {
    await pipeline.producer.send({ topic, messages: [{ key: "org_poison", value }] });
  }
  return [before, ...after];
}

async function expectDeliveredInOrder(pipeline: Pipeline, receiver: Receiver, events: Array<{ data: Record<string, unknown> }>) {
  await receiver.waitFor((all) => all.length >= events.length, 60_000);
  await pipeline.waitUntilIdle(60_000);
  // The chunk's first try produced the good events' jobs before the refusal, so a job may
  // come twice (at least once, as always); each event is delivered, in order.
  const delivered = [...new Set(receiver.forPath("/poison").map((r) => JSON.parse(r.body).data.id as string))];
  expect(delivered).toEqual(events.map((e) => e.data.id));
}

test("an event whose fan-out fails for good is set aside, unchanged and naming the error, and the rest of its partition is delivered", async ({ kafka, topics, startPipeline, startReceiver }) => {
  const receiver = await startReceiver();
  const pipeline = await startPipeline();
  await pipeline.createWebhook({ url: receiver.url("/poison"), organizationId: "org_poison" });
  const poison = Buffer.alloc(nearTheLimit, "x");
  const good = await surroundPoison(pipeline, topics.events, poison);

  const [setAside] = await readTopic(kafka, topics.eventsInvalid, 1, 60_000);
  expect(Buffer.compare(setAside!.value ?? Buffer.alloc(0), poison)).toBe(0);
  expect(setAside!.key?.toString()).toBe("org_poison");
  expect(setAside!.headers["x-error"]).toMatch(/^could not be fanned out: record_refused \(MESSAGE_TOO_LARGE\): /);
  expect(setAside!.headers["x-original-topic"]).toBe(topics.events);
  await expectDeliveredInOrder(pipeline, receiver, good);
});

test("an event the invalid topic refuses even compressed is noted there without its value, saying where it is, and the partition moves on", async ({ kafka, topics, startPipeline, startReceiver }) => {
  const receiver = await startReceiver();
  const pipeline = await startPipeline();
  await pipeline.createWebhook({ url: receiver.url("/poison"), organizationId: "org_poison" });
  // Random bytes do not compress: GZIP makes them larger still.
  const poison = randomBytes(nearTheLimit);
  poison[0] = 0x7b;
  const good = await surroundPoison(pipeline, topics.events, poison);

  const [noted] = await readTopic(kafka, topics.eventsInvalid, 1, 60_000);
  expect(noted!.value).toBeNull();
  expect(noted!.headers["x-error"]).toMatch(
    /^could not be fanned out: record_refused \(MESSAGE_TOO_LARGE\): .*; its value is left out, the invalid topic refused it too: record_refused \(MESSAGE_TOO_LARGE\): /,
  );
  expect([noted!.headers["x-original-topic"], noted!.headers["x-original-offset"]]).toEqual([topics.events, "1"]);
  await expectDeliveredInOrder(pipeline, receiver, good);
});
