// `pnpm bench:stored-format`: what the delivery log's stored format costs the database.
// The same first-attempt entries inserted as the dispatcher's lanes insert
// them, in three shapes, alternated in rounds so drift hits each alike:
//   nested   payload and headers as nested documents (the format before 2026-12-02)
//   strings  payload and each headers map as one JSON string
//   attempt  payload as a string, and the whole first attempt as one JSON string
// Run against the local database (MONGO_URL, else the one `pnpm infra:up` starts).
import { infraUp } from "@agiletune/local-infra";
import { connectMongo, ensureIndexes, newDeliveryEntry } from "@agiletune/shared";
import { insertedPerSecond, signedRequestHeaders } from "./log-documents.js";

const SHAPES = ["nested", "strings", "attempt"] as const;
type Shape = (typeof SHAPES)[number];
const rounds = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 3);
const perRound = 8_000;

function entry(shape: Shape, runId: string, i: number): object {
  const deliveryId = `dlv_${runId}_${shape}_${i}`;
  const at = new Date();
  const payload = { event: "task.updated", timestamp: at.toISOString(), data: { id: `obj_${i}`, title: "Implement login page", producedAt: at.getTime() } };
  const body = JSON.stringify(payload);
  const requestHeaders = signedRequestHeaders({ deliveryId, event: "task.updated", body }, "whsec_format_0123456789", at);
  const responseHeaders = { "content-length": "2", date: at.toUTCString(), "keep-alive": "timeout=5" };
  const attempt = {
    attempt: 0,
    source: "event",
    startedAt: at,
    durationMs: 3,
    outcome: "succeeded",
    request: { url: "http://127.0.0.1:9/ok/1", headers: shape === "strings" ? JSON.stringify(requestHeaders) : requestHeaders },
    response: { status: 200, headers: shape === "strings" ? JSON.stringify(responseHeaders) : responseHeaders, body: "ok", bodyTruncated: false },
    error: null,
  };
  return newDeliveryEntry({ deliveryId, webhookId: `wh_${i % 50}`, organizationId: `org_${i % 50}`, eventId: `evt_${i}`, event: "task.updated" }, at, {
    status: "succeeded",
    ...(shape === "attempt" ? ({ attempts: JSON.stringify([attempt]) } as object) : { attempts: [attempt as never] }),
    firstAttemptId: `${deliveryId}.0.format`,
    lastAttempt: { startedAt: at, responseStatus: 200 },
    ...(shape === "nested" ? { payload } : ({ payload: body } as object)),
  });
}

const infra = await infraUp();
const runId = `fmt${Date.now().toString(36)}`;
const url = new URL(infra.mongoUrl);
url.pathname = `/${runId}`;
const mongo = await connectMongo(url.toString());
await ensureIndexes(mongo.db);
const deliveries = mongo.db.collection("deliveries");
const results: Record<Shape, number[]> = { nested: [], strings: [], attempt: [] };
const bytes: Partial<Record<Shape, number>> = {};
for (let round = 0; round < rounds; round++) {
  for (const shape of SHAPES) {
    const base = round * perRound;
    results[shape].push(await insertedPerSecond(deliveries, perRound, (i) => entry(shape, runId, base + i)));
    bytes[shape] ??= Buffer.byteLength(JSON.stringify(entry(shape, runId, 0)));
  }
  console.log(`round ${round + 1}: ${SHAPES.map((s) => `${s} ${results[s].at(-1)}/s`).join(", ")}`);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(JSON.stringify({ perRound, rounds, insertsPerSecond: results, median: Object.fromEntries(SHAPES.map((s) => [s, median(results[s])])), jsonBytes: bytes }));
await mongo.db.dropDatabase();
await mongo.client.close();
if (infra.started.length) await infra.stop();
