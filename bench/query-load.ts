// The admin API's delivery-log queries under load (bench/README.md, "Big delivery log"):
// `pnpm bench:queries [--clients 50] [--seconds 10] [--routes a,b] [--cold] [--snapshot FILE] [--manifest FILE]`
// against an admin API at ADMIN_URL (default http://127.0.0.1:18080) with the operator's
// ADMIN_TOKEN, on a log seeded by `pnpm bench:seed` (its manifest names the webhooks and
// deliveries). Each route runs on its own: `--clients` clients, each sending its next
// request when the last one answered, for `--seconds`; then p50 / p99 / max per route.
// Every answer must be 200. `--snapshot FILE` instead fetches a fixed set of requests of
// every route, one at a time, and writes their bodies to FILE, so that two builds' answers
// can be compared byte for byte (`cmp`). Every route is asked once, unmeasured, before
// the load unless `--cold`. Only loopback addresses are accepted.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { readManifest, seededRandom, type SeededWebhook } from "./big-log.js";

const { values: args } = parseArgs({
  options: {
    clients: { type: "string", default: "50" },
    seconds: { type: "string", default: "10" },
    routes: { type: "string" },
    snapshot: { type: "string" },
    "timeout-ms": { type: "string", default: "120000" },
    cold: { type: "boolean", default: false },
    manifest: { type: "string" },
  },
});
const base = new URL(process.env.ADMIN_URL ?? "http://127.0.0.1:18080");
if (!["127.0.0.1", "localhost", "[::1]"].includes(base.hostname)) throw new Error(`ADMIN_URL must be a loopback address, got ${base.hostname}`);
const token = process.env.ADMIN_TOKEN;
if (!token) throw new Error("ADMIN_TOKEN (the operator's token) is required");
const manifest = readManifest(args.manifest);
const pool = new Pool(base.origin, { connections: Number(args.clients), pipelining: 1 });
const timeoutMs = Number(args["timeout-ms"]);

type Answer = { status: number; body: string; ms: number };
async function get(path: string): Promise<Answer> {
  const t = performance.now();
  const res = await pool.request({ path, method: "GET", headers: { authorization: `Bearer ${token}` }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const body = await res.body.text();
  return { status: res.statusCode, body, ms: performance.now() - t };
}

const deliveries = (w: SeededWebhook, query = "") => `/v1/organizations/${w.organizationId}/webhooks/${w.id}/deliveries${query}`;
const day = (offset: number) => new Date(new Date(manifest.to).getTime() - offset * 86_400_000).toISOString();

/** Each route: what one request asks, given a generator (so every client draws its own). */
type Route = { name: string; what: string; next: (random: () => number) => string | (() => Promise<Answer>) };
const pick = <T>(xs: T[], random: () => number): T => xs[Math.floor(random() * xs.length)]!;
const withDeadLetters = manifest.sample.filter((w) => w.failed > 0);
const deep = manifest.busiest.filter((w) => w.deliveries >= 220);
/** Ten pages of 20, following nextCursor: the answer of the tenth page is what counts. */
const tenPagesDeep = (w: SeededWebhook, query: string) => async (): Promise<Answer> => {
  let cursor: string | null = null;
  let last: Answer | undefined;
  for (let page = 0; page < 10; page++) {
    last = await get(deliveries(w, `?limit=20${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`));
    if (last.status !== 200) return last;
    cursor = (JSON.parse(last.body) as { nextCursor: string | null }).nextCursor;
    if (!cursor) break;
  }
  return last!;
};
const ROUTES: Route[] = [
  { name: "list", what: "a webhook's deliveries, first page of 20 (webhook drawn uniformly)", next: (r) => deliveries(pick(manifest.sample, r), "?limit=20") },
  { name: "list-busiest", what: "the same for the 10 busiest webhooks", next: (r) => deliveries(pick(manifest.busiest, r), "?limit=20") },
  { name: "failed", what: "?status=failed, first page (uniform webhook)", next: (r) => deliveries(pick(manifest.sample, r), "?limit=20&status=failed") },
  { name: "failed-busiest", what: "?status=failed on the busiest webhooks", next: (r) => deliveries(pick(manifest.busiest, r), "?limit=20&status=failed") },
  { name: "event", what: "?event=task.created, first page (uniform webhook)", next: (r) => deliveries(pick(manifest.sample, r), "?limit=20&event=task.created") },
  { name: "event-busiest", what: "?event=member.added on the busiest webhooks", next: (r) => deliveries(pick(manifest.busiest, r), "?limit=20&event=member.added") },
  { name: "page-10", what: "ten pages of 20 deep on a busiest webhook (the 10th page's time; the 9 before it are sent too)", next: (r) => tenPagesDeep(pick(deep, r), "") },
  {
    name: "open",
    what: "one delivery with its attempts (uniform webhook, one of its first or latest deliveries)",
    next: (r) => {
      const w = pick(manifest.sample, r);
      return `${deliveries(w)}/${pick(w.sampleDeliveryIds, r)}`;
    },
  },
  { name: "dlq", what: "GET /v1/admin/dlq, first page of 20, no filter", next: () => "/v1/admin/dlq?limit=20" },
  { name: "dlq-org", what: "?organizationId= (an organisation with dead letters)", next: (r) => `/v1/admin/dlq?limit=20&organizationId=${pick(manifest.deadLetterOrganizations, r)}` },
  { name: "dlq-webhook", what: "?webhookId= alone (a uniformly drawn webhook with dead letters)", next: (r) => `/v1/admin/dlq?limit=20&webhookId=${pick(withDeadLetters, r).id}` },
  { name: "dlq-webhook-busiest", what: "?webhookId= alone (a busiest webhook)", next: (r) => `/v1/admin/dlq?limit=20&webhookId=${pick(manifest.busiest, r).id}` },
  { name: "dlq-event", what: "?event=member.removed", next: () => "/v1/admin/dlq?limit=20&event=member.removed" },
  {
    name: "dlq-window",
    what: "?from=&to= one day, ten days before the newest",
    next: () => `/v1/admin/dlq?limit=20&from=${encodeURIComponent(day(11))}&to=${encodeURIComponent(day(10))}`,
  },
];
const selected = args.routes ? ROUTES.filter((r) => args.routes!.split(",").includes(r.name)) : ROUTES;
const ask = (step: string | (() => Promise<Answer>)) => (typeof step === "string" ? get(step) : step());

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)]!;
const round = (ms: number) => Math.round(ms * 10) / 10;

