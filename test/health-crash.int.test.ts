// docs/delivery.md#the-retry-ladder and docs/endpoint-health.md: a dispatcher killed with SIGKILL while a circuit is open, and again
// while its parked deliveries drain, loses nothing. The services run as their own OS
// processes, as in crash-recovery.int.test.ts; the endpoint is a real receiver on loopback.
import { countByStatus, deliveriesCollection, deliveryIdFor, generateEncryptionKey, webhooksCollection } from "@agiletune/shared";
import { domainEvent, insertWebhook, integrationTest as test, waitFor } from "@agiletune/testing";
import type { Db } from "mongodb";
import { expect } from "vitest";

const EVENTS = 200;
/** The down webhook's own limit, so that its 200 parked deliveries drain in ~4 s rather than 20 s at the default 10/s. */
const DRAIN_RATE = 50;

/** A webhook's deliveries by status, as the log shows them, e.g. `{ parked: 197, retrying: 3 }`. */
const statusesOf = (db: Db, webhookId: string): Promise<Record<string, number>> => countByStatus(db, webhookId);

const total = (statuses: Record<string, number>) => Object.values(statuses).reduce((a, b) => a + b, 0);
/** Every entry there, each waiting its turn: parked, or between retry tiers (the first burst's failures, a failed probe). */
const onlyWaiting = (statuses: Record<string, number>) => total(statuses) === EVENTS && Object.keys(statuses).every((s) => s === "parked" || s === "retrying");
const duplicatesIn = (counts: Map<string, number>) => [...counts.values()].reduce((sum, n) => sum + (n - 1), 0);

