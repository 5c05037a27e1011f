import { contextOf, parseTraceContext, traceContextOfSpan, tracerOf, tracingOn, type TraceContext } from "@agiletune/shared";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { KafkaMessage } from "kafkajs";

/** One event's handling as a trace sees it: the context its delivery jobs carry, and the end of its span. */
export type EventTrace = { forJobs: TraceContext | undefined; end: (error?: unknown) => void };

const noSpan = () => {};
/** Most events: no context and no exporter, so nothing to allocate per event. */
const UNTRACED: EventTrace = { forJobs: undefined, end: noSpan };

/**
 * The event's W3C Trace Context from its Kafka headers (docs/tracing.md). With tracing off,
 * its jobs carry that context as it came; with tracing on, fanout's handling of the event is a
 * span, the event's context its parent, and the jobs carry the span's context (an event
 * without a context gets a root span, and its deliveries traces of their own).
 */
export function beginEventTrace(message: KafkaMessage, where: { topic: string; partition: number; eventId: string }): EventTrace {
  const incoming = parseTraceContext(headerText(message, "traceparent"), headerText(message, "tracestate"));
  if (!tracingOn()) return incoming ? { forJobs: incoming, end: noSpan } : UNTRACED;
  const span = tracerOf().startSpan(
    `process ${where.topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": where.topic,
        "messaging.destination.partition.id": String(where.partition),
        "messaging.kafka.offset": Number(message.offset),
        "agiletune.event.id": where.eventId,
      },
    },
    incoming ? contextOf(incoming) : ROOT_CONTEXT,
  );
  return {
    forJobs: incoming && traceContextOfSpan(span, incoming),
    end(error) {
      if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
      span.end();
    },
  };
}

function headerText(message: KafkaMessage, name: string): string | undefined {
  const value = message.headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}
