import { contextOf, deliveryTraceContext, newSpanId, traceContextOfSpan, tracerOf, tracingOn, withSpanId, type DeliveryJob, type TraceContext } from "@agiletune/shared";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from "@opentelemetry/semantic-conventions";
import type { HttpAttempt } from "./http-delivery.js";

/** One attempt as a trace sees it: the headers that carry its context, and the end of its span. */
export type AttemptTrace = { headers: { traceparent: string; tracestate?: string }; end: (http: HttpAttempt) => void };

const noSpan = () => {};

/**
 * The attempt's W3C Trace Context (docs/tracing.md): the delivery's trace, a span id of the
 * attempt's own, the `tracestate` unchanged. With tracing on, that span is an HTTP client
 * span following OpenTelemetry's semantic conventions, a child of the job's context; with
 * tracing off, the span id is only a random one and nothing else is paid.
 */
export function beginAttemptTrace(job: DeliveryJob, url: string): AttemptTrace {
  const parent = deliveryTraceContext(job);
  if (!tracingOn()) return { headers: withState(withSpanId(parent.traceparent, newSpanId()), parent), end: noSpan };
  const target = safeUrl(url);
  const span = tracerOf().startSpan(
    "POST",
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: "POST",
        ...(target && { [ATTR_URL_FULL]: target.full, [ATTR_SERVER_ADDRESS]: target.address, [ATTR_SERVER_PORT]: target.port }),
        ...(job.attempt > 0 && { [ATTR_HTTP_REQUEST_RESEND_COUNT]: job.attempt }),
        "agiletune.webhook.id": job.webhookId,
        "agiletune.delivery.id": job.deliveryId,
        "agiletune.delivery.attempt": job.attempt,
        "agiletune.event.id": job.eventId,
        "agiletune.event.type": job.event,
      },
    },
    contextOf(parent),
  );
  const own = traceContextOfSpan(span, parent);
  return {
    headers: withState(own.traceparent, own),
    end(http) {
      if (http.status !== null) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, http.status);
      if (http.error) {
        // The semantic conventions' error.type: the status code when there was one, else why there was none.
        span.setAttribute(ATTR_ERROR_TYPE, http.status !== null ? String(http.status) : http.error.code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: http.error.message });
      }
      span.end();
    },
  };
}

function withState(traceparent: string, context: TraceContext): AttemptTrace["headers"] {
  return context.tracestate === undefined ? { traceparent } : { traceparent, tracestate: context.tracestate };
}

/** The URL without credentials or query string, which may carry secrets (the semantic conventions ask for their removal). */
function safeUrl(url: string): { full: string; address: string; port: number } | null {
  try {
    const parsed = new URL(url);
    const port = parsed.port ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80;
    return { full: `${parsed.protocol}//${parsed.host}${parsed.pathname}`, address: parsed.hostname, port };
  } catch {
    return null;
  }
}
