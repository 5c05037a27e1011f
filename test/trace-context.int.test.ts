// docs/tracing.md: an event's W3C Trace Context reaches every HTTP attempt of its deliveries, on
// every path a delivery takes (first attempt, retry tier, parking and release, redelivery,
// dead-letter replay), checked at a real receiver on loopback. Real broker, real database.
import { countByStatus, deliveryIdFor, type TraceContext } from "@agiletune/shared";
import { domainEvent, pipelineTest, type Pipeline, type ReceivedRequest, type TestApi } from "@agiletune/testing";
import { startTestApi } from "@agiletune/testing/harness";
import { expect } from "vitest";

const test = pipelineTest.extend<{ startApiFor: (pipeline: Pipeline) => Promise<TestApi> }>({
  startApiFor: async ({ mongo, kafka, topics }, use) => {
    const started: TestApi[] = [];
    await use(async (pipeline) => {
      const api = await startTestApi({ db: mongo.db, kafka, topics, allowPrivateUrls: true, encryptionKey: pipeline.encryptionKey });
      started.push(api);
      return api;
    });
    for (const api of started) await api.close();
  },
});

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;
/** A producer's context: what an upstream service's OpenTelemetry SDK puts on its Kafka record. */
const upstream: Required<TraceContext> = { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: "vendor=opaque,other=1" };
const UPSTREAM_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const UPSTREAM_SPAN_ID = "00f067aa0ba902b7";

function traceOf(request: ReceivedRequest): { traceId: string; spanId: string; tracestate: string | undefined } {
  const match = TRACEPARENT.exec(String(request.headers.traceparent));
  expect(match, `traceparent ${String(request.headers.traceparent)}`).not.toBeNull();
  const tracestate = request.headers.tracestate;
  return { traceId: match![1]!, spanId: match![2]!, tracestate: tracestate === undefined ? undefined : String(tracestate) };
}

/** Every request of one delivery carries the event's trace and tracestate, each attempt a span id of its own. */
function expectInUpstreamTrace(requests: ReceivedRequest[]): void {
  expect(requests.length).toBeGreaterThan(0);
  const spans = requests.map((r) => {
    const { traceId, spanId, tracestate } = traceOf(r);
    expect({ traceId, tracestate }).toEqual({ traceId: UPSTREAM_TRACE_ID, tracestate: upstream.tracestate });
    return spanId;
  });
  expect(spans).not.toContain(UPSTREAM_SPAN_ID);
  expect(new Set(spans).size).toBe(spans.length);
}

async function produceWithContext(pipeline: Pipeline, events: Array<ReturnType<typeof domainEvent>>, context: TraceContext | null, topic: string): Promise<void> {
  await pipeline.producer.send({
    topic,
    messages: events.map((e) => ({ key: e.organizationId, value: JSON.stringify(e), ...(context && { headers: { ...context } }) })),
  });
}

test("first attempt, retry tier, redelivery and dead-letter replay carry the event's trace; an event without one gets a trace per delivery", { timeout: 90_000 }, async ({
  startPipeline,
  startReceiver,
  startApiFor,
  topics,
}) => {
  let deadFixed = false;
  const seen = new Set<string>();
  const receiver = await startReceiver((req) => {
    const delivery = String(req.headers["x-agiletune-delivery"]);
    const first = !seen.has(delivery);
    seen.add(delivery);
    if (req.path === "/retry") return { status: first ? 500 : 200 };
    if (req.path === "/dead") return { status: deadFixed ? 200 : 500 };
    return { status: 200 };
  });
  // The dead endpoint fails 12 times in a row: its circuit must stay closed for the ladder to run out.
  const pipeline = await startPipeline({ retryDelaysMs: [200, 200, 200, 200, 200], health: { failureThreshold: 100 } });
  const api = await startApiFor(pipeline);
  const hooks = {
    ok: await pipeline.createWebhook({ url: receiver.url("/ok") }),
    retry: await pipeline.createWebhook({ url: receiver.url("/retry") }),
    dead: await pipeline.createWebhook({ url: receiver.url("/dead") }),
  };
  const traced = domainEvent();
  const untraced = domainEvent();
  await produceWithContext(pipeline, [traced], upstream, topics.events);
  await produceWithContext(pipeline, [untraced], null, topics.events);
  const of = (event: { id: string }, hook: { _id: string }) => receiver.requests.filter((r) => r.headers["x-agiletune-delivery"] === deliveryIdFor(event.id, hook._id));

  // ok: 1 each; retry: 500 then 200; dead: the first attempt and five retries, then dead-lettered.
  await receiver.waitFor(() => of(traced, hooks.dead).length === 6 && of(untraced, hooks.dead).length === 6 && of(untraced, hooks.retry).length === 2, 60_000);
  await pipeline.waitUntilIdle();
  expect(of(traced, hooks.ok)).toHaveLength(1);
  expect(of(traced, hooks.retry)).toHaveLength(2);
  for (const hook of Object.values(hooks)) expectInUpstreamTrace(of(traced, hook));

  // No context: each delivery a trace of its own, kept by its retries; nothing to pass on as tracestate.
  const ownTraces = Object.values(hooks).map((hook) => {
    const traces = of(untraced, hook).map(traceOf);
    expect(new Set(traces.map((t) => t.traceId)).size).toBe(1);
    expect(new Set(traces.map((t) => t.spanId)).size).toBe(traces.length);
    expect(traces.every((t) => t.tracestate === undefined)).toBe(true);
    return traces[0]!.traceId;
  });
  expect(new Set([...ownTraces, UPSTREAM_TRACE_ID]).size).toBe(4);

  // The attempt records what it sent, and the API shows it.
  const okDelivery = deliveryIdFor(traced.id, hooks.ok._id);
  const base = `/v1/organizations/${hooks.ok.organizationId}/webhooks`;
  const shown = await api.request("GET", `${base}/${hooks.ok._id}/deliveries/${okDelivery}`);
  expect(shown.status).toBe(200);
  expect(shown.json.attempts.map((a: { traceparent: string }) => a.traceparent)).toEqual([of(traced, hooks.ok)[0]!.headers.traceparent]);

  // Redelivered through the admin API: the same trace, a new span.
  expect((await api.request("POST", `${base}/${hooks.ok._id}/deliveries/${okDelivery}/redeliver`)).status).toBe(202);
  await receiver.waitFor(() => of(traced, hooks.ok).length === 2, 30_000);
  expectInUpstreamTrace(of(traced, hooks.ok));
  const untracedOk = deliveryIdFor(untraced.id, hooks.ok._id);
  expect((await api.request("POST", `${base}/${hooks.ok._id}/deliveries/${untracedOk}/redeliver`)).status).toBe(202);
  await receiver.waitFor(() => of(untraced, hooks.ok).length === 2, 30_000);
  expect(of(untraced, hooks.ok).map((r) => traceOf(r).traceId)).toEqual([ownTraces[0], ownTraces[0]]);

  // The dead letters replayed through the admin API: still in their traces.
  deadFixed = true;
  const replay = await api.request("POST", "/v1/admin/dlq/replay", { body: { webhookId: hooks.dead._id } });
  expect(replay.json).toMatchObject({ replayed: 2 });
  await receiver.waitFor(() => of(traced, hooks.dead).length === 7 && of(untraced, hooks.dead).length === 7, 30_000);
  expectInUpstreamTrace(of(traced, hooks.dead));
  expect(new Set(of(untraced, hooks.dead).map((r) => traceOf(r).traceId))).toEqual(new Set([ownTraces[2]]));
});

