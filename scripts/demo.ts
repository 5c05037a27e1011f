// `pnpm demo`: the whole pipeline on a short retry ladder, watched from a local receiver.
// Starts the local infrastructure if needed and its own four service processes (topic
// prefix `demo.`, database `agiletune_demo`, admin API on 8090), creates a webhook through
// the admin API, produces two of each event type, prints every POST with its signature
// check, and shows the delivery log of one delivery that fails twice before it succeeds.
import { randomBytes } from "node:crypto";
import { infraUp, ServiceProcess } from "@agiletune/local-infra";
import { startReceiver } from "@agiletune/local-infra/receiver";
import { createKafka, createLogger, createProducer, EVENT_TYPES, generateEncryptionKey } from "@agiletune/shared";
import { verifySignature } from "../packages/shared/src/fixtures/user-guide-verify-signature.js";

const ADMIN = "http://127.0.0.1:8090";
const token = `demo_${randomBytes(16).toString("hex")}`;
const secret = `demo-secret-${randomBytes(8).toString("hex")}`;
const organizationId = "org_demo";

const infra = await infraUp();
const mongoUrl = new URL(infra.mongoUrl);
mongoUrl.pathname = "/agiletune_demo";
const env = {
  KAFKA_BROKERS: infra.kafkaBrokers,
  MONGO_URL: mongoUrl.toString(),
  TOPIC_PREFIX: "demo.",
  RETRY_DELAYS: "2s,4s,6s,8s,10s",
  DELIVERY_TIMEOUT_MS: "5000",
  ADMIN_TOKEN: token,
  SECRETS_ENCRYPTION_KEY: generateEncryptionKey(),
  ALLOW_PRIVATE_URLS: "true",
  ADMIN_API_PORT: "8090",
  METRICS_PORT: "0",
  LOG_LEVEL: "info",
};
// A fresh demo database each run: webhooks of earlier runs point at receivers long gone.
{
  const { connectMongo } = await import("@agiletune/shared");
  const mongo = await connectMongo(env.MONGO_URL);
  await mongo.db.dropDatabase();
  await mongo.client.close();
}
const services = (["retry", "dispatcher", "fanout", "admin-api"] as const).map((name) => new ServiceProcess(name, env));
// Whatever happens, stop what the demo started.
const cleanups: Array<() => Promise<unknown>> = [];
try {
  console.log("demo: starting the four services (topic prefix demo.)...");
  await Promise.all(services.map((s) => s.start()));

  // The event whose delivery is made to fail twice (the body carries its data, not its id).
  const flakyEventId = `evt_demo_flaky_${randomBytes(4).toString("hex")}`;
  const flakyMarker = `"id":"obj_1_0"`;
  let flakyFailures = 0;
  const receiver = await startReceiver((req) => {
    const event = String(req.headers["x-agiletune-event"]);
    const ok = verifySignature(req.body, String(req.headers["x-agiletune-signature"]), secret);
    const flaky = req.body.includes(flakyMarker) && flakyFailures < 2;
    if (flaky) flakyFailures++;
    const status = flaky ? 503 : 200;
    console.log(`receiver: ${event.padEnd(16)} delivery ${req.headers["x-agiletune-delivery"]}  signature ${ok ? "valid" : "INVALID"}  → ${status}`);
    return { status, body: flaky ? "temporarily unavailable" : "ok" };
  });

  async function api(method: string, path: string, body?: unknown) {
    const response = await fetch(ADMIN + path, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = response.status === 204 ? null : await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json as Record<string, unknown>;
  }

  const webhook = await api("POST", `/v1/organizations/${organizationId}/webhooks`, { url: receiver.url("/demo-hook"), contentType: "json", events: ["*"], secret, description: "pnpm demo" });
  cleanups.push(receiver.close);
  console.log(`demo: created webhook ${webhook.id} for ${receiver.url("/demo-hook")}`);

  const logger = createLogger("demo", "warn");
  const kafka = createKafka({ brokers: infra.kafkaBrokers.split(","), clientId: "demo", logger });
  const producer = createProducer(kafka);
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  const events = EVENT_TYPES.flatMap((event, i) =>
    [0, 1].map((n) => ({
      id: i === 1 && n === 0 ? flakyEventId : `evt_demo_${randomBytes(6).toString("hex")}`,
      event,
      timestamp: new Date().toISOString(),
      organizationId,
      data: { id: `obj_${i}_${n}`, title: `demo ${event} #${n + 1}`, changes: {} },
    })),
  );
  await producer.send({ topic: "demo.agiletune.events", messages: events.map((e) => ({ key: e.organizationId, value: JSON.stringify(e) })) });
  console.log(`demo: produced ${events.length} events; one (${flakyEventId}) fails twice, then succeeds on retry 2`);

  await receiver.waitFor(() => receiver.requests.length >= events.length + 2, 60_000);
  await new Promise((r) => setTimeout(r, 1_000));
  const log = await api("GET", `/v1/organizations/${organizationId}/webhooks/${webhook.id}/deliveries?limit=100`);
  const items = log.items as Array<{ id: string; eventId: string; status: string }>;
  const flaky = items.find((d) => d.eventId === flakyEventId)!;
  const detail = await api("GET", `/v1/organizations/${organizationId}/webhooks/${webhook.id}/deliveries/${flaky.id}`);
  console.log(`\ndemo: delivery log has ${items.length} deliveries: ${[...new Set(items.map((d) => d.status))].join(", ")}`);
  console.log(`demo: the flaky delivery ${flaky.id} (${detail.status}):`);
  for (const attempt of detail.attempts as Array<Record<string, unknown>>) {
    const response = attempt.response as { status: number } | null;
    console.log(`  attempt ${attempt.attempt} at ${attempt.startedAt}: ${attempt.outcome} (${response?.status ?? "no response"}, ${attempt.durationMs} ms)`);
  }
} catch (err) {
  console.error(`demo failed: ${(err as Error).message}\n--- last service output ---`);
  for (const s of services) console.error(`[${s.name}]\n${s.output.split("\n").slice(-8).join("\n")}`);
  process.exitCode = 1;
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await Promise.all(services.map((s) => s.stop()));
  if (infra.started.length) await infra.stop();
}
console.log("demo: done");
