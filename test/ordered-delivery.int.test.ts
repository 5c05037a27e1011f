// Ordered delivery (docs/ordered-delivery.md): for an ordered webhook, each ordering key's
// deliveries reach the receiver in the order of their events, across retries, crashes and
// several dispatchers, and one stuck key holds only itself. Real broker, real database,
// real receivers on loopback; the services as processes where they are killed.
import { deliveriesCollection, generateEncryptionKey, webhooksCollection } from "@agiletune/shared";
import { domainEvent, insertWebhook, integrationTest, pipelineTest, sleep, waitFor } from "@agiletune/testing";
import type { Db } from "mongodb";
import { expect } from "vitest";

type Arrival = { key: string; n: number; status: number; id: string };

/** Per (path, key): the requests in the order they arrived. */
function arrivalsByKey(arrivals: Map<string, Arrival[]>): Map<string, Arrival[]> {
  const byKey = new Map<string, Arrival[]>();
  for (const [path, list] of arrivals) for (const a of list) byKey.set(`${path} ${a.key}`, [...(byKey.get(`${path} ${a.key}`) ?? []), a]);
  return byKey;
}

/**
 * Keys whose requests went backwards: an older event's delivery after a newer one's. With
 * `firstOnly`, each delivery's first request only (repeats left out).
 */
function backwards(arrivals: Map<string, Arrival[]>, { firstOnly = false } = {}): string[] {
  const found: string[] = [];
  for (const [key, requests] of arrivalsByKey(arrivals)) {
    const all = requests.map((r) => r.n);
    const ns = firstOnly ? all.filter((n, i) => all.indexOf(n) === i) : all;
    let highest = -1;
    for (const n of ns) {
      // Each request's event number, a refused one marked with its status.
      if (n < highest) found.push(`${requests.find((r) => r.n === n)?.id} ${key}: ${n} after ${highest} (${requests.map((r) => (r.status === 200 ? r.n : `${r.n}/${r.status}`)).join(",")})`);
      highest = Math.max(highest, n);
    }
  }
  return found;
}

/** A receiver answering 500 to `failShare` of requests at random, noting each request's key and event number. */
function recording(failShare: (key: string) => number) {
  const arrivals = new Map<string, Arrival[]>();
  const accepted = new Set<string>();
  const respond = (req: { path: string; headers: Record<string, unknown>; body: string }) => {
    const body = JSON.parse(req.body) as { data: { n: number; id: string } };
    const key = String(req.headers["x-agiletune-ordering-key"]);
    const status = Math.random() < failShare(key) ? 500 : 200;
    const list = arrivals.get(req.path) ?? [];
    list.push({ key, n: body.data.n, status, id: String(req.headers["x-agiletune-delivery"]) });
    arrivals.set(req.path, list);
    if (status === 200) accepted.add(`${req.path} ${String(req.headers["x-agiletune-delivery"])}`);
    return { status };
  };
  return { arrivals, accepted, respond };
}

/** What the ordering state holds, for a failure message: deliveries not ended, active chains, held documents. */
async function orderingState(db: Db, scope: Record<string, unknown>): Promise<string> {
  const open = await deliveriesCollection(db)
    .find({ ...scope, status: { $nin: ["succeeded", "failed", "cancelled"] } }, { projection: { status: 1, eventId: 1, heldBehind: 1, attemptIds: 1, statusReason: 1 } })
    .toArray();
  const chains = await db
    .collection("ordering_chains")
    .find({ $or: [{ held: { $gt: 0 } }, { current: { $ne: null } }] })
    .toArray();
  const held = await db.collection("held_deliveries").countDocuments();
  // What each held one waits for: its log entry (or none yet), and any chain naming either.
  const behind = await Promise.all(
    open
      .filter((d) => d.heldBehind)
      .slice(0, 3)
      .map(async (d) => ({
        held: d._id,
        behind: (await deliveriesCollection(db).findOne({ _id: d.heldBehind! }, { projection: { status: 1, attemptIds: 1, statusReason: 1 } })) ?? `${d.heldBehind} not in the log`,
        heldCopy: await db.collection<{ _id: string }>("held_deliveries").findOne({ _id: d._id }, { projection: { job: 0 } }),
        chains: await db
          .collection("ordering_chains")
          .find({ $or: [{ "current.deliveryId": { $in: [d.heldBehind, d._id] } }, { "last.deliveryId": { $in: [d.heldBehind, d._id] } }] })
          .toArray(),
      })),
  );
  return `not ended ${JSON.stringify(open.slice(0, 8))} (${open.length}); active chains ${JSON.stringify(chains.slice(0, 5))} (${chains.length}); held documents ${held}; held behind ${JSON.stringify(behind)}`;
}

