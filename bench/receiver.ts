// The benchmark's receiver, in a process of its own so that it does not share an event loop
// with the measuring harness. Paths decide behaviour: /ok/* answers 200, /fail/* 500,
// /slow/* never answers (the dispatcher's timeout ends it), /dead/* answers 200 once its
// endpoint is up again (below), /flaky-random/* answers 503 to half its requests at random,
// /flaky-first/* refuses each delivery's first request and accepts every later one,
// /ordered/* and /ordered-control/* are the ordered scenario's (orderedReceipt below). Every
// body carries the producer's clock (`data.producedAt`), so each receipt yields an
// end-to-end latency.
// Talks to its parent over IPC: {cmd:"stats"} → counts and latencies since the last reset,
// {cmd:"counts"} → the counts alone; {cmd:"openDead"}, {cmd:"reviveDead"} and
// {cmd:"closeDead"} run the dead endpoints.
import { createServer } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from "node:net";

/**
 * One dead endpoint, on a port of its own so that every connection to it is its own.
 * While down, each connection is counted and reset; once up, each delivery's first
 * arrival is kept by delivery id, and a repeat counted as a duplicate.
 */
export type DeadEndpointStats = { path: string; port: number; connectionsWhileDown: number; requests: number; duplicates: number; firstArrivalAt: Record<string, number> };
/** The dead endpoints: down from `openDead` until `reviveDead` (`revivedAt`; 0 while down). */
export type DeadStats = { revivedAt: number; endpoints: DeadEndpointStats[] };

/**
 * `producedAt[i]` is when the event behind `latenciesMs[i]` was produced. The healthy
 * endpoints' (/ok/, /fanout/) first and last receipts are kept apart from all receipts':
 * other endpoints' deliveries may trail theirs by a long way (retries, parked deliveries).
 */
export type Stats = {
  received: number;
  byPrefix: Record<string, number>;
  latenciesMs: number[];
  producedAt: number[];
  failedAttemptTimes: Record<string, number[]>;
  firstAt: number;
  lastAt: number;
  healthyFirstAt: number;
  healthyLastAt: number;
  /** flaky endpoints by prefix: each delivery's requests, and when it was accepted (first 2xx). */
  flaky: Record<string, FlakyStats>;
  ordered: OrderedStats;
  dead: DeadStats;
};
export type FlakyStats = { requests: Record<string, number>; acceptedAt: Record<string, number> };

/**
 * The ordered scenario's receipts. Its events carry their ordering key in `data.id` and
 * the key's sequence in `data.seq`, and their number in the run in `data.n`. A key `stuck_*` is refused for ever; a key whose last
 * number is a multiple of 10 (`key_3_40`) is a bystander and always accepted; any other
 * key's requests are refused at random, one in three (so 30 % of all). `backwards` counts
 * deliveries accepted after a later one of their key had been, `firstRequestBackwards`
 * first requests that came after a later delivery's first request. Latencies are by event
 * number, so that a bystander's can be set beside the same event's at its control webhook.
 */
export type OrderedStats = {
  requests: number;
  refused: number;
  accepted: number;
  repeats: number;
  firstAcceptedAt: number;
  lastAcceptedAt: number;
  backwards: number;
  firstRequestBackwards: number;
  bystanderLatencyMs: Record<string, number>;
  failingKeyLatencyMs: number[];
  controlLatencyMs: Record<string, number>;
};
const freshOrdered = (): OrderedStats => ({
  requests: 0,
  refused: 0,
  accepted: 0,
  repeats: 0,
  firstAcceptedAt: 0,
  lastAcceptedAt: 0,
  backwards: 0,
  firstRequestBackwards: 0,
  bystanderLatencyMs: {},
  failingKeyLatencyMs: [],
  controlLatencyMs: {},
});
// What the order checks remember, per key and per delivery; reset with the counts.
let orderedSeen = { acceptedSeq: new Map<string, number>(), firstRequestSeq: new Map<string, number>(), requested: new Set<string>(), accepted: new Set<string>() };

