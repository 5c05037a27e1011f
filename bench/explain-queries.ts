// Which index each of the admin API's delivery-log queries uses (bench/README.md, "Big
// delivery log"): `pnpm bench:explain [--manifest FILE]` calls the reader's own functions
// (packages/shared/src/delivery-log/reader.ts) as the routes do, on the log `pnpm bench:seed`
// wrote, catches every find they send (the driver's command monitoring), and asks the server
// to explain each one; prints per query its time alone, the plan and the pushdown flags.
// `--replay FILE` explains the finds of an earlier run's output (FILE) on this server
// without running them: how an older build would run the same queries, without waiting
// minutes for each full scan.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { MongoClient, type Document } from "mongodb";
import { findDelivery, listDeadLetters, listDeliveries, loadAttempts, type DeadLetterFilter } from "@agiletune/shared";
import { bigLogUrl, readManifest } from "./big-log.js";

const { values: args } = parseArgs({ options: { manifest: { type: "string" }, replay: { type: "string" } } });
const manifest = readManifest(args.manifest);
const client = new MongoClient(bigLogUrl(), { monitorCommands: true });
await client.connect();
const db = client.db();
const sent: Document[] = [];
client.on("commandStarted", (e) => {
  if (e.commandName === "find") sent.push(e.command);
});

const busiest = manifest.busiest[0]!;
const small = manifest.sample.find((w) => w.failed > 0)!;
const day = (offset: number) => new Date(new Date(manifest.to).getTime() - offset * 86_400_000);
async function tenthPage(w: { id: string; organizationId: string }) {
  let after: { at: Date; id: string } | undefined;
  for (let page = 0; page < 9; page++) {
    const docs = await listDeliveries(db, { organizationId: w.organizationId, webhookId: w.id, after, limit: 20 });
    after = { at: docs.at(-1)!.createdAt, id: docs.at(-1)!._id };
  }
  return listDeliveries(db, { organizationId: w.organizationId, webhookId: w.id, after, limit: 21 });
}
const dlq = (filter: DeadLetterFilter) => listDeadLetters(db, filter, { limit: 21 });
const QUERIES: Array<[string, () => Promise<unknown>]> = [
  ["list (busiest webhook)", () => listDeliveries(db, { organizationId: busiest.organizationId, webhookId: busiest.id, limit: 21 })],
  ["?status=failed (busiest)", () => listDeliveries(db, { organizationId: busiest.organizationId, webhookId: busiest.id, status: "failed", limit: 21 })],
  ["?event=member.added (busiest)", () => listDeliveries(db, { organizationId: busiest.organizationId, webhookId: busiest.id, event: "member.added", limit: 21 })],
  ["10th page (busiest)", () => tenthPage(busiest)],
  [
    "one delivery",
    async () => {
      const doc = await findDelivery(db, { organizationId: small.organizationId, webhookId: small.id, deliveryId: small.sampleDeliveryIds[0]! });
      return loadAttempts(db, doc!);
    },
  ],
  ["DLQ, no filter", () => dlq({})],
  ["DLQ ?organizationId=", () => dlq({ organizationId: small.organizationId })],
  ["DLQ ?webhookId=", () => dlq({ webhookId: small.id })],
  ["DLQ ?organizationId=&webhookId=", () => dlq({ organizationId: small.organizationId, webhookId: small.id })],
  ["DLQ ?event=member.removed", () => dlq({ event: "member.removed" })],
  ["DLQ ?from=&to= (a day, 10 days back)", () => dlq({ from: day(11), to: day(10) })],
];

async function explain(command: Document) {
  const { find, filter, sort, limit, projection } = command;
  const defined = Object.fromEntries(Object.entries({ filter, sort, limit, projection }).filter(([, v]) => v !== undefined && v !== null));
  const e = await db.command({ explain: { find, ...defined }, verbosity: "queryPlanner" });
  return {
    collection: find,
    filter,
    sort,
    limit,
    plan: (e.queryPlanner as { Plan?: string[] }).Plan?.map((p) => p.replace(/^id=\d+ parent=\d+ notused=\d+ detail=/, "")) ?? e.queryPlanner,
    filterPushdown: e.filterPushdown,
    sortPushdown: e.sortPushdown,
  };
}
const out = [];
if (args.replay) {
  // EJSON would keep the dates' type; the output has them as ISO strings: revive them.
  const revive = (_k: string, v: unknown) => (typeof v === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(v) ? new Date(v) : v);
  const earlier = JSON.parse(readFileSync(args.replay, "utf8"), revive) as Array<{ query: string; finds: Array<{ collection: string; filter: Document; sort: Document; limit: number }> }>;
  for (const { query, finds } of earlier) {
    const explained = [];
    for (const f of finds) explained.push(await explain({ find: f.collection, filter: f.filter, sort: f.sort, limit: f.limit }));
    out.push({ query, finds: explained });
    process.stderr.write(`[explain] ${query}: ${explained.map((x) => `${x.collection}: ${JSON.stringify(x.plan)}`).join("; ")}\n`);
  }
} else {
  for (const [name, run] of QUERIES) {
    sent.length = 0;
    const t = performance.now();
    await run();
    const ms = Math.round(performance.now() - t);
    // The 10th page's own find is the last one sent; the others explain every find they sent.
    const explained = [];
    for (const command of name.startsWith("10th") ? sent.slice(-1) : sent) explained.push(await explain(command));
    out.push({ query: name, ms, finds: explained });
    process.stderr.write(`[explain] ${name}: ${ms} ms, ${explained.map((x) => `${x.collection}: ${JSON.stringify(x.plan)}`).join("; ")}\n`);
  }
}
console.log(JSON.stringify(out, null, 2));
await client.close();