const keyedEvents = (count: number, keys: number, org = "org_1") =>
  Array.from({ length: count }, (_, n) => domainEvent({ organizationId: org, event: "task.updated", data: { id: `tsk_${n % keys}`, n, changes: {} } }));

integrationTest(
  "with 30 % of requests failing, a dispatcher SIGKILLed mid-stream and a second one joining, no key's requests ever go backwards, repeats included, and every delivery ends",
  { timeout: 360_000 },
  async ({ kafka, mongo, topics, startReceiver, serviceProcess }) => {
    const { arrivals, accepted, respond } = recording(() => 0.3);
    const receiver = await startReceiver(respond);
    const encryptionKey = generateEncryptionKey();
    const hooks = [await insertWebhook(mongo.db, encryptionKey, { url: receiver.url("/a"), ordered: true }), await insertWebhook(mongo.db, encryptionKey, { url: receiver.url("/b"), ordered: true })];
    const env = { SECRETS_ENCRYPTION_KEY: encryptionKey, RETRY_DELAYS: "300ms,300ms,300ms,300ms,300ms", DELIVERY_TIMEOUT_MS: "3000", ALLOW_PRIVATE_URLS: "true" };
    const fanout = serviceProcess("fanout", env);
    const retry = serviceProcess("retry", env);
    const dispatchers = [serviceProcess("dispatcher", env), serviceProcess("dispatcher", env)];
    await Promise.all([fanout.start(), retry.start(), dispatchers[0]!.start()]);

    const events = keyedEvents(400, 20);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const producing = (async () => {
      for (let i = 0; i < events.length; i += 20) {
        await producer.send({ topic: topics.events, messages: events.slice(i, i + 20).map((e) => ({ key: e.organizationId, value: JSON.stringify(e) })) });
        // Paced, so that the kill and the join fall mid-stream.
        await sleep(250);
      }
    })();
    await waitFor(() => accepted.size >= 150, { timeout: 90_000, message: "150 deliveries before the kill" });
    await dispatchers[0]!.kill();
    await dispatchers[0]!.start();
    await waitFor(() => accepted.size >= 400, { timeout: 90_000, message: "400 deliveries before the second dispatcher" });
    await dispatchers[1]!.start();
    await producing;
    await producer.disconnect();

    const ended = () => deliveriesCollection(mongo.db).countDocuments({ status: { $in: ["succeeded", "failed", "cancelled"] } });
    await waitFor(async () => (await ended()) === events.length * hooks.length, {
      timeout: 150_000,
      interval: 500,
      message: async () =>
        `every delivery ended: ${await ended()} of ${events.length * hooks.length}; ${await orderingState(mongo.db, {})}; backwards ${JSON.stringify(backwards(arrivals).slice(0, 3))}`,
    });
    const requests = [...arrivals.values()].reduce((n, list) => n + list.length, 0);
    const repeatsBehind = backwards(arrivals);
    process.stdout.write(
      `ordered: ${requests} requests for ${events.length * hooks.length} deliveries, ${accepted.size} accepted, ${repeatsBehind.length} repeats after a later delivery of their key${repeatsBehind.length ? `, e.g. ${repeatsBehind.slice(0, 3).join("; ")}` : ""}\n`,
    );
    // Every request keeps its key's order, repeats after the kill and the rebalance included.
    expect(backwards(arrivals, { firstOnly: true })).toEqual([]);
    expect(repeatsBehind).toEqual([]);
    expect(await deliveriesCollection(mongo.db).countDocuments({ status: "held" })).toBe(0);
  },
);

