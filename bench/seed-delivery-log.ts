// A big delivery log, for the admin API's queries (bench/README.md, "Big delivery log"):
// `pnpm bench:seed [--deliveries N] [--webhooks N] [--organizations N] [--days N] [--drop] [--manifest FILE]`
// writes N deliveries (default 1 000 000) of the dispatcher's shapes across the webhooks
// (default 10 000, in 1 000 organisations) into MONGO_URL's database (default
// mongodb://127.0.0.1:27117/biglog), oldest first as the dispatcher would, with their
// later attempts, dead letters and parked index, and leaves a manifest for
// `pnpm bench:queries` in bench/results/logs/. Indexes are made first, by the services'
// own `ensureIndexes`, so the inserts pay for them as the dispatcher's do.
//
// The mix, per delivery: 93 % succeeded on the first attempt, 2 % failed after the whole
// ladder (5 retries stored apart, one dead letter each), 2 % retrying (1-3 attempts so far),
// 1.5 % cancelled and 0.5 % parked (no attempt), 1 % pending. Webhooks' traffic is skewed
// (Zipf, s = 0.7: the busiest webhook gets ~2 % of all deliveries, the median one ~50).
// Events follow a mix of the catalogue (task.updated the most common).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import type { AnyBulkWriteOperation, Db } from "mongodb";
import {
  COLLECTIONS,
  connectMongo,
  encodeDeliveryJob,
  encryptSecret,
  ensureIndexes,
  generateEncryptionKey,
  newDeliveryEntry,
  storedAttempts,
  storedPayloadOf,
  type AttemptDoc,
  type AttemptRecord,
  type DeadLetterDoc,
  type DeliveryDoc,
  type DeliveryJob,
  type ParkedDoc,
  type WebhookDoc,
} from "@agiletune/shared";
import { bigLogUrl, MANIFEST_PATH, seededRandom, type Manifest, type SeededWebhook } from "./big-log.js";
import { signedRequestHeaders } from "./log-documents.js";

const { values: args } = parseArgs({
  options: {
    deliveries: { type: "string", default: "1000000" },
    webhooks: { type: "string", default: "10000" },
    organizations: { type: "string", default: "1000" },
    days: { type: "string", default: "25" },
    batch: { type: "string", default: "1000" },
    drop: { type: "boolean", default: false },
    manifest: { type: "string", default: MANIFEST_PATH },
  },
});
const N = Number(args.deliveries);
const WEBHOOKS = Number(args.webhooks);
const ORGS = Number(args.organizations);
const SPAN_MS = Number(args.days) * 86_400_000;
const BATCH = Number(args.batch);

const random = seededRandom(14);
const hex = (bytes: number) =>
  Array.from({ length: bytes }, () =>
    Math.floor(random() * 256)
      .toString(16)
      .padStart(2, "0"),
  ).join("");

const mongo = await connectMongo(bigLogUrl(), { appName: "bench-seed" });
const db: Db = mongo.db;
if (args.drop) await db.dropDatabase();
if ((await db.collection(COLLECTIONS.deliveries).estimatedDocumentCount()) > 0) {
  console.error(`${db.databaseName} already has deliveries: --drop to start again`);
  process.exit(1);
}
await ensureIndexes(db);

// Organisations and webhooks, ten per organisation; each webhook's share of the traffic by rank.
const orgIds = Array.from({ length: ORGS }, () => `org_${hex(12)}`);
const key = process.env.SECRETS_ENCRYPTION_KEY ?? generateEncryptionKey();
const started = new Date(Date.now() - SPAN_MS - 86_400_000);
const webhooks: WebhookDoc[] = Array.from({ length: WEBHOOKS }, (_, i) => ({
  _id: `wh_${hex(12)}`,
  organizationId: orgIds[i % ORGS]!,
  url: `https://hooks.customer-${i % ORGS}.example/agiletune/${i}`,
  contentType: "json",
  events: ["*"],
  active: true,
  health: "healthy",
  healthReason: null,
  failingSince: null,
  rateLimitPerSecond: null,
  circuit: null,
  description: `seeded webhook ${i}`,
  secretSealed: encryptSecret(`whsec_seed_${i}_0123456789abcdef`, key),
  secretHint: "cdef",
  previousSecretSealed: null,
  previousSecretExpiresAt: null,
  createdAt: started,
  updatedAt: started,
}));
for (let i = 0; i < webhooks.length; i += BATCH) await db.collection<WebhookDoc>(COLLECTIONS.webhooks).insertMany(webhooks.slice(i, i + BATCH));

