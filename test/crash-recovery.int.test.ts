import { createHash } from "node:crypto";
import { generateEncryptionKey } from "@agiletune/shared";
import { integrationTest as test } from "@agiletune/local-infra/fixtures";
import { startReceiver } from "@agiletune/local-infra/receiver";
import { afterEach, expect } from "vitest";
import { domainEvent, insertWebhook } from "./support/pipeline.js";
import { ServiceProcess } from "@agiletune/local-infra";

const processes: ServiceProcess[] = [];
afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop()));
});

/** One delivery in five fails its first attempt, so jobs flow through the retry tier too. */
function failsFirst(deliveryId: string): boolean {
  return createHash("sha256").update(deliveryId).digest()[0]! % 5 === 0;
}

// Each restarted service is ready only once its consumer group has waited out the killed
// member's session (30 s), so three restarts take ~90 s.
test("SIGKILL of the dispatcher, then fanout, then retry mid-stream: every event is still delivered", { timeout: 180_000 }, async ({ kafka, kafkaBrokers, mongo, mongoUrl, topics, logger, testId }) => {
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
    KAFKA_BROKERS: kafkaBrokers.join(","),
    MONGO_URL: mongoUrl,
    TOPIC_PREFIX: `${testId}.`,
    SECRETS_ENCRYPTION_KEY: encryptionKey,
    RETRY_DELAYS: "500ms,500ms,500ms,500ms,500ms",
    DELIVERY_TIMEOUT_MS: "3000",
    ALLOW_PRIVATE_URLS: "true",
    METRICS_PORT: "0",
    LOG_LEVEL: "info",
  };
  const services = { fanout: new ServiceProcess("fanout", env), dispatcher: new ServiceProcess("dispatcher", env), retry: new ServiceProcess("retry", env) };
  processes.push(...Object.values(services));
  await Promise.all(Object.values(services).map((s) => s.start()));

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const events = Array.from({ length: 240 }, () => domainEvent());
  const producing = (async () => {
    for (let i = 0; i < events.length; i += 20) {
      await producer.send({ topic: topics.events, messages: events.slice(i, i + 20).map((e) => ({ key: e.organizationId, value: JSON.stringify(e) })) });
      await new Promise((r) => setTimeout(r, 500));
    }
  })();

  for (const name of ["dispatcher", "fanout", "retry"] as const) {
    await new Promise((r) => setTimeout(r, 1_500));
    await services[name].kill();
    await services[name].start();
  }
  await producing;
  await producer.disconnect();

  const expected = events.length * webhookCount;
  await receiver.waitFor(() => succeeded.size >= expected, 120_000);
  const duplicates = [...succeeded.values()].reduce((sum, n) => sum + (n - 1), 0);
  logger.info({ expected, delivered: succeeded.size, duplicates }, "crash recovery");
  process.stdout.write(`crash recovery: ${succeeded.size}/${expected} deliveries succeeded, ${duplicates} duplicate successful deliveries\n`);
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
    processes.splice(0).map(async (p) => {
      const code = await p.stop();
      // A service that did not exit 0 leaves its last words in the test output.
      if (code !== 0) process.stdout.write(`${p.name} exited ${code}; its log ends:\n${p.output.slice(-3000)}\n`);
      return [p.name, code] as const;
    }),
  );
  expect(Object.fromEntries(exitCodes)).toEqual({ fanout: 0, dispatcher: 0, retry: 0 });
  await receiver.close();
});

test("a SIGTERM during start-up stops the service once it has started, and it exits 0", async ({ kafkaBrokers, mongoUrl, topics: _topics, testId }) => {
  const retry = new ServiceProcess("retry", { KAFKA_BROKERS: kafkaBrokers.join(","), MONGO_URL: mongoUrl, TOPIC_PREFIX: `${testId}.`, METRICS_PORT: "0", LOG_LEVEL: "info" });
  processes.push(retry);
  const starting = retry.start().catch((err: unknown) => err);
  // The ops endpoint listens before the tier consumers have joined their groups.
  for (let waited = 0; !retry.output.includes("ops endpoint listening") && waited < 60_000; waited += 20) await new Promise((r) => setTimeout(r, 20));

  const code = await retry.stop();

  expect(retry.output).toMatch(/"msg":"stopping once start-up has finished"/);
  expect(retry.output).toMatch(/"msg":"retry ready"/);
  expect(code).toBe(0);
  await starting;
});
