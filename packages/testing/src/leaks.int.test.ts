import { connectMongo, createKafka, createLogger } from "@agiletune/shared";
import { expect, inject, onTestFailed } from "vitest";
import { integrationTest as test } from "./fixtures.js";
import { LeakError, ResourceTracker } from "./leaks.js";

test("names every Kafka client and MongoClient left open, with where it was made, and closes them", async ({ testId, mongoUrl }) => {
  const tracker = new ResourceTracker();
  const kafka = tracker.kafka(createKafka({ brokers: inject("kafkaBrokers").split(","), clientId: testId, logger: createLogger("test", "silent") }));
  const closed = kafka.producer();
  await closed.connect();
  await closed.disconnect();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: `${testId}-left-open` });
  const admin = kafka.admin();
  await Promise.all([producer.connect(), consumer.connect(), admin.connect()]);
  const mongo = await connectMongo(mongoUrl);
  tracker.mongoClient(mongo.client);

  const error = await tracker.check().catch((err: unknown) => err);

  expect(error).toBeInstanceOf(LeakError);
  const site = String.raw`\(made at packages/testing/src/leaks\.int\.test\.ts:\d+:\d+\)`;
  expect((error as LeakError).leaks).toEqual([
    expect.stringMatching(new RegExp(`^Kafka producer still connected ${site}$`)),
    expect.stringMatching(new RegExp(`^Kafka consumer of group ${testId}-left-open still connected ${site}$`)),
    expect.stringMatching(new RegExp(`^Kafka admin still connected ${site}$`)),
    expect.stringMatching(new RegExp(`^MongoClient ${site}$`)),
  ]);
  // Closed by the check, so that they do not fail the next test too (the fixtures' own
  // check after this test looks at the sockets).
  await expect(tracker.check({ handles: false })).resolves.toBeUndefined();
});

// The fixtures run the check after every test: this one leaves a consumer connected, and
// must fail for it alone (test.fails inverts that); the next test reads why it failed.
const failures: string[] = [];
test.fails("a test that leaves a consumer of the fixtures' Kafka client connected fails", async ({ kafka, testId }) => {
  onTestFailed(({ task }) => {
    failures.push(...(task.result?.errors ?? []).map((e) => e.message));
  });
  const consumer = kafka.consumer({ groupId: `${testId}-forgotten` });
  await consumer.connect();
});

test("… and its failure names the consumer left connected", () => {
  expect(failures).toEqual([
    expect.stringMatching(/^the test left 1 thing\(s\) open:\n {2}Kafka consumer of group t\w+-forgotten still connected \(made at packages\/testing\/src\/leaks\.int\.test\.ts:\d+:\d+\)$/),
  ]);
});

test("a test that closes what it opened passes the check, services included", async ({ kafka, testId, startReceiver }) => {
  const receiver = await startReceiver();
  const consumer = kafka.consumer({ groupId: `${testId}-closed` });
  await consumer.connect();
  await consumer.disconnect();
  expect((await fetch(receiver.url("/x"), { method: "POST", body: "{}" })).status).toBe(200);
});
