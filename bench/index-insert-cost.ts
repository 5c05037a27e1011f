// What the delivery log's indexes cost the dispatcher's inserts (bench/README.md, "Big
// delivery log"): `pnpm bench:index-cost [--documents 10000] [--rounds 3]` inserts
// `--documents` deliveries of the dispatcher's shape (one successful attempt inside, ~1 KB
// of event data), by two writers side by side in batches of 400 as the insert ceiling
// does, into a fresh `deliveries` collection of a scratch database under each index set
// in turn: `_id` only, the indexes before the big-log work, today's with the retired ones
// (`org_webhook`, `org_webhook_time`) still there, and today's. The sets take turns round by round, so that
// other load on the machine falls on all alike. Then the same for dead letters. Uses
// MONGO_URL (default the big log's server), drops its database.
import { parseArgs } from "node:util";
import type { IndexDescription } from "mongodb";
import { COLLECTIONS, connectMongo, INDEXES, newDeliveryEntry, storedAttempts, type DeadLetterDoc, type DeliveryJob } from "@agiletune/shared";
import { bigLogUrl } from "./big-log.js";
import { deadLetterOf, insertedPerSecond, signedRequestHeaders } from "./log-documents.js";

const { values: args } = parseArgs({ options: { documents: { type: "string", default: "10000" }, rounds: { type: "string", default: "3" } } });
const total = Number(args.documents);
const url = new URL(bigLogUrl());
url.pathname = `/index_cost_${Date.now().toString(36)}`;
const mongo = await connectMongo(url.toString());

const NEW_DELIVERY_INDEXES = ["webhook_status_created", "webhook_event_created"];
const NEW_DEAD_LETTER_INDEXES = ["webhook_time", "event_time", "org_time"];
/** Retired from the log since: each set is measured with them too, as it stood. */
const RETIRED: Record<string, IndexDescription[]> = {
  [COLLECTIONS.deliveries]: [{ key: { organizationId: 1, webhookId: 1 }, name: "org_webhook" }],
  [COLLECTIONS.deadLetters]: [{ key: { organizationId: 1, webhookId: 1, deadLetteredAt: -1 }, name: "org_webhook_time" }],
};
const sets = (collection: string, added: string[]): Record<string, IndexDescription[]> => ({
  "_id only": [],
  before: [...INDEXES[collection]!.filter((i) => !added.includes(i.name!)), ...(RETIRED[collection] ?? [])],
  "with retired": [...INDEXES[collection]!, ...(RETIRED[collection] ?? [])],
  now: INDEXES[collection]!,
});

const data = (i: number) => ({
  id: `task_${i}`,
  projectId: "prj_3f9c2a",
  title: "Implement the login page with single sign-on",
  description: "As a member I want to sign in with my company's identity provider, so that I do not keep another password. ".repeat(6).trim(),
  status: "in_progress",
  labels: ["auth", "frontend"],
  updatedAt: new Date().toISOString(),
});
const EVENTS = ["task.updated", "task.created", "comment.created", "task.moved"];
function jobOf(i: number): DeliveryJob {
  return {
    deliveryId: `dlv_${i.toString(36).padStart(8, "0")}_${Date.now().toString(36)}`,
    webhookId: `wh_${i % 500}`,
    organizationId: `org_${i % 50}`,
    eventId: `evt_${i}`,
    event: EVENTS[i % EVENTS.length]!,
    timestamp: new Date().toISOString(),
    data: data(i),
    attempt: 0,
    source: "event",
    enqueuedAt: Date.now(),
  };
}
function deliveryOf(i: number) {
  const job = jobOf(i);
  const at = new Date();
  const body = JSON.stringify({ event: job.event, timestamp: job.timestamp, data: job.data });
  const headers = signedRequestHeaders({ deliveryId: job.deliveryId, event: job.event, body }, "whsec_index_cost_0123456789", at);
  const attempt = {
    attempt: 0,
    source: "event" as const,
    startedAt: at,
    durationMs: 42,
    outcome: "succeeded" as const,
    request: { url: "https://hooks.customer.example/agiletune", headers },
    response: { status: 200, headers: { "content-length": "2", date: at.toUTCString() }, body: "ok", bodyTruncated: false },
    error: null,
  };
  return newDeliveryEntry(job, at, {
    status: "succeeded",
    attempts: storedAttempts([attempt]),
    firstAttemptId: `${job.deliveryId}.0`,
    lastAttempt: { startedAt: at, responseStatus: 200 },
    payload: body,
  });
}
const deadLetterNumber = (i: number): DeadLetterDoc => deadLetterOf(jobOf(i), "retries exhausted; last: http_500: HTTP 500");

async function insertRate(collection: string, indexes: IndexDescription[], document: (i: number) => object): Promise<number> {
  const c = mongo.db.collection(collection);
  await c.drop().catch(() => {});
  if (indexes.length) await c.createIndexes(indexes);
  else await mongo.db.createCollection(collection);
  return insertedPerSecond(c, total, document);
}

const result: Record<string, Record<string, number[]>> = {};
for (const [collection, added, document] of [
  [COLLECTIONS.deliveries, NEW_DELIVERY_INDEXES, deliveryOf],
  [COLLECTIONS.deadLetters, NEW_DEAD_LETTER_INDEXES, deadLetterNumber],
] as const) {
  const variants = sets(collection, added);
  result[collection] = Object.fromEntries(Object.keys(variants).map((k) => [k, [] as number[]]));
  for (let round = 0; round < Number(args.rounds); round++) {
    for (const [name, indexes] of Object.entries(variants)) {
      const rate = await insertRate(collection, indexes, document);
      result[collection]![name]!.push(rate);
      process.stderr.write(`[index-cost] ${collection} ${name} (${indexes.map((i) => i.name).join(", ") || "-"}): ${rate} docs/s\n`);
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  JSON.stringify(
    {
      documents: total,
      docsPerSecond: Object.fromEntries(Object.entries(result).map(([c, v]) => [c, Object.fromEntries(Object.entries(v).map(([k, rates]) => [k, { runs: rates, median: median(rates) }]))])),
      loadAverage: (await import("node:os")).loadavg().map((l) => Math.round(l * 10) / 10),
    },
    null,
    2,
  ),
);
await mongo.db.dropDatabase();
await mongo.client.close();
