import { createTraceState, ROOT_CONTEXT, SpanKind, trace, type Context, type Span, type Tracer } from "@opentelemetry/api";
import { deliveryTraceContext, type TraceContext } from "./trace-context.js";

// OpenTelemetry spans (docs/tracing.md), configured only by the SDK's own OTEL_* variables.
// Without OTEL_EXPORTER_OTLP_ENDPOINT (or its traces variant) the SDK is never even loaded:
// callers ask `tracingOn()`, a module variable, before making any span.

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

/** Whether the environment asks for spans: an OTLP endpoint set, and the SDK not disabled. */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/**
 * Starts OpenTelemetry's Node SDK with its OTLP trace exporter when `tracingRequested()`;
 * every other setting (protocol, headers, sampler, resource, batching) is the SDK's, from
 * its OTEL_* variables. `serviceName` applies unless OTEL_SERVICE_NAME says otherwise.
 * No instrumentation library is loaded: the spans are the ones this repository makes.
 */
export async function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<Tracing> {
  if (!tracingRequested(env) || tracer) return { shutdown: async () => {} };
  const [{ NodeSDK }, { OTLPTraceExporter }] = await Promise.all([import("@opentelemetry/sdk-node"), import("@opentelemetry/exporter-trace-otlp-proto")]);
  const sdk = new NodeSDK({ serviceName: env.OTEL_SERVICE_NAME?.trim() || serviceName, traceExporter: new OTLPTraceExporter(), instrumentations: [] });
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