type Counts = Omit<Stats, "dead">;
const fresh = (): Counts => ({
  received: 0,
  byPrefix: {},
  latenciesMs: [],
  producedAt: [],
  failedAttemptTimes: {},
  firstAt: 0,
  lastAt: 0,
  healthyFirstAt: 0,
  healthyLastAt: 0,
  flaky: {},
  ordered: freshOrdered(),
});
let stats = fresh();
/** Off during the ordered scenario's warm-up. */
let orderedFailures = true;

type OrderedBody = { data?: { id?: string; seq?: number; n?: number; producedAt?: number } };

/** An ordered endpoint's answer to one request, counted in `stats.ordered`. */
function orderedReceipt(prefix: string, deliveryId: string, rawBody: Buffer, now: number): number {
  const o = stats.ordered;
  let body: OrderedBody;
  try {
    body = JSON.parse(rawBody.toString("utf8")) as OrderedBody;
  } catch {
    return 400;
  }
  const eventId = String(body.data?.n);
  const key = body.data?.id ?? "";
  const seq = body.data?.seq ?? 0;
  const latency = now - (body.data?.producedAt ?? now);
  if (prefix === "ordered-control") {
    o.controlLatencyMs[eventId] ??= latency;
    return 200;
  }
  o.requests++;
  if (!orderedSeen.requested.has(deliveryId)) {
    orderedSeen.requested.add(deliveryId);
    if (seq < (orderedSeen.firstRequestSeq.get(key) ?? -1)) o.firstRequestBackwards++;
    else orderedSeen.firstRequestSeq.set(key, seq);
  }
  const bystander = Number(key.split("_").at(-1)) % 10 === 0 && key.startsWith("key_");
  const refuse = key.startsWith("stuck_") || (orderedFailures && !bystander && Math.random() < 1 / 3);
  if (refuse) {
    o.refused++;
    return 503;
  }
  if (orderedSeen.accepted.has(deliveryId)) {
    o.repeats++;
    if (seq < (orderedSeen.acceptedSeq.get(key) ?? -1)) o.backwards++;
    return 200;
  }
  orderedSeen.accepted.add(deliveryId);
  o.accepted++;
  o.firstAcceptedAt ||= now;
  o.lastAcceptedAt = now;
  if (seq < (orderedSeen.acceptedSeq.get(key) ?? -1)) o.backwards++;
  else orderedSeen.acceptedSeq.set(key, seq);
  if (bystander) o.bystanderLatencyMs[eventId] = latency;
  else o.failingKeyLatencyMs.push(latency);
  return 200;
}
// Kept across resets: the dead endpoints are opened before the warm-up, whose end resets the counts.
let dead: DeadStats = { revivedAt: 0, endpoints: [] };
let deadServers: TcpServer[] = [];
// Connections the dead listeners handed to the HTTP server, ended by closeDead (a listener's close waits for them).
const deadSockets = new Set<Socket>();
// Enough for a 10-minute soak at 1000 deliveries/s.
const MAX_SAMPLES = 600_000;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const now = Date.now();
    const path = req.url ?? "/";
    const prefix = path.split("/")[1] ?? "";
    stats.received++;
    stats.byPrefix[prefix] = (stats.byPrefix[prefix] ?? 0) + 1;
    stats.firstAt ||= now;
    stats.lastAt = now;
    if (prefix === "ok" || prefix === "fanout") {
      stats.healthyFirstAt ||= now;
      stats.healthyLastAt = now;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { data?: { producedAt?: number } };
        if (body.data?.producedAt && stats.latenciesMs.length < MAX_SAMPLES) {
          stats.latenciesMs.push(now - body.data.producedAt);
          stats.producedAt.push(body.data.producedAt);
        }
      } catch {
        // Not JSON: counted, not timed.
      }
    }
    if (prefix === "fail") {
      // Attempt times per delivery: the gaps, less the configured delays, are the retry lateness.
      const id = String(req.headers["x-agiletune-delivery"]);
      (stats.failedAttemptTimes[id] ??= []).push(now);
    }
    if (prefix === "dead") {
      const endpoint = dead.endpoints.find((e) => e.path === path);
      if (endpoint) {
        const id = String(req.headers["x-agiletune-delivery"]);
        endpoint.requests++;
        if (endpoint.firstArrivalAt[id] === undefined) endpoint.firstArrivalAt[id] = now;
        else endpoint.duplicates++;
      }
    }
    if (prefix === "slow") return; // never answer
    let status = prefix === "fail" ? 500 : 200;
    if (prefix === "ordered" || prefix === "ordered-control") status = orderedReceipt(prefix, String(req.headers["x-agiletune-delivery"]), Buffer.concat(chunks), now);
    if (prefix === "flaky-random" || prefix === "flaky-first") {
      const id = String(req.headers["x-agiletune-delivery"]);
      const flaky = (stats.flaky[prefix] ??= { requests: {}, acceptedAt: {} });
      const requests = (flaky.requests[id] = (flaky.requests[id] ?? 0) + 1);
      status = prefix === "flaky-random" ? (Math.random() < 0.5 ? 503 : 200) : requests === 1 ? 500 : 200;
      if (status === 200) flaky.acceptedAt[id] ??= now;
    }
    res.writeHead(status, { "content-type": "text/plain" });
    res.end("ok");
  });
});
server.keepAliveTimeout = 60_000;

