// docs/tracing.md: with OTEL_TRACES_EXPORTER=zipkin and OTEL_EXPORTER_ZIPKIN_ENDPOINT (what
// `./dev start -- --tracing` sets), the services' tracing setup sends its spans to a real
// Zipkin server (from Maven Central, on this test's own port), where its query API, the one
// its web page reads, holds the event's trace: fanout's span under the producer's, the failed
// attempt under fanout, the retry hold and the retry under it.
import { installZipkin, startZipkin, type Zipkin } from "@agiletune/local-infra";
import { countByStatus, startTracing } from "@agiletune/shared";
import { domainEvent, freePort, pipelineTest } from "@agiletune/testing";
import { afterEach, beforeAll, expect, vi } from "vitest";

// A clean clone downloads Zipkin first (~130 MB), outside the test's own timeout.
beforeAll(() => installZipkin(), 10 * 60_000);
afterEach(() => vi.unstubAllEnvs());

const test = pipelineTest.extend<{ zipkin: Zipkin }>({
  zipkin: async ({ testId }, use) => {
    const zipkin = await startZipkin({ port: await freePort(), name: `zipkin-${testId}` });
    try {
      await use(zipkin);
    } finally {
      await zipkin.stop();
    }
  },
});

/** A span as Zipkin's v2 API returns it (it lower-cases names). */
type ZipkinSpan = { id: string; parentId?: string; name: string; kind?: string; localEndpoint?: { serviceName?: string }; tags?: Record<string, string> };

async function traceOf(zipkin: Zipkin, traceId: string): Promise<ZipkinSpan[]> {
  const response = await fetch(`${zipkin.url}/api/v2/trace/${traceId}`);
  return response.status === 404 ? [] : ((await response.json()) as ZipkinSpan[]);
}

test("spans reach Zipkin: the producer's span → fanout → the failed attempt, its retry hold → the retry", { timeout: 120_000 }, async ({ zipkin, mongo, startPipeline, startReceiver, topics }) => {
  vi.stubEnv("OTEL_TRACES_EXPORTER", "zipkin");
  vi.stubEnv("OTEL_EXPORTER_ZIPKIN_ENDPOINT", zipkin.spansEndpoint);
  vi.stubEnv("OTEL_BSP_SCHEDULE_DELAY", "100");
  const tracing = await startTracing("agiletune-zipkin-test");
  try {
    let calls = 0;
    const receiver = await startReceiver(() => ({ status: calls++ === 0 ? 500 : 200 }));
    const pipeline = await startPipeline({ retryDelaysMs: [200, 200, 200, 200, 200] });
    const webhook = await pipeline.createWebhook({ url: receiver.url("/hook") });
    const traceId = "6e0c63257de34c92bf9efcd03927272e";
    const producerSpan = "00f067aa0ba902b7";
    const event = domainEvent();
    await pipeline.producer.send({
      topic: topics.events,
      messages: [{ key: event.organizationId, value: JSON.stringify(event), headers: { traceparent: `00-${traceId}-${producerSpan}-01` } }],
    });
    await expect.poll(async () => (await countByStatus(mongo.db, webhook._id)).succeeded ?? 0, { timeout: 60_000 }).toBe(1);
    await pipeline.waitUntilIdle();

    await expect.poll(async () => (await traceOf(zipkin, traceId)).filter((s) => s.name === "post").length, { timeout: 30_000 }).toBe(2);
    const spans = await traceOf(zipkin, traceId);
    const named = (name: string) => spans.filter((s) => s.name === name);
    const [fanout] = named(`process ${topics.events}`.toLowerCase());
    const [hold] = named("webhook retry hold");
    const attempt = (n: number) => named("post").find((s) => s.tags?.["agiletune.delivery.attempt"] === String(n));
    expect(fanout).toMatchObject({ parentId: producerSpan, kind: "CONSUMER", localEndpoint: { serviceName: "agiletune-zipkin-test" }, tags: { "agiletune.event.id": event.id } });
    expect(attempt(0)).toMatchObject({ parentId: fanout!.id, kind: "CLIENT", tags: { "http.response.status_code": "500", "error.type": "500" } });
    expect(hold).toMatchObject({ parentId: fanout!.id, tags: { "agiletune.delivery.attempt": "1" } });
    expect(attempt(1)).toMatchObject({ parentId: hold!.id, kind: "CLIENT", tags: { "http.response.status_code": "200" } });
    // The span ids the receiver got are the attempts' spans.
    expect(receiver.requests.map((r) => String(r.headers.traceparent).split("-")[2])).toEqual([attempt(0)!.id, attempt(1)!.id]);
  } finally {
    await tracing.shutdown();
  }
});
