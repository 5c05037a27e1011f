import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type ReceivedRequest = { path: string; method: string; headers: IncomingHttpHeaders; body: string; receivedAt: number };
export type Responder = (req: ReceivedRequest, countForPath: number) => { status: number; body?: string; delayMs?: number; headers?: Record<string, string> } | "hang";

export type Receiver = {
  url: (path: string) => string;
  requests: ReceivedRequest[];
  forPath: (path: string) => ReceivedRequest[];
  /** The most requests (to `path`, or to any path) that were received and not yet answered at one moment. */
  mostInFlight: (path?: string) => number;
  waitFor: (predicate: (all: ReceivedRequest[]) => boolean, timeoutMs?: number) => Promise<void>;
  setResponder: (r: Responder) => void;
  close: () => Promise<void>;
};

/**
 * A real HTTP receiver on loopback: records every request and answers as the test says
 * (status, delay, or never). One server serves many endpoints, told apart by path.
 */
export async function startReceiver(respond: Responder = () => ({ status: 200 })): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const counts = new Map<string, number>();
  // In flight: from the whole request received until the answer is sent or the connection drops.
  const inFlight = new Map<string, number>();
  const most = new Map<string | undefined, number>();
  let inFlightTotal = 0;
  let responder = respond;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      const record: ReceivedRequest = { path, method: req.method ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), receivedAt: Date.now() };
      requests.push(record);
      const count = (counts.get(path) ?? 0) + 1;
      counts.set(path, count);
      inFlight.set(path, (inFlight.get(path) ?? 0) + 1);
      inFlightTotal++;
      most.set(path, Math.max(most.get(path) ?? 0, inFlight.get(path)!));
      most.set(undefined, Math.max(most.get(undefined) ?? 0, inFlightTotal));
      res.once("close", () => {
        inFlight.set(path, inFlight.get(path)! - 1);
        inFlightTotal--;
      });
      const answer = responder(record, count);
      if (answer === "hang") return;
      setTimeout(() => {
        res.writeHead(answer.status, { "content-type": "text/plain", ...answer.headers });
        res.end(answer.body ?? "ok");
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    forPath: (path) => requests.filter((r) => r.path === path),
    mostInFlight: (path) => most.get(path) ?? 0,
    setResponder: (r) => (responder = r),
    async waitFor(predicate, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(requests)) {
        if (Date.now() > deadline) throw new Error(`receiver: condition not met within ${timeoutMs} ms (${requests.length} requests so far)`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