test("parked deliveries released after the circuit closes still carry their events' traces", { timeout: 90_000 }, async ({ mongo, startPipeline, startReceiver, topics }) => {
  let up = false;
  const receiver = await startReceiver(() => ({ status: up ? 200 : 503 }));
  const pipeline = await startPipeline({ retryDelaysMs: [500, 500, 500, 500, 500], maxInFlightPerEndpoint: 1, health: { failureThreshold: 2, probeIntervalMs: 500 } });
  const hook = await pipeline.createWebhook({ url: receiver.url("/park") });
  const events = Array.from({ length: 4 }, () => domainEvent());
  await produceWithContext(pipeline, events, upstream, topics.events);

  await expect.poll(async () => (await countByStatus(mongo.db, hook._id)).parked ?? 0, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
  up = true;
  await expect.poll(async () => (await countByStatus(mongo.db, hook._id)).succeeded ?? 0, { timeout: 30_000 }).toBe(4);
  await pipeline.waitUntilIdle();
  for (const event of events) {
    const requests = receiver.requests.filter((r) => r.headers["x-agiletune-delivery"] === deliveryIdFor(event.id, hook._id));
    expect(requests.at(-1)!.headers.traceparent).toBeDefined();
    expectInUpstreamTrace(requests);
  }
});

test("an ordered webhook's deliveries held behind an earlier one of their key carry their events' traces when released", { timeout: 90_000 }, async ({
  mongo,
  startPipeline,
  startReceiver,
  topics,
}) => {
  const seen = new Set<string>();
  // The key's first delivery fails once: the two behind it are held until its retry succeeds.
  const receiver = await startReceiver((req) => {
    const delivery = String(req.headers["x-agiletune-delivery"]);
    const first = seen.size === 0;
    seen.add(delivery);
    return { status: first ? 500 : 200 };
  });
  // The first retry waits 4 s: the two behind it stay held long enough to be seen held on a loaded machine.
  const pipeline = await startPipeline({ retryDelaysMs: [4_000, 1_000, 1_000, 1_000, 1_000] });
  const hook = await pipeline.createWebhook({ url: receiver.url("/ordered"), ordered: true });
  const events = Array.from({ length: 3 }, () => domainEvent({ data: { id: "tsk_ordered", changes: {} } }));
  await produceWithContext(pipeline, events, upstream, topics.events);

  await expect.poll(async () => (await countByStatus(mongo.db, hook._id)).held ?? 0, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
  await expect.poll(async () => (await countByStatus(mongo.db, hook._id)).succeeded ?? 0, { timeout: 30_000 }).toBe(3);
  await pipeline.waitUntilIdle();
  expect(receiver.requests.map((r) => r.headers["x-agiletune-delivery"])).toEqual([events[0]!, ...events].map((e) => deliveryIdFor(e.id, hook._id)));
  for (const event of events) expectInUpstreamTrace(receiver.requests.filter((r) => r.headers["x-agiletune-delivery"] === deliveryIdFor(event.id, hook._id)));
});