// Each restart waits out the killed member's session (30 s) before the group rebalances,
// so the two restarts take ~60 s of the run.
test("SIGKILL of the dispatcher while a circuit is open, then while its parked deliveries drain: every delivery arrives and ends succeeded", { timeout: 240_000 }, async ({
  kafka,
  mongo,
  topics,
  logger,
  startReceiver,
  serviceProcess,
}) => {
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const mark = (what: string) => (timings[what] = Math.round((Date.now() - t0) / 100) / 10);

  // Down means 503 without Retry-After: every request the circuit lets through is seen here.
  let endpointUp = false;
  const okDown = new Map<string, number>();
  const okHealthy = new Map<string, number>();
  const receiver = await startReceiver((req) => {
    const id = String(req.headers["x-agiletune-delivery"]);
    if (req.path === "/down" && !endpointUp) return { status: 503 };
    const ok = req.path === "/down" ? okDown : okHealthy;
    ok.set(id, (ok.get(id) ?? 0) + 1);
    return { status: 200 };
  });
  const encryptionKey = generateEncryptionKey();
  const down = await insertWebhook(mongo.db, encryptionKey, { url: receiver.url("/down"), rateLimitPerSecond: DRAIN_RATE });
  const healthy = await insertWebhook(mongo.db, encryptionKey, { url: receiver.url("/healthy") });
  const requestsToDownSince = (at: number) => receiver.forPath("/down").filter((r) => r.receivedAt >= at);
  const hookOf = async () => (await webhooksCollection(mongo.db).findOne({ _id: down._id }))!;
  const statuses = () => statusesOf(mongo.db, down._id);
  const describe = async () =>
    JSON.stringify({
      circuit: (await hookOf()).circuit ?? null,
      health: (await hookOf()).health,
      statuses: await statuses(),
      okDown: okDown.size,
      okHealthy: okHealthy.size,
      requestsToDown: receiver.forPath("/down").length,
    });

  const env = {
    SECRETS_ENCRYPTION_KEY: encryptionKey,
    RETRY_DELAYS: "1s,2s,3s,4s,5s",
    CIRCUIT_FAILURE_THRESHOLD: "3",
    CIRCUIT_PROBE_INTERVAL: "1s",
    DELIVERY_TIMEOUT_MS: "3000",
    ALLOW_PRIVATE_URLS: "true",
  };
  const services = { fanout: serviceProcess("fanout", env), dispatcher: serviceProcess("dispatcher", env), retry: serviceProcess("retry", env) };
  const dispatcher = services.dispatcher;
  try {
    await Promise.all(Object.values(services).map((s) => s.start()));
    mark("services ready");

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const events = Array.from({ length: EVENTS }, () => domainEvent());
    await producer.send({ topic: topics.events, messages: events.map((e) => ({ key: e.organizationId, value: JSON.stringify(e) })) });
    await producer.disconnect();
    const downIds = events.map((e) => deliveryIdFor(e.id, down._id));

    // Phase 1: the circuit opens and the deliveries park. Killed at once, while the first
    // burst's failures are still between tiers (they come back to the restarted dispatcher,
    // which must park them too) and before probes have stretched the interval much: each
    // failed probe doubles it, and phase 2 waits for the next one.
    const parkedAtKill = await waitFor(
      async () => {
        const s = await statuses();
        return (await hookOf()).circuit?.state === "open" && onlyWaiting(s) && (s.parked ?? 0) >= EVENTS / 2 ? s : null;
      },
      { timeout: 30_000, message: async () => `circuit open and deliveries parked: ${await describe()}` },
    );
    mark("circuit open, parked");
    await dispatcher.kill();
    const killedAt = Date.now();
    mark("dispatcher killed (circuit open)");
    const circuitAtFirstKill = (await hookOf()).circuit ?? null;
    logger.info({ parkedAtKill, circuitAtFirstKill }, "killed while the circuit was open");
    const restartLogFrom = dispatcher.output.length;
    await dispatcher.start();
    mark("dispatcher restarted (circuit open)");

    // Picked up: the new process read the open circuit, sends its probe (one request) and,
    // the endpoint still down, keeps the circuit open and the rest parked.
    await waitFor(
      async () => {
        const [probe] = requestsToDownSince(killedAt);
        const hook = await hookOf();
        return probe && hook.circuit?.state === "open" && hook.updatedAt.getTime() >= probe.receivedAt;
      },
      { timeout: 60_000, message: async () => `a failed probe from the restarted dispatcher: ${await describe()}` },
    );
    mark("restarted dispatcher's probe failed");
    // The first burst's failures, back from tier 1, reach the restarted dispatcher, which parks them too.
    const afterFirstKill = await waitFor(
      async () => {
        const s = await statuses();
        return (s.parked ?? 0) >= EVENTS - 10 || s.failed || !onlyWaiting(s) ? s : null;
      },
      { timeout: 15_000, message: async () => `the returning retries parked: ${await describe()}` },
    );
    logger.info({ afterFirstKill }, "after the first restart");
    expect(afterFirstKill.failed ?? 0).toBe(0);
    expect(onlyWaiting(afterFirstKill)).toBe(true);
    expect(afterFirstKill.parked ?? 0).toBeGreaterThanOrEqual(EVENTS - 10);
    // While open only probes go out, one at a time: every request since the restart was one
    // (the counter counts probes answered; one more may be on its way). Nothing parked was flushed at it.
    const probesAnswered = await dispatcher.metric("webhook_circuit_probes_total");
    expect(probesAnswered).toBeGreaterThanOrEqual(1);
    expect(requestsToDownSince(killedAt).length).toBeLessThanOrEqual(probesAnswered + 1);
    expect(await hookOf()).toMatchObject({ health: "failing", circuit: { state: "open" } });
    // And it says so: the circuit was read from the database on its assignment.
    expect(dispatcher.output.slice(restartLogFrom)).toMatch(/"openCircuits":1,"msg":"endpoint health picked up for the assignment"/);

    // Phase 2: the endpoint is back; the next probe succeeds and the parked deliveries drain.
    endpointUp = true;
    const upAt = Date.now();
    // Under way: some parked deliveries sent and logged succeeded, while most are still parked.
    const succeededInLog = () => deliveriesCollection(mongo.db).countDocuments({ webhookId: down._id, status: "succeeded" });
    await waitFor(async () => okDown.size >= 10 && (await succeededInLog()) >= 5, { timeout: 30_000, interval: 10, message: async () => `draining under way: ${await describe()}` });
    await dispatcher.kill();
    mark("dispatcher killed (draining)");
    const deliveredAtKill = okDown.size;
    const drainingAtKill = await statuses();
    const circuitAtKill = (await hookOf()).circuit ?? null;
    logger.info({ deliveredAtKill, drainingAtKill, circuitAtKill }, "killed while draining");
    // Mid-drain: some parked deliveries already sent, more still parked.
    expect(drainingAtKill.parked ?? 0).toBeGreaterThan(0);
    expect(drainingAtKill.failed ?? 0).toBe(0);
    await dispatcher.start();
    mark("dispatcher restarted (draining)");

    // End: every delivery arrives at least once and ends succeeded; the endpoint is healthy again.
    await waitFor(() => downIds.every((id) => okDown.has(id)), { timeout: 60_000, interval: 100, message: async () => `all ${EVENTS} delivered to the endpoint that was down: ${await describe()}` });
    mark("all delivered");
    await waitFor(async () => (await statuses()).succeeded === EVENTS, { timeout: 30_000, interval: 100, message: async () => `all ${EVENTS} succeeded in the log: ${await describe()}` });
    await waitFor(async () => (await hookOf()).circuit == null, { timeout: 30_000, interval: 100, message: async () => `the circuit closed: ${await describe()}` });
    expect(await hookOf()).toMatchObject({ health: "healthy", healthReason: null, failingSince: null });
    await waitFor(() => events.every((e) => okHealthy.has(deliveryIdFor(e.id, healthy._id))), { timeout: 30_000, message: () => `all ${EVENTS} delivered to the healthy webhook (${okHealthy.size})` });
    await waitFor(async () => (await statusesOf(mongo.db, healthy._id)).succeeded === EVENTS, {
      timeout: 30_000,
      message: async () => `healthy webhook's log: ${JSON.stringify(await statusesOf(mongo.db, healthy._id))}`,
    });
    mark("done");

    expect(new Set(okDown.keys())).toEqual(new Set(downIds));
    const summary = {
      downDelivered: okDown.size,
      downDuplicates: duplicatesIn(okDown),
      requestsToDownWhileDown: receiver.forPath("/down").filter((r) => r.receivedAt < upAt).length,
      atFirstKill: { ...parkedAtKill, probeIntervalMs: circuitAtFirstKill?.probeIntervalMs },
      atSecondKill: { deliveredToEndpoint: deliveredAtKill, ...drainingAtKill },
      healthyDelivered: okHealthy.size,
      healthyDuplicates: duplicatesIn(okHealthy),
      timings,
    };
    logger.info(summary, "health crash");
    process.stdout.write(`health crash: ${JSON.stringify(summary)}\n`);
  } catch (err) {
    // What the dispatcher said is the evidence when something is lost or stuck.
    process.stdout.write(`health crash failed at ${JSON.stringify(timings)}; dispatcher log ends:\n${dispatcher.output.slice(-6000)}\n`);
    throw err;
  }
});
