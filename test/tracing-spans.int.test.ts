// docs/tracing.md: with OTEL_EXPORTER_OTLP_ENDPOINT set, the services' spans reach a real OTLP
// endpoint (Jaeger v2, built with Go by packages/local-infra, on this test's own ports) with
// the right parent-child links: the event's span → fanout's handling → each attempt, a retry
// hold between a failed attempt and its retry, a parking between an attempt and its release.
import { installJaeger, startJaeger, type Jaeger } from "@agiletune/local-infra";
import { countByStatus, deliveryIdFor, startTracing } from "@agiletune/shared";
import { domainEvent, freePort, pipelineTest, type ReceivedRequest } from "@agiletune/testing";
import { beforeAll, expect } from "vitest";

// A clean clone builds Jaeger first (infra/jaeger/README.md: minutes), outside the test's own timeout.
beforeAll(() => installJaeger(), 30 * 60_000);

const test = pipelineTest.extend<{ jaeger: Jaeger }>({
  jaeger: async ({ testId }, use) => {
    const ports = { otlpHttp: await freePort(), otlpGrpc: await freePort(), query: await freePort(), queryGrpc: await freePort(), health: await freePort() };
    const jaeger = await startJaeger({ ports, name: `jaeger-${testId}` });
    try {
      await use(jaeger);
    } finally {
      await jaeger.stop();
    }
  },
});

type JaegerSpan = { spanID: string; operationName: string; references: Array<{ refType: string; spanID: string }>; tags: Array<{ key: string; value: unknown }> };

async function spansOf(jaeger: Jaeger, traceId: string): Promise<JaegerSpan[]> {
  const response = await fetch(`${jaeger.queryUrl}/api/traces/${traceId}`);
  if (response.status === 404) return [];
  const body = (await response.json()) as { data?: Array<{ spans: JaegerSpan[] }> };
  return body.data?.[0]?.spans ?? [];
}

const parentOf = (span: JaegerSpan) => span.references.find((r) => r.refType === "CHILD_OF")?.spanID;
const tag = (span: JaegerSpan, key: string) => span.tags.find((t) => t.key === key)?.value;
const spanIdSent = (request: ReceivedRequest) => String(request.headers.traceparent).split("-")[2];