// Zipf weights over a shuffled rank, as a cumulative table for drawing.
const rank = webhooks.map((_, i) => i).sort(() => random() - 0.5);
const cumulative: number[] = [];
let total = 0;
for (let i = 0; i < WEBHOOKS; i++) cumulative.push((total += 1 / (rank[i]! + 1) ** 0.7));
function drawWebhook(): number {
  const x = random() * total;
  let lo = 0;
  let hi = WEBHOOKS - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
const EVENTS: Array<[string, number]> = [
  ["task.updated", 0.4],
  ["task.created", 0.2],
  ["comment.created", 0.15],
  ["task.moved", 0.1],
  ["task.deleted", 0.05],
  ["member.added", 0.04],
  ["member.removed", 0.03],
  ["project.created", 0.03],
];
function drawEvent(): string {
  let x = random();
  for (const [event, p] of EVENTS) if ((x -= p) < 0) return event;
  return EVENTS[0]![0];
}

// ~1 KB of event data, like bench/storage.ts's typical event.
const data = (i: number, at: Date) => ({
  id: `task_${i}`,
  projectId: `prj_${(i % 997).toString(16)}`,
  title: "Implement the login page with single sign-on",
  description: "As a member I want to sign in with my company's identity provider, so that I do not keep another password. ".repeat(6).trim(),
  status: "in_progress",
  assigneeId: `usr_${(i % 7919).toString(16)}`,
  labels: ["auth", "frontend"],
  dueDate: "2026-12-15",
  updatedAt: at.toISOString(),
});
const RETRY_DELAYS_MS = [60_000, 300_000, 1_800_000, 7_200_000, 43_200_000];
function attemptOf(job: DeliveryJob, attempt: number, at: Date, status: number | "timeout", webhook: WebhookDoc): AttemptRecord {
  const body = JSON.stringify({ event: job.event, timestamp: job.timestamp, data: job.data });
  const headers = signedRequestHeaders({ deliveryId: job.deliveryId, event: job.event, body }, `whsec_seed_${webhook._id}`, at);
  const ok = status !== "timeout" && status < 300;
  return {
    attempt,
    source: "event",
    startedAt: at,
    durationMs: status === "timeout" ? 30_000 : 20 + Math.floor(random() * 400),
    outcome: ok ? "succeeded" : "failed",
    request: { url: webhook.url, headers },
    response:
      status === "timeout"
        ? null
        : { status, headers: { "content-length": ok ? "2" : "21", date: at.toUTCString(), "content-type": "text/plain" }, body: ok ? "ok" : "Internal Server Error", bodyTruncated: false },
    error: status === "timeout" ? { code: "timeout", message: "no response within 30000 ms" } : null,
    retryAfter: null,
  };
}

// Per webhook: counts and a few delivery ids (the first two and the latest three).
const seen = webhooks.map(() => ({ deliveries: 0, failed: 0, first: [] as string[], last: [] as string[] }));
const deadLetterOrgs = new Set<string>();
const pending: { deliveries: DeliveryDoc[]; attempts: AttemptDoc[]; deadLetters: DeadLetterDoc[]; parked: ParkedDoc[] } = {
  deliveries: [],
  attempts: [],
  deadLetters: [],
  parked: [],
};
const counts = { deliveries: 0, attempts: 0, deadLetters: 0, parked: 0 };
const inFlight = new Set<Promise<unknown>>();
async function flush(force: boolean): Promise<void> {
  for (const [name, docs] of Object.entries(pending) as Array<[keyof typeof pending, Array<{ _id: string }>]>) {
    if (docs.length === 0 || (!force && docs.length < BATCH)) continue;
    const collection = { deliveries: COLLECTIONS.deliveries, attempts: COLLECTIONS.attempts, deadLetters: COLLECTIONS.deadLetters, parked: COLLECTIONS.parked }[name];
    const batch = docs.splice(0, docs.length);
    counts[name] += batch.length;
    const write = db
      .collection(collection)
      .bulkWrite(
        batch.map((document) => ({ insertOne: { document } }) as unknown as AnyBulkWriteOperation),
        { ordered: false },
      )
      .finally(() => inFlight.delete(write));
    inFlight.add(write);
    // Two writes at once, as the dispatcher's two log lanes.
    if (inFlight.size >= 2) await Promise.race(inFlight);
  }
}

const t0 = Date.now();
const firstAt = Date.now() - SPAN_MS;
const step = SPAN_MS / N;
let lastReport = t0;
for (let i = 0; i < N; i++) {
  const w = drawWebhook();
  const webhook = webhooks[w]!;
  const at = new Date(Math.floor(firstAt + i * step));
  const event = drawEvent();
  const eventId = `evt_${hex(12)}`;
  const job: DeliveryJob = {
    deliveryId: `dlv_${hex(16)}`,
    webhookId: webhook._id,
    organizationId: webhook.organizationId,
    eventId,
    event,
    timestamp: at.toISOString(),
    data: data(i, at),
    attempt: 0,
    source: "event",
    enqueuedAt: at.getTime(),
  };
  const payload = storedPayloadOf(job);
  const x = random();
  let doc: DeliveryDoc;
  if (x < 0.93) {
    const attempt = attemptOf(job, 0, at, 200, webhook);
    doc = newDeliveryEntry(job, at, { status: "succeeded", attempts: storedAttempts([attempt]), firstAttemptId: `${job.deliveryId}.0`, lastAttempt: { startedAt: at, responseStatus: 200 }, payload });
  } else if (x < 0.97) {
    // failed after the whole ladder (2 %) or retrying after 1-3 attempts (2 %)
    const failed = x < 0.95;
    const attempts = failed ? 6 : 1 + Math.floor(random() * 3);
    const status = random() < 0.8 ? 500 : ("timeout" as const);
    const first = attemptOf(job, 0, at, status, webhook);
    let when = at.getTime();
    const apart: AttemptDoc[] = [];
    for (let n = 1; n < attempts; n++) {
      when += RETRY_DELAYS_MS[n - 1]!;
      const record = attemptOf({ ...job, attempt: n }, n, new Date(when), status, webhook);
      apart.push({ _id: `${job.deliveryId}.${n}`, deliveryId: job.deliveryId, webhookId: job.webhookId, organizationId: job.organizationId, ...record });
    }
    pending.attempts.push(...apart);
    const last = apart.at(-1) ?? first;
    const reason = status === "timeout" ? "timeout: no response within 30000 ms" : "http_500: HTTP 500";
    doc = newDeliveryEntry(job, at, {
      status: failed ? "failed" : "retrying",
      attempts: storedAttempts([first]),
      firstAttemptId: `${job.deliveryId}.0`,
      attemptIds: apart.map((a) => a._id),
      lastAttempt: { startedAt: last.startedAt, responseStatus: last.response?.status ?? null },
      nextAttemptAt: failed ? null : new Date(when + RETRY_DELAYS_MS[attempts - 1]!),
      statusReason: failed ? `retries exhausted; last: ${reason}` : null,
      updatedAt: new Date(when),
      payload,
    });
    if (failed) {
      seen[w]!.failed++;
      deadLetterOrgs.add(webhook.organizationId);
      pending.deadLetters.push({
        _id: job.deliveryId,
        organizationId: job.organizationId,
        webhookId: job.webhookId,
        event,
        eventId,
        job: { ...job, attempt: 5 },
        lastError: `retries exhausted; last: ${reason}`,
        deadLetteredAt: new Date(when + 5),
        replayedAt: null,
        replayCount: 0,
      });
    }
  } else if (x < 0.985) {
    doc = newDeliveryEntry(job, at, { status: "cancelled", statusReason: "the webhook is inactive", payload });
  } else if (x < 0.99) {
    // Noted waiting, then parked: the parked document is newer, so the log shows it parked.
    const reason = "the endpoint's circuit is open";
    doc = newDeliveryEntry(job, at, { statusReason: reason, payload });
    const parkedAt = new Date(at.getTime() + 1);
    pending.parked.push({ _id: job.deliveryId, webhookId: job.webhookId, createdAt: at, organizationId: job.organizationId, eventId, event, parkedAt, reason, job: encodeDeliveryJob(job).toString() });
  } else {
    doc = newDeliveryEntry(job, at, { statusReason: "waiting for the endpoint's rate limit", nextAttemptAt: new Date(at.getTime() + 1000) });
  }
  pending.deliveries.push(doc);
  const s = seen[w]!;
  s.deliveries++;
  if (s.first.length < 2) s.first.push(job.deliveryId);
  s.last.push(job.deliveryId);
  if (s.last.length > 3) s.last.shift();
  if (pending.deliveries.length >= BATCH) await flush(false);
  if (Date.now() - lastReport > 10_000) {
    lastReport = Date.now();
    process.stderr.write(`[seed] ${i + 1} of ${N} deliveries, ${Math.round(((i + 1) * 1000) / (Date.now() - t0))}/s\n`);
  }
}
await flush(true);
await Promise.all(inFlight);
const seconds = (Date.now() - t0) / 1000;

const summary = (w: number): SeededWebhook => ({
  id: webhooks[w]!._id,
  organizationId: webhooks[w]!.organizationId,
  deliveries: seen[w]!.deliveries,
  failed: seen[w]!.failed,
  sampleDeliveryIds: [...seen[w]!.first, ...seen[w]!.last.filter((id) => !seen[w]!.first.includes(id))],
});
const byCount = webhooks.map((_, w) => w).sort((a, b) => seen[b]!.deliveries - seen[a]!.deliveries);
const manifest: Manifest = {
  database: db.databaseName,
  seededAt: new Date().toISOString(),
  deliveries: counts.deliveries,
  attempts: counts.attempts,
  deadLetters: counts.deadLetters,
  organizations: ORGS,
  webhooks: WEBHOOKS,
  from: new Date(firstAt).toISOString(),
  to: new Date(firstAt + (N - 1) * step).toISOString(),
  busiest: byCount.slice(0, 10).map(summary),
  sample: Array.from({ length: 500 }, () => summary(Math.floor(random() * WEBHOOKS))).filter((w) => w.deliveries > 0),
  deadLetterOrganizations: [...deadLetterOrgs].slice(0, 200),
};
mkdirSync(dirname(args.manifest), { recursive: true });
writeFileSync(args.manifest, JSON.stringify(manifest, null, 2));
const median = seen.map((s) => s.deliveries).sort((a, b) => a - b)[Math.floor(WEBHOOKS / 2)];
console.log(
  JSON.stringify(
    {
      database: db.databaseName,
      ...counts,
      seconds: Math.round(seconds),
      documentsPerSecond: Math.round((counts.deliveries + counts.attempts + counts.deadLetters + counts.parked) / seconds),
      deliveriesPerSecond: Math.round(counts.deliveries / seconds),
      busiestWebhook: manifest.busiest[0]!.deliveries,
      medianWebhook: median,
      manifest: args.manifest,
    },
    null,
    2,
  ),
);
await mongo.client.close();
