// The tier consumer against the real broker, its time on a ManualClock: a job is handed
// back when the clock says it is due, not before, and without the test waiting that long.
import { createProducer, encodeDeliveryJob, ManualClock, type DeliveryJob } from "@agiletune/shared";
import { consumeJobs, integrationTest as test, waitFor } from "@agiletune/testing";
import { Counter, Histogram, Registry } from "prom-client";
import { expect } from "vitest";
import { startTierConsumer } from "./tier-consumer.js";

function job(n: number, dueAt: number): DeliveryJob {
  return {
    deliveryId: `dlv_${n}`,
    webhookId: "wh_1",
    organizationId: "org_1",
    eventId: `evt_${n}`,
    event: "task.created",
    timestamp: "2026-01-01T00:00:00Z",
    data: { n },
    attempt: 1,
    source: "event",
    dueAt,
    enqueuedAt: dueAt - 60_000,
  };
}

test("hands a job back to the deliveries topic when the clock reaches its due time, in order, and holds the rest", async ({ kafka, topics, testId, logger }) => {
  const clock = new ManualClock();
  const t0 = clock.now();
  const registry = new Registry();
  const metrics = {
    handedBack: new Counter({ name: "handed_back", help: "-", labelNames: ["tier"], registers: [registry] }),
    lateness: new Histogram({ name: "lateness", help: "-", labelNames: ["tier"], registers: [registry] }),
  };
  const producer = createProducer(kafka);
  const admin = kafka.admin();
  await Promise.all([producer.connect(), admin.connect()]);
  const tier = await startTierConsumer({ kafka, producer, tierTopic: topics.retries[0]!, deliveriesTopic: topics.deliveries, groupId: `${testId}-retry`, logger, metrics, clock });
  try {
    /** Jobs on the deliveries topic so far. */
    const handedBack = async () => (await admin.fetchTopicOffsets(topics.deliveries)).reduce((sum, p) => sum + Number(p.high), 0);
    // One key, one partition: one already due, then two due 3 s and 5 s from now.
    await producer.send({
      topic: topics.retries[0]!,
      messages: [job(1, t0 - 1_000), job(2, t0 + 3_000), job(3, t0 + 5_000)].map((j) => ({ key: "wh_1", value: encodeDeliveryJob(j) })),
    });

    // The partition is held once the due job is back: one wait on the clock, one job handed back.
    await waitFor(() => clock.pending === 1, { message: "the tier to hold its partition" });
    expect(await handedBack()).toBe(1);

    await clock.advance(2_999);
    expect(clock.pending).toBe(1);
    expect(await handedBack()).toBe(1);

    await clock.advance(1);
    // Resumed, the partition is fetched again: job 2 goes back, job 3 holds it anew.
    await waitFor(async () => (await handedBack()) === 2 && clock.pending === 1, { message: "job 2 handed back and job 3 held" });

    await clock.advance(2_000);
    await waitFor(async () => (await handedBack()) === 3, { message: "job 3 handed back" });
    const jobs = await consumeJobs(kafka, topics.deliveries, 3);
    expect(jobs.map((j) => j.job.deliveryId)).toEqual(["dlv_1", "dlv_2", "dlv_3"]);
    expect(jobs.every((j) => j.key === "wh_1")).toBe(true);
    // Lateness is measured on the same clock: 1 s for the job already overdue, none for the others.
    const exposition = await registry.metrics();
    expect(/^lateness_sum\{[^}]*\} (\S+)$/m.exec(exposition)?.[1]).toBe("1");
    expect(/^handed_back\{[^}]*\} (\S+)$/m.exec(exposition)?.[1]).toBe("3");
  } finally {
    await tier.stop();
    await Promise.all([producer.disconnect(), admin.disconnect()]);
  }
});