/**
 * Opens `count` dead endpoints, down. Down, a listener accepts each connection and resets
 * it at once (TCP RST): to the sender, as to one whose connection is refused, the request
 * fails in well under a millisecond with a connection error, and nothing was delivered. A
 * closed port would refuse it in the kernel, where no one could count the attempts;
 * accepting first lets each be counted, and each attempt needs a connection of its own
 * since none survives. Up, the same port hands its connections to the HTTP server.
 */
async function openDead(count: number): Promise<Array<{ path: string; port: number }>> {
  await closeDead();
  dead = { revivedAt: 0, endpoints: [] };
  for (let i = 0; i < count; i++) {
    const endpoint: DeadEndpointStats = { path: `/dead/${i}`, port: 0, connectionsWhileDown: 0, requests: 0, duplicates: 0, firstArrivalAt: {} };
    const tcp = createTcpServer((socket) => {
      if (dead.revivedAt === 0) {
        endpoint.connectionsWhileDown++;
        socket.resetAndDestroy();
        return;
      }
      deadSockets.add(socket);
      socket.once("close", () => deadSockets.delete(socket));
      server.emit("connection", socket);
    });
    await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve));
    endpoint.port = (tcp.address() as AddressInfo).port;
    dead.endpoints.push(endpoint);
    deadServers.push(tcp);
  }
  return dead.endpoints.map(({ path, port }) => ({ path, port }));
}

async function closeDead(): Promise<void> {
  const closing = deadServers.map((tcp) => new Promise<void>((resolve) => tcp.close(() => resolve())));
  deadServers = [];
  for (const socket of deadSockets) socket.destroy();
  await Promise.all(closing);
}

server.listen(0, "127.0.0.1", () => {
  process.send!({ port: (server.address() as AddressInfo).port });
});
process.on("message", (msg: { cmd: string; id?: number; count?: number; on?: boolean }) => {
  const answer = (value: unknown) => process.send!({ id: msg.id, answer: value });
  if (msg.cmd === "stats") answer({ ...stats, dead });
  // Polled every few hundred ms while measuring: no latency arrays to serialise.
  if (msg.cmd === "counts")
    answer({
      received: stats.received,
      byPrefix: stats.byPrefix,
      deadDelivered: dead.endpoints.reduce((n, e) => n + e.requests - e.duplicates, 0),
      flakyAccepted: Object.values(stats.flaky).reduce((n, f) => n + Object.keys(f.acceptedAt).length, 0),
      orderedAccepted: stats.ordered.accepted,
      orderedControl: Object.keys(stats.ordered.controlLatencyMs).length,
    });
  if (msg.cmd === "orderedFailures") {
    orderedFailures = msg.on ?? true;
    answer(orderedFailures);
  }
  if (msg.cmd === "reset") {
    stats = fresh();
    orderedSeen = { acceptedSeq: new Map(), firstRequestSeq: new Map(), requested: new Set(), accepted: new Set() };
    answer(true);
  }
  if (msg.cmd === "openDead") void openDead(msg.count ?? 0).then(answer);
  if (msg.cmd === "reviveDead") {
    dead.revivedAt = Date.now();
    answer(dead.revivedAt);
  }
  if (msg.cmd === "closeDead") void closeDead().then(() => answer(true));
  if (msg.cmd === "exit") {
    void closeDead();
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
