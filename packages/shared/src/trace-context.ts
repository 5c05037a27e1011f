import { createHash } from "node:crypto";

// W3C Trace Context (https://www.w3.org/TR/trace-context/) as an event brings it and as each
// HTTP attempt sends it (docs/tracing.md). Pure: no OpenTelemetry here, so a process without
// an exporter pays for a string or two per attempt and nothing more.

/** `traceparent` and `tracestate` as they travel on a delivery job: the parent of its attempts. */
export type TraceContext = { traceparent: string; tracestate?: string };

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = "0".repeat(32);
const ZERO_SPAN_ID = "0".repeat(16);
/** What deliveryIdFor makes: `dlv_` and 32 hex digits of a digest. */
const DELIVERY_ID = /^dlv_[0-9a-f]{32}$/;
/** The spec's limit for a tracestate worth propagating; printable ASCII only. */
export const TRACESTATE_MAX_LENGTH = 512;
const TRACESTATE = /^[\x20-\x7e]*$/;

/** A valid version-00 traceparent, the form every job carries. */
export const TRACEPARENT_PATTERN = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * The trace context of incoming `traceparent`/`tracestate` values, or undefined when the
 * traceparent is absent or invalid (then the event starts a trace per delivery). A later
 * version's traceparent is read by its first four fields and carried on as version 00, as the
 * spec asks; an unusable tracestate is dropped, never the traceparent.
 */
export function parseTraceContext(traceparent: string | undefined, tracestate: string | undefined): TraceContext | undefined {
  if (traceparent === undefined) return undefined;
  const match = TRACEPARENT.exec(traceparent.trim().toLowerCase());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return undefined;
  const state = tracestate?.trim();
  const usableState = state && state.length <= TRACESTATE_MAX_LENGTH && TRACESTATE.test(state) ? state : undefined;
  return { traceparent: `00-${traceId}-${spanId}-${flags}`, ...(usableState !== undefined && { tracestate: usableState }) };
}

/**
 * The context a delivery's attempts descend from: the job's, or for a job without one (an
 * event that brought none, a ping) a trace of the delivery's own. It is derived from the
 * delivery id, so every retry, parking and redelivery of that delivery stays in one trace
 * without the id being stored anywhere. A delivery id is already 128 random-looking bits
 * (a digest of its event and webhook ids): they are the trace id as they are, which spares
 * every attempt a hash; any other id is hashed.
 */
export function deliveryTraceContext(job: { deliveryId: string; traceparent?: string | undefined; tracestate?: string | undefined }): TraceContext {
  if (job.traceparent !== undefined) return job.tracestate === undefined ? { traceparent: job.traceparent } : { traceparent: job.traceparent, tracestate: job.tracestate };
  const id = job.deliveryId;
  const hex = DELIVERY_ID.test(id) && !id.endsWith(ZERO_TRACE_ID) ? id.slice(4) : createHash("sha256").update("trace\u0000").update(id).digest("hex");
  // The parent's span id is never a span that was sent: only a valid, fixed one per delivery.
  return { traceparent: `00-${hex.slice(0, 32)}-${hex.slice(0, 15)}1-01` };
}

/** The trace id of a traceparent (its second field). */
export function traceIdOf(traceparent: string): string {
  return traceparent.slice(3, 35);
}

/** The same trace and flags under another span id: what an attempt sends when no SDK makes its span. */
export function withSpanId(traceparent: string, spanId: string): string {
  return `${traceparent.slice(0, 36)}${spanId}${traceparent.slice(52)}`;
}

/**
 * A random span id. Math.random, as OpenTelemetry's own id generator uses: a span id must be
 * unique, not secret, and crypto's random bytes cost measurable CPU per attempt.
 */
export function newSpanId(): string {
  let id = "";
  while (id.length < 16)
    id += Math.floor(Math.random() * 0x100000000)
      .toString(16)
      .padStart(8, "0");
  return id === ZERO_SPAN_ID ? newSpanId() : id;
}
