import { createHash } from "node:crypto";
import { generateEncryptionKey } from "@agiletune/shared";
import { domainEvent, insertWebhook, integrationTest as test, sleep, waitFor } from "@agiletune/testing";
import { expect } from "vitest";

/** One delivery in five fails its first attempt, so jobs flow through the retry tier too. */
function failsFirst(deliveryId: string): boolean {
  return createHash("sha256").update(deliveryId).digest()[0]! % 5 === 0;
}

// Each restarted service is ready only once its consumer group has waited out the killed
// member's session (30 s), so three restarts take ~90 s.
test("SIGKILL of the dispatcher, then fanout, then retry mid-stream: every event is still delivered", { timeout: 180_000 }, async ({ kafka, mongo, topics, logger, startReceiver, serviceProcess }) => {
  const succeeded = new Map<string, number>();
  const seen = new Map<string, number>();
  const receiver = await startReceiver((req) => {
    const id = String(req.headers["x-agiletune-delivery"]);
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    if (n === 1 && failsFirst(id)) return { status: 500 };
    succeeded.set(id, (succeeded.get(id) ?? 0) + 1);
    return { status: 200 };
  });
  const encryptionKey = generateEncryptionKey();
  for (let i = 0; i < 2; i++) await insertWebhook(mongo.db, encryptionKey, { url: receiver.url(`/crash-${i}`) });
  const webhookCount = 2;

  const env = {
    SECRETS_ENCRYPTION_KEY: encryptionKey,
    RETRY_DELAYS: "500ms,500ms,500ms,500ms,500ms",
    DELIVERY_TIMEOUT_MS: "3000",
    ALLOW_PRIVATE_URLS: "true",
  };
  const services = { fanout: serviceProcess("fanout", env), dispatcher: serviceProcess("dispatcher", env), retry: serviceProcess("retry", env) };
  await Promise.all(Object.values(services).map((s) => s.start()));

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const events = Array.from({ length: 240 }, () => domainEvent());
  const producing = (async () => {
    for (let i = 0; i < events.length; i += 20) {
      await producer.send({ topic: topics.events, messages: events.slice(i, i + 20).map((e) => ({ key: e.organizationId, value: JSON.stringify(e) })) });
      // Paced, so that the kills below fall mid-stream.
      await sleep(500);
    }
  })();

  // Mid-stream: the first kill once deliveries are under way (events are still being
  // produced), each later one as soon as the service before it is back.
  await waitFor(() => succeeded.size >= 20, { timeout: 60_000, message: "20 deliveries before the first kill" });
  for (const name of ["dispatcher", "fanout", "retry"] as const) {
    await services[name].kill();
    await services[name].start();
  }
  await producing;
  await producer.disconnect();

  const expected = events.length * webhookCount;
  await receiver.waitFor(() => succeeded.size >= expected, 120_000);
  const duplicates = [...succeeded.values()].reduce((sum, n) => sum + (n - 1), 0);
  // The restarted dispatcher's: what fanout's and the retry service's kills repeated, and it knew it had delivered.
  const repeatsNotSent = await services.dispatcher.metric("webhook_deliveries_total", { outcome: "repeat" });
  logger.info({ expected, delivered: succeeded.size, duplicates, repeatsNotSent }, "crash recovery");
  process.stdout.write(`crash recovery: ${succeeded.size}/${expected} deliveries succeeded, ${duplicates} duplicate successful deliveries, ${repeatsNotSent} repeated jobs not sent\n`);
  expect(succeeded.size).toBe(expected);
  // Each service answers on its ops port; the dispatcher counts what it did.
  for (const service of Object.values(services)) {
    expect((await fetch(`http://127.0.0.1:${service.opsPort}/readyz`)).status).toBe(200);
  }
  const metrics = await (await fetch(`http://127.0.0.1:${services.dispatcher.opsPort}/metrics`)).text();
  expect(metrics).toMatch(/webhook_deliveries_total\{outcome="succeeded",service="dispatcher"\} \d+/);
  expect(metrics).toMatch(/webhook_attempt_duration_seconds_bucket/);
  expect(metrics).toMatch(/kafka_consumer_lag\{topic="[^"]+agiletune.deliveries"/);
  expect(metrics).toMatch(/webhook_deliveries_in_flight/);
  expect(metrics).toMatch(/^webhook_deliveries_unrecorded\{service="dispatcher"\} \d+$/m);

  // SIGTERM: each service stops fetching, finishes, commits, disconnects and exits 0.
  const exitCodes = await Promise.all(
    Object.values(services).map(async (p) => {
      const code = await p.stop();
      // A service that did not exit 0 leaves its last words in the test output.
      if (code !== 0) process.stdout.write(`${p.name} exited ${code}; its log ends:\n${p.output.slice(-3000)}\n`);
      return [p.name, code] as const;
    }),
  );
  expect(Object.fromEntries(exitCodes)).toEqual({ fanout: 0, dispatcher: 0, retry: 0 });
});

test("a SIGTERM during start-up stops the service once it has started, and it exits 0", async ({ topics: _topics, serviceProcess }) => {
  const retry = serviceProcess("retry");
  const starting = retry.start().catch((err: unknown) => err);
  // The ops endpoint listens before the tier consumers have joined their groups.
  await waitFor(() => retry.output.includes("ops endpoint listening"), { timeout: 60_000, interval: 10, message: "the retry service's ops endpoint" });

  const code = await retry.stop();

  expect(retry.output).toMatch(/"msg":"stopping once start-up has finished"/);
  expect(retry.output).toMatch(/"msg":"retry ready"/);
  expect(code).toBe(0);
  await starting;
});
