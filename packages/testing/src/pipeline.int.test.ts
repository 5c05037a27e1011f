import { expect } from "vitest";
import { pipelineTest as test } from "./fixtures.js";
import { domainEvent } from "./test-data.js";

// Tests assert that nothing more arrived once the pipeline is idle: idle must not come
// while a retry is still to be made.
test("waitUntilIdle returns only once a failed attempt's retry has been made", async ({ startPipeline, startReceiver }) => {
  const receiver = await startReceiver((_req, count) => (count === 1 ? { status: 503 } : { status: 200 }));
  const pipeline = await startPipeline({ retryDelaysMs: [1_500, 1_500, 1_500, 1_500, 1_500] });
  await pipeline.createWebhook({ url: receiver.url("/retried") });
  await pipeline.produceEvents([domainEvent()]);

  await pipeline.waitUntilIdle();

  expect(receiver.requests.map((r) => r.path)).toEqual(["/retried", "/retried"]);
  expect(receiver.requests[1]!.receivedAt - receiver.requests[0]!.receivedAt).toBeGreaterThanOrEqual(1_450);
});
