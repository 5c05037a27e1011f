// A breaker never hurts a live endpoint (docs/endpoint-health.md): endpoints that fail often
// but accept deliveries get everything, are never disabled, and lose nothing to the circuit.
// Real broker, real database, a real receiver on loopback.
import { deliveriesCollection, loadAttempts, webhooksCollection } from "@agiletune/shared";
import { domainEvent, pipelineTest as test } from "@agiletune/testing";
import { expect } from "vitest";

const LADDER = [1_000, 2_000, 3_000, 4_000, 5_000];
const EVENTS = 300;
/** A burst first, as after an upstream outage: more first attempts park than a probe's choice could look through. */
const BURST = 150;
const PER_TICK = 10;
const TICK_MS = 500;

test("an endpoint failing half its requests at random and one refusing every first attempt both get everything, are never disabled, and the healthy one beside them goes on as before", async ({
  mongo,
  startPipeline,
  startReceiver,
}) => {
  const seen = new Set<string>();
  const receiver = await startReceiver((req) => {
    const deliveryId = String(req.headers["x-agiletune-delivery"]);
    if (req.path === "/random") return { status: Math.random() < 0.5 ? 503 : 200 };
    if (req.path === "/first-refused") {
      const first = !seen.has(deliveryId);
      seen.add(deliveryId);
      return { status: first ? 500 : 200 };
    }
    return { status: 200 };
  });
  // DISABLE_AFTER inside the run (and its drain): a breaker that parks the retries of the endpoint
  // refusing first attempts behind first-attempt probes keeps it failing until disabled.
  const pipeline = await startPipeline({ retryDelaysMs: LADDER, health: { failureThreshold: 10, probeIntervalMs: 1_000, disableAfterMs: 30_000 } });
  const hooks = {
    random: await pipeline.createWebhook({ url: receiver.url("/random") }),
    firstRefused: await pipeline.createWebhook({ url: receiver.url("/first-refused") }),
    healthy: await pipeline.createWebhook({ url: receiver.url("/healthy") }),
  };

  // Then a steady stream, as a busy organization's would be.
  for (let sent = 0; sent < EVENTS; ) {
    const count = sent === 0 ? BURST : PER_TICK;
    await pipeline.produceEvents(Array.from({ length: count }, () => domainEvent()));
    sent += count;
    await new Promise((r) => setTimeout(r, TICK_MS));
  }

  const ended = async (webhookId: string) => deliveriesCollection(mongo.db).countDocuments({ webhookId, status: { $in: ["succeeded", "failed", "cancelled"] } });
  // Five ladder steps of 1-5 s after the last event is more than any delivery needs to end.
  await expect
    .poll(async () => [await ended(hooks.random._id), await ended(hooks.firstRefused._id), await ended(hooks.healthy._id)], { timeout: 90_000, interval: 500 })
    .toEqual([EVENTS, EVENTS, EVENTS]);

  for (const hook of Object.values(hooks)) {
    const webhook = await webhooksCollection(mongo.db).findOne({ _id: hook._id });
    expect({ active: webhook?.active, health: webhook?.health === "disabled" ? `disabled: ${webhook.healthReason}` : "not disabled" }).toEqual({ active: true, health: "not disabled" });
    expect(await deliveriesCollection(mongo.db).countDocuments({ webhookId: hook._id, status: "cancelled" })).toBe(0);
  }
  // Refusing each first attempt and accepting each retry: every delivery succeeds at its
  // second attempt, or its third when the circuit made a first attempt its probe.
  const firstRefused = await deliveriesCollection(mongo.db).find({ webhookId: hooks.firstRefused._id }).toArray();
  expect(firstRefused.filter((d) => d.status !== "succeeded")).toEqual([]);
  const attemptsOf = await Promise.all(firstRefused.map(async (d) => (await loadAttempts(mongo.db, d)).length));
  expect(Math.max(...attemptsOf)).toBeLessThanOrEqual(3);
  // Half failing at random: only the ladder's own losses (six failures in a row: 1 in 64).
  expect(await deliveriesCollection(mongo.db).countDocuments({ webhookId: hooks.random._id, status: "failed" })).toBeLessThanOrEqual(EVENTS * 0.05);
  // The healthy endpoint: each delivery in one attempt, none ever parked or deferred.
  const healthy = await deliveriesCollection(mongo.db).find({ webhookId: hooks.healthy._id }).toArray();
  expect(healthy.filter((d) => d.status !== "succeeded")).toEqual([]);
  expect(receiver.forPath("/healthy")).toHaveLength(EVENTS);
});
