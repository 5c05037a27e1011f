import { createServer, request as httpRequest, Agent as HttpAgent } from "node:http";
import { Agent, request } from "undici";
const server = createServer((req, res) => { req.resume(); req.on("end", () => { res.writeHead(200); res.end("ok"); }); });
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const port = (server.address() as any).port;
const body = "x".repeat(300);
async function loop(name: string, one: () => Promise<void>) {
  let n = 0; const end = Date.now() + 2000;
  await Promise.all(Array.from({ length: 32 }, async () => { while (Date.now() < end) { await one(); n++; } }));
  console.log(name, Math.round(n / 2), "req/s");
}
const ua = new Agent({ connections: 32 });
await loop("undici POST", async () => { const r = await request(`http://127.0.0.1:${port}/`, { method: "POST", body, dispatcher: ua }); await r.body.dump(); });
await loop("undici GET", async () => { const r = await request(`http://127.0.0.1:${port}/`, { dispatcher: ua }); await r.body.dump(); });
const ha = new HttpAgent({ keepAlive: true, maxSockets: 32 });
await loop("node http POST", () => new Promise((resolve, reject) => { const req = httpRequest({ port, host: "127.0.0.1", method: "POST", agent: ha, headers: { "content-length": body.length } }, (res) => { res.resume(); res.on("end", resolve); }); req.on("error", reject); req.end(body); }));
server.close(); await ua.close(); ha.destroy();
