import { createProducer } from "@agiletune/shared";
import { integrationTest as test } from "@agiletune/testing";
import { expect } from "vitest";
import { buildPingJob } from "./delivery-jobs.js";
import { ApiError } from "./errors.js";
import { produceJob } from "./routes/context.js";
import { consumeJobs } from "@agiletune/testing";

const job = buildPingJob({ _id: "wh_1", organizationId: "org_a" }, new Date("2026-03-20T12:00:00Z"));

test("produceJob on the real broker: the job lands keyed by webhook id; a refusal kafkajs calls non-retriable is a 500, a disconnected producer a 503", async ({ kafka, topics }) => {
  const producer = createProducer(kafka);
  await producer.connect();
  try {
    await produceJob({ producer, topics }, job);
    expect(await consumeJobs(kafka, topics.deliveries, 1)).toEqual([{ key: "wh_1", job }]);

    // The broker refuses the topic name (INVALID_TOPIC_EXCEPTION): the same request would fail again.
    const refused = await produceJob({ producer, topics: { deliveries: "not a topic!" } }, job).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 500, code: "internal", cause: { retriable: false } });
  } finally {
    await producer.disconnect();
  }

  // After a disconnect kafkajs refuses sends with a retriable error: the caller may try again.
  const away = await produceJob({ producer, topics }, job).catch((e: unknown) => e);
  expect(away).toMatchObject({ status: 503, code: "unavailable", message: "the delivery queue is unavailable; try again", cause: { retriable: true } });
});