test("spans reach Jaeger over OTLP: fanout under the event's span, attempts under fanout, a retry under its hold, a release under its parking", { timeout: 240_000 }, async ({
  jaeger,
  mongo,
  startPipeline,
  startReceiver,
  topics,
}) => {
  const saved = { endpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT, delay: process.env.OTEL_BSP_SCHEDULE_DELAY };
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = jaeger.otlpEndpoint;
  process.env.OTEL_BSP_SCHEDULE_DELAY = "100";
  const tracing = await startTracing("agiletune-pipeline-test");
  try {
    let downIsUp = false;
    const seen = new Set<string>();
    const receiver = await startReceiver((req) => {
      const delivery = String(req.headers["x-agiletune-delivery"]);
      const first = !seen.has(delivery);
      seen.add(delivery);
      if (req.path === "/flaky") return { status: first ? 500 : 200 };
      return { status: downIsUp ? 200 : 503 };
    });
    // Three failures in a row open a circuit: /down's two first attempts and a retry; /flaky fails only twice.
    const pipeline = await startPipeline({ retryDelaysMs: [300, 300, 300, 300, 300], maxInFlightPerEndpoint: 1, health: { failureThreshold: 3, probeIntervalMs: 500 } });
    const flaky = await pipeline.createWebhook({ url: receiver.url("/flaky") });
    const down = await pipeline.createWebhook({ url: receiver.url("/down") });
    const traces = ["4bf92f3577b34da6a3ce929d0e0e4736", "5cf92f3577b34da6a3ce929d0e0e4737"];
    const upstreamSpan = "00f067aa0ba902b7";
    const events = traces.map(() => domainEvent());
    await pipeline.producer.send({
      topic: topics.events,
      messages: events.map((e, i) => ({ key: e.organizationId, value: JSON.stringify(e), headers: { traceparent: `00-${traces[i]}-${upstreamSpan}-01` } })),
    });
    await expect.poll(async () => (await countByStatus(mongo.db, down._id)).parked ?? 0, { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
    downIsUp = true;
    await expect.poll(async () => (await countByStatus(mongo.db, down._id)).succeeded ?? 0, { timeout: 60_000 }).toBe(2);
    await expect.poll(async () => (await countByStatus(mongo.db, flaky._id)).succeeded ?? 0, { timeout: 60_000 }).toBe(2);
    await pipeline.waitUntilIdle();

    let parkings = 0;
    for (const [i, event] of events.entries()) {
      const traceId = traces[i]!;
      const requestsTo = (hook: { _id: string }) => receiver.requests.filter((r) => r.headers["x-agiletune-delivery"] === deliveryIdFor(event.id, hook._id));
      const expected = requestsTo(flaky).length + requestsTo(down).length;
      // Every attempt a receiver saw is a span of the event's trace.
      await expect.poll(async () => (await spansOf(jaeger, traceId)).filter((s) => s.operationName === "POST").length, { timeout: 30_000 }).toBe(expected);
      const spans = await spansOf(jaeger, traceId);
      const byId = new Map(spans.map((s) => [s.spanID, s]));
      const [fanout, ...moreFanout] = spans.filter((s) => s.operationName === `process ${topics.events}`);
      expect(moreFanout).toEqual([]);
      expect(parentOf(fanout!)).toBe(upstreamSpan);
      expect(tag(fanout!, "agiletune.event.id")).toBe(event.id);

      for (const hook of [flaky, down]) {
        const deliveryId = deliveryIdFor(event.id, hook._id);
        const attempts = spans.filter((s) => s.operationName === "POST" && tag(s, "agiletune.delivery.id") === deliveryId);
        // The span ids the receiver got are the attempts' spans.
        expect(new Set(attempts.map((s) => s.spanID))).toEqual(new Set(requestsTo(hook).map(spanIdSent)));
        for (const attempt of attempts) {
          expect(tag(attempt, "span.kind")).toBe("client");
          expect(tag(attempt, "agiletune.webhook.id")).toBe(hook._id);
          expect(tag(attempt, "http.request.method")).toBe("POST");
          const status = tag(attempt, "http.response.status_code");
          expect([200, 500, 503]).toContain(status);
          if (status !== 200) expect(tag(attempt, "error.type")).toBe(String(status));
          // An attempt's parent is fanout's span (a first attempt), a retry hold or a parking.
          const parent = byId.get(parentOf(attempt)!)!;
          expect(parent === fanout || ["webhook retry hold", "webhook park"].includes(parent.operationName)).toBe(true);
          if (parent.operationName === "webhook retry hold") expect(tag(parent, "agiletune.delivery.id")).toBe(deliveryId);
          if (parent.operationName === "webhook park") parkings++;
        }
        const first = attempts.find((s) => tag(s, "agiletune.delivery.attempt") === 0);
        if (hook === flaky) {
          expect(tag(first!, "http.response.status_code")).toBe(500);
          const retry = attempts.find((s) => tag(s, "agiletune.delivery.attempt") === 1)!;
          expect(tag(retry, "http.response.status_code")).toBe(200);
          expect(byId.get(parentOf(retry)!)!.operationName).toBe("webhook retry hold");
        }
      }
      // Everything else descends from fanout's span, through retry holds and parkings only
      // (a probe that failed is retried under its parking; a release may be parked again).
      for (const span of spans.filter((s) => s !== fanout)) {
        let at = span;
        while (at !== fanout) {
          const parent = byId.get(parentOf(at)!);
          expect(parent, `the parent of ${at.operationName} ${at.spanID}`).toBeDefined();
          if (parent !== fanout) expect(["webhook retry hold", "webhook park"]).toContain(parent!.operationName);
          at = parent!;
        }
      }
    }
    // At least one released delivery was attempted as its parking's child.
    expect(parkings).toBeGreaterThanOrEqual(1);
  } finally {
    await tracing.shutdown();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved.endpoint;
    process.env.OTEL_BSP_SCHEDULE_DELAY = saved.delay;
    if (saved.endpoint === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    if (saved.delay === undefined) delete process.env.OTEL_BSP_SCHEDULE_DELAY;
  }
});
