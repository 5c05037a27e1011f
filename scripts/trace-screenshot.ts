// `pnpm tsx scripts/trace-screenshot.ts`: the picture of docs/tracing.md. With the stack
// running as `ALLOW_PRIVATE_URLS=true RETRY_DELAYS=3s,10s,30s,60s,120s ./dev start -- --tracing`,
// it publishes one event through the admin API from a traced "upstream" service, to a webhook
// whose receiver (traced too) fails the first attempt and accepts the retry, waits for the
// whole trace in Zipkin, and takes a screenshot of Zipkin's page of that trace with Debian's
// Chromium. The upstream service and the receiver export their spans to Zipkin with
// OpenTelemetry's own tracer provider and Zipkin exporter, as a customer's would.
// ADMIN_API_URL (http://127.0.0.1:8080), ZIPKIN_URL (http://127.0.0.1:9411), ADMIN_TOKEN
// (else .stack/secrets.json's) and the output path (docs/images/trace-zipkin.png) can be changed.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import { ZipkinExporter } from "@opentelemetry/exporter-zipkin";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { REPO_ROOT, waitFor } from "@agiletune/local-infra";
import { startReceiver } from "@agiletune/local-infra/receiver";
import { contextOf, parseTraceContext, traceContextOfSpan } from "@agiletune/shared";
import { chromium } from "playwright-core";

const admin = process.env.ADMIN_API_URL ?? "http://127.0.0.1:8080";
const zipkin = process.env.ZIPKIN_URL ?? "http://127.0.0.1:9411";
const out = process.argv[2] ?? join(REPO_ROOT, "docs/images/trace-zipkin.png");
const token = process.env.ADMIN_TOKEN ?? (JSON.parse(readFileSync(join(REPO_ROOT, ".stack/secrets.json"), "utf8")) as { ADMIN_TOKEN: string }).ADMIN_TOKEN;
const organizationId = "org_trace_demo";

/** A tracer of a service of its own name, exporting each span to Zipkin as it ends. */
function tracerOf(serviceName: string): { tracer: Tracer; provider: TracerProvider } {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": serviceName }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: new ZipkinExporter({ url: `${zipkin}/api/v2/spans` }) })],
  });
  return { tracer: provider.getTracer("trace-screenshot"), provider };
}

async function api(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}): Promise<{ id: string }> {
  const response = await fetch(admin + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...opts.headers },
    ...(opts.body !== undefined && { body: JSON.stringify(opts.body) }),
  });
  const json = (response.status === 204 ? {} : await response.json()) as { id: string };
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

const upstream = tracerOf("agiletune-backend");
const customer = tracerOf("customer-receiver");
// The receiver's handling of each request, a server span under the attempt that sent it.
const receiver = await startReceiver((req, count) => {
  const parent = parseTraceContext(String(req.headers.traceparent), undefined);
  const status = count === 1 ? 500 : 200;
  const delayMs = count === 1 ? 15 : 40;
  const span = customer.tracer.startSpan(
    "POST /hooks/agiletune",
    { kind: SpanKind.SERVER, attributes: { "http.request.method": "POST", "http.route": "/hooks/agiletune", "http.response.status_code": status } },
    parent && contextOf(parent),
  );
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  setTimeout(() => span.end(), delayMs);
  return { status, delayMs };
});
const webhook = await api("POST", `/v1/organizations/${organizationId}/webhooks`, {
  body: { url: receiver.url("/hooks/agiletune"), contentType: "json", events: ["task.created"], secret: randomBytes(16).toString("hex"), description: "trace screenshot" },
});
try {
  // The upstream service's span, whose context the event carries (docs/publishing.md).
  const produce = upstream.tracer.startSpan("publish task.created", { kind: SpanKind.PRODUCER, attributes: { "messaging.destination.name": "agiletune.events" } });
  const { traceparent } = traceContextOfSpan(produce, undefined);
  const traceId = traceparent.split("-")[1]!;
  const event = await api("POST", `/v1/organizations/${organizationId}/events`, { body: { event: "task.created", data: { id: "tsk_42", title: "Ship the tracing docs" } }, headers: { traceparent } });
  produce.setAttribute("agiletune.event.id", event.id);
  produce.end();
  console.log(`trace-screenshot: event ${event.id} for webhook ${webhook.id}, trace ${traceId}`);

  await waitFor("the retry's 200", async () => receiver.requests.length >= 2, 120_000);
  // Every span: the upstream's, fanout's, two attempts, the retry hold, two receiver spans.
  await waitFor(
    `trace ${traceId} complete in Zipkin`,
    async () => {
      const response = await fetch(`${zipkin}/api/v2/trace/${traceId}`);
      return response.ok && ((await response.json()) as unknown[]).length >= 7;
    },
    60_000,
  );

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    headless: true,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${zipkin}/zipkin/traces/${traceId}`, { waitUntil: "networkidle" });
    // The failed attempt's details beside the tree: its status code, error and delivery.
    await page.getByText("agiletune-dispatcher: post").first().click();
    await page.getByText("http.response.status_code").waitFor();
    // Its start and finish annotations folded, so that all its tags fit.
    await page.getByText("Annotation", { exact: true }).locator("xpath=..").getByRole("button").click();
    await page.getByText("Client Start").waitFor({ state: "hidden" });
    await page.screenshot({ path: out });
    console.log(`trace-screenshot: ${out}`);
  } finally {
    await browser.close();
  }
} finally {
  // The receiver goes with this program: its webhook too, or a later run's trace would show its failures.
  await api("DELETE", `/v1/organizations/${organizationId}/webhooks/${webhook.id}`);
  await receiver.close();
  await Promise.all([upstream.provider.shutdown(), customer.provider.shutdown()]);
}