pipelineTest(
  "a key that fails for ever dead-letters event by event, in order, while the webhook's other keys finish; the ones behind it are held, naming the one they wait for",
  async ({ mongo, startPipeline, startReceiver }) => {
    const { arrivals, respond } = recording((key) => (key === "tsk_0" ? 1 : 0));
    const receiver = await startReceiver(respond);
    // The circuit stays out of it: a key failing for ever is what is tested, not its endpoint's health.
    const pipeline = await startPipeline({ retryDelaysMs: [400, 400, 400, 400, 400], health: { failureThreshold: 1_000 } });
    const hook = await pipeline.createWebhook({ url: receiver.url("/stuck"), ordered: true });
    // tsk_0 is every fifth event: three of them, behind which its later ones wait.
    const events = keyedEvents(15, 5);
    await pipeline.produceEvents(events);

    // While tsk_0's first delivery climbs its ladder, its second is held behind it.
    const stuck = events.filter((e) => e.data.id === "tsk_0");
    const [first, second] = await Promise.all(stuck.slice(0, 2).map((e) => waitFor(() => deliveriesCollection(mongo.db).findOne({ eventId: e.id, webhookId: hook._id }), { timeout: 20_000 })));
    await waitFor(async () => (await deliveriesCollection(mongo.db).findOne({ _id: second!._id }))?.status === "held", { timeout: 20_000, message: "the second delivery of the stuck key held" });
    expect(await deliveriesCollection(mongo.db).findOne({ _id: second!._id })).toMatchObject({ status: "held", heldBehind: first!._id });

    // The other keys finish meanwhile, long before the stuck key's ladders (6 attempts each) end.
    const others = events.filter((e) => e.data.id !== "tsk_0").length;
    await waitFor(async () => (await deliveriesCollection(mongo.db).countDocuments({ webhookId: hook._id, status: "succeeded" })) === others, {
      timeout: 30_000,
      message: "the other keys' deliveries",
    });
    expect(await deliveriesCollection(mongo.db).countDocuments({ webhookId: hook._id, status: "failed" })).toBeLessThan(stuck.length);

    // Then the stuck key's deliveries fail one after another, each only once the one before it ended.
    await waitFor(async () => (await deliveriesCollection(mongo.db).countDocuments({ webhookId: hook._id, status: "failed" })) === stuck.length, {
      timeout: 60_000,
      message: async () =>
        `the stuck key dead-lettered: ${await orderingState(mongo.db, { webhookId: hook._id })}; requests ${JSON.stringify(arrivals.get("/stuck")!.filter((a) => a.key === "tsk_0"))}`,
    });
    const stuckRequests = arrivals
      .get("/stuck")!
      .filter((a) => a.key === "tsk_0")
      .map((a) => a.n);
    expect(stuckRequests).toEqual(stuck.flatMap((e) => Array.from({ length: 6 }, () => e.data.n)));
    expect(backwards(arrivals)).toEqual([]);
  },
);

pipelineTest(
  "a webhook switched from unordered to ordered and back while events flow: everything arrives, in order while ordered, and nothing stays held",
  async ({ mongo, startPipeline, startReceiver }) => {
    const { accepted, respond } = recording(() => 0.3);
    const receiver = await startReceiver(respond);
    const pipeline = await startPipeline({ retryDelaysMs: [300, 300, 300, 300, 300] });
    const hook = await pipeline.createWebhook({ url: receiver.url("/switch") });
    const events = keyedEvents(180, 6);
    const setOrdered = (ordered: boolean) => webhooksCollection(mongo.db).updateOne({ _id: hook._id }, { $set: { ordered, updatedAt: new Date() } });
    for (let i = 0; i < events.length; i += 10) {
      if (i === 60) await setOrdered(true);
      if (i === 120) await setOrdered(false);
      await pipeline.produceEvents(events.slice(i, i + 10));
      await sleep(150);
    }
    await waitFor(async () => (await deliveriesCollection(mongo.db).countDocuments({ webhookId: hook._id, status: { $in: ["succeeded", "failed"] } })) === events.length, {
      timeout: 90_000,
      interval: 500,
      message: async () => `every delivery ended: ${await orderingState(mongo.db, { webhookId: hook._id })}; count ${await deliveriesCollection(mongo.db).countDocuments({ webhookId: hook._id })}`,
    });
    expect(await deliveriesCollection(mongo.db).countDocuments({ webhookId: hook._id, status: "held" })).toBe(0);
    expect(accepted.size).toBeGreaterThanOrEqual(events.length - 2);
  },
);
