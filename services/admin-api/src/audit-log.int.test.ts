import { createServer, connect, type Server, type Socket } from "node:net";
import { COLLECTIONS } from "@agiletune/shared";
import { capturingLogger, integrationTest as test, freePort } from "@agiletune/testing";
import { MongoClient } from "mongodb";
import { expect } from "vitest";
import { recordAudit, type AuditRecord } from "./audit-log.js";

/** A TCP relay to the real database server that can be taken down and brought back on the same port. */
async function relayTo(target: URL): Promise<{ port: number; down: () => Promise<void>; up: () => Promise<void> }> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  const up = async () => {
    server = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", resolve));
  };
  const down = async () => {
    if (!server?.listening) return;
    const closing = new Promise<void>((resolve) => server!.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closing;
  };
  await up();
  return { port, down, up };
}

/** Each line the logger wrote, parsed. */
const parsed = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

const rotated: AuditRecord = {
  organizationId: "org_audit",
  actor: { type: "api-key", id: "key_1" },
  action: "webhook.updated",
  target: { type: "webhook", id: "wh_1" },
  changes: { secret: { from: "whsec_old_value", to: "whsec_new_value" }, url: { from: "https://a.example/h", to: "https://b.example/h" } },
};

test("an audit write waits out a database outage and lands once; past its time the whole entry, redacted, is logged and nothing is thrown", async ({ mongo, mongoUrl }) => {
  const target = new URL(mongoUrl);
  const relay = await relayTo(target);
  const viaRelay = new URL(mongoUrl);
  viaRelay.host = `127.0.0.1:${relay.port}`;
  // Each try gives up on the server quickly, so the outage below spans several of them.
  const client = new MongoClient(viaRelay.toString(), { appName: "audit-outage", serverSelectionTimeoutMS: 300, connectTimeoutMS: 300, heartbeatFrequencyMS: 500 });
  await client.connect();
  const db = client.db();
  try {
    const audit = mongo.db.collection(COLLECTIONS.auditLog);

    // Down when the write starts, back 1.5 s later: the entry lands, once.
    const waited = capturingLogger("info");
    await relay.down();
    const writing = recordAudit({ db: db, logger: waited.logger, clock: () => new Date(), writeTimeoutMs: 20_000 }, rotated);
    await new Promise((r) => setTimeout(r, 1_500));
    await relay.up();
    await writing;
    const written = await audit.find({ organizationId: "org_audit" }).toArray();
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ action: "webhook.updated", changes: { secret: { from: "[redacted]", to: "[redacted]" }, url: { to: "https://b.example/h" } } });
    expect(parsed(waited.lines).some((l) => l.msg === "audit entry not written yet; retrying")).toBe(true);
    expect(parsed(waited.lines).some((l) => l.level === 50)).toBe(false);

    // Down for longer than the write waits: it resolves, and the log holds the entry, its secrets redacted.
    const lost = capturingLogger("info");
    await relay.down();
    await recordAudit({ db: db, logger: lost.logger, clock: () => new Date(), writeTimeoutMs: 1_000 }, { ...rotated, target: { type: "webhook", id: "wh_2" } });
    const logged = parsed(lost.lines).find((l) => l.msg === "could not record an audit entry; the entry is here in full");
    expect(logged?.level).toBe(50);
    expect(logged?.entry).toMatchObject({ organizationId: "org_audit", action: "webhook.updated", target: { id: "wh_2" }, changes: { secret: { from: "[redacted]", to: "[redacted]" } } });
    expect(JSON.stringify(parsed(lost.lines))).not.toContain("whsec_");
    expect(await audit.countDocuments({ "target.id": "wh_2" })).toBe(0);
  } finally {
    await client.close(true);
    await relay.down();
  }
});
