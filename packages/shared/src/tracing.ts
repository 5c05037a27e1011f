import { createTraceState, ROOT_CONTEXT, SpanKind, trace, type Context, type Span, type Tracer } from "@opentelemetry/api";
import { deliveryTraceContext, type TraceContext } from "./trace-context.js";

// OpenTelemetry spans (docs/tracing.md), configured only by the SDK's own OTEL_* variables.
// Without an endpoint for an exporter OTEL_TRACES_EXPORTER names (OTLP by default) the SDK is
// never even loaded: callers ask `tracingOn()`, a module variable, before making any span.

/** The instrumentation scope every span of this repository is made under. */
const SCOPE = "agiletune-webhooks";

let tracer: Tracer | null = null;

/** True once `startTracing` started an exporter in this process: the one check the hot paths pay. */
export function tracingOn(): boolean {
  return tracer !== null;
}

/** The tracer; only call it where `tracingOn()` said yes. */
export function tracerOf(): Tracer {
  if (!tracer) throw new Error("tracing is off: check tracingOn() first");
  return tracer;
}

export type Tracing = { shutdown: () => Promise<void> };

/**
 * The trace exporters the SDK builds from OTEL_TRACES_EXPORTER (comma-separated, `otlp` when
 * unset), each with the variable that says where it sends; `console` needs none.
 */
const EXPORTER_ENDPOINTS: Record<string, readonly string[]> = {
  otlp: ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"],
  zipkin: ["OTEL_EXPORTER_ZIPKIN_ENDPOINT"],
  console: [],
};

/**
 * Whether the environment asks for spans: an exporter OTEL_TRACES_EXPORTER names (OTLP when
 * unset) with its endpoint set, and the SDK not disabled. The SDK would otherwise send to
 * localhost by default; an endpoint left unset means no tracing, as it always did.
 */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  const named = (env.OTEL_TRACES_EXPORTER ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "" && name !== "null");
  // The SDK's own reading: `none` first turns it off, `none` among others means the default.
  if (named[0] === "none") return false;
  const exporters = named.length === 0 || named.includes("none") ? ["otlp"] : named;
  return exporters.some((name) => {
    const endpoints = EXPORTER_ENDPOINTS[name];
    return endpoints !== undefined && (endpoints.length === 0 || endpoints.some((variable) => Boolean(env[variable]?.trim())));
  });
}

/**
 * Starts OpenTelemetry's Node SDK when `tracingRequested()`. The SDK builds the exporters
 * OTEL_TRACES_EXPORTER names (`otlp`, over OTEL_EXPORTER_OTLP_PROTOCOL; `zipkin`; `console`),
 * and every other setting (endpoints, headers, sampler, resource, batching) is its own, from
 * its OTEL_* variables. `serviceName` applies unless OTEL_SERVICE_NAME says otherwise.
 * Spans only: no instrumentation library, no metric reader and no log processor, since this
 * repository makes spans and nothing else through OpenTelemetry.
 */
export async function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<Tracing> {
  if (!tracingRequested(env) || tracer) return { shutdown: async () => {} };
  const { NodeSDK } = await import("@opentelemetry/sdk-node");
  const sdk = new NodeSDK({ serviceName: env.OTEL_SERVICE_NAME?.trim() || serviceName, instrumentations: [], metricReaders: [], logRecordProcessors: [] });
  sdk.start();
  tracer = trace.getTracer(SCOPE);
  return {
    async shutdown() {
      tracer = null;
      // Flushes the spans still batched; an exporter that cannot reach its endpoint loses them, which is no failure of the stop.
      await sdk.shutdown().catch(() => {});
    },
  };
}

/** A context whose remote parent is `parent` (a valid version-00 traceparent), for a span made as its child. */
export function contextOf(parent: TraceContext): Context {
  const [, traceId = "", spanId = "", flags = "01"] = parent.traceparent.split("-");
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16),
    isRemote: true,
    ...(parent.tracestate !== undefined && { traceState: createTraceState(parent.tracestate) }),
  });
}

/** A span's own context in W3C form, with the `tracestate` its parent carried, unchanged. */
export function traceContextOfSpan(span: Span, parent: TraceContext | undefined): TraceContext {
  const { traceId, spanId, traceFlags } = span.spanContext();
  const traceparent = `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, "0")}`;
  return parent?.tracestate === undefined ? { traceparent } : { traceparent, tracestate: parent.tracestate };
}

/**
 * A span of a delivery waiting (a retry hold, a parking), the child of its job's context, and
 * the job that goes on carrying the span's context, so its next attempt is the span's child.
 * Only where `tracingOn()`.
 */
export function beginWaitSpan<Job extends { deliveryId: string; webhookId: string; attempt: number; traceparent?: string | undefined; tracestate?: string | undefined }>(
  job: Job,
  what: { name: string; startTime?: number; attributes?: Record<string, string | number> },
): { job: Job; end: () => void } {
  const parent = deliveryTraceContext(job);
  const span = tracerOf().startSpan(
    what.name,
    {
      kind: SpanKind.INTERNAL,
      ...(what.startTime !== undefined && { startTime: what.startTime }),
      attributes: { "agiletune.webhook.id": job.webhookId, "agiletune.delivery.id": job.deliveryId, "agiletune.delivery.attempt": job.attempt, ...what.attributes },
    },
    contextOf(parent),
  );
  return { job: { ...job, ...traceContextOfSpan(span, parent) }, end: () => span.end() };
}