if (args.snapshot) {
  // Fixed requests, one at a time: the same on every build.
  const out: Record<string, Array<{ request: string; status: number; body: unknown }>> = {};
  for (const route of selected) {
    const random = seededRandom(7);
    out[route.name] = [];
    for (let i = 0; i < 5; i++) {
      const step = route.next(random);
      const answer = await ask(step);
      out[route.name]!.push({ request: typeof step === "string" ? step : `${route.name} #${i}`, status: answer.status, body: JSON.parse(answer.body) });
    }
    process.stderr.write(`[snapshot] ${route.name}\n`);
  }
  writeFileSync(args.snapshot, `${JSON.stringify(out, null, 1)}\n`);
} else {
  const clients = Number(args.clients);
  const seconds = Number(args.seconds);
  const results = [];
  // Warm-up: every route once, unmeasured (the admin API's code and FerretDB's caches).
  if (!args.cold) for (const route of selected) await ask(route.next(seededRandom(1)));
  for (const route of selected) {
    const latencies: number[] = [];
    const failures: Record<string, number> = {};
    const end = Date.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        const random = seededRandom(1000 + c);
        while (Date.now() < end) {
          try {
            const answer = await ask(route.next(random));
            if (answer.status === 200) latencies.push(answer.ms);
            else failures[answer.status] = (failures[answer.status] ?? 0) + 1;
          } catch (err) {
            const code = (err as { code?: string }).code ?? "error";
            failures[code] = (failures[code] ?? 0) + 1;
          }
        }
      }),
    );
    const sorted = latencies.sort((a, b) => a - b);
    const result = {
      route: route.name,
      requests: sorted.length,
      perSecond: Math.round((sorted.length / seconds) * 10) / 10,
      p50Ms: sorted.length ? round(percentile(sorted, 0.5)) : null,
      p99Ms: sorted.length ? round(percentile(sorted, 0.99)) : null,
      maxMs: sorted.length ? round(sorted.at(-1)!) : null,
      failures,
    };
    results.push(result);
    process.stderr.write(`[load] ${JSON.stringify(result)}\n`);
  }
  console.log(JSON.stringify({ clients, seconds, loadAverage: (await import("node:os")).loadavg().map((l) => round(l)), routes: results }, null, 2));
}
await pool.close();
