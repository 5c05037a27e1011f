// The benchmark's receiver, in a process of its own so that it does not share an event loop
// with the measuring harness. Paths decide behaviour: /ok/* answers 200, /fail/* 500,
// /slow/* never answers (the dispatcher's timeout ends it). Every body carries the
// producer's clock (`data.producedAt`), so each receipt yields an end-to-end latency.
// Talks to its parent over IPC: {cmd:"stats"} → counts and latencies since the last reset,
// {cmd:"counts"} → the counts alone.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** `producedAt[i]` is when the event behind `latenciesMs[i]` was produced. */
export type Stats = { received: number; byPrefix: Record<string, number>; latenciesMs: number[]; producedAt: number[]; failedAttemptTimes: Record<string, number[]>; firstAt: number; lastAt: number };
const fresh = (): Stats => ({ received: 0, byPrefix: {}, latenciesMs: [], producedAt: [], failedAttemptTimes: {}, firstAt: 0, lastAt: 0 });
let stats = fresh();
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
    if (prefix === "slow") return; // never answer
    res.writeHead(prefix === "fail" ? 500 : 200, { "content-type": "text/plain" });
    res.end("ok");
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.send!({ port: (server.address() as AddressInfo).port });
});
process.on("message", (msg: { cmd: string; id?: number }) => {
  const answer = (value: unknown) => process.send!({ id: msg.id, answer: value });
  if (msg.cmd === "stats") answer(stats);
  // Polled every few hundred ms while measuring: no latency arrays to serialise.
  if (msg.cmd === "counts") answer({ received: stats.received, byPrefix: stats.byPrefix });
  if (msg.cmd === "reset") {
    stats = fresh();
    answer(true);
  }
  if (msg.cmd === "exit") {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
