import { checkEventData, domainEventSchema, schemaProblems, type DomainEvent, type SchemaProblem } from "@agiletune/shared";
import type { Message } from "kafkajs";
import { z } from "zod";
import { newId } from "./credentials.js";
import { validationFailed, type ErrorDetail } from "./errors.js";

/**
 * Publishing over HTTP (docs/publishing.md): the request bodies, their validation (the
 * envelope as fanout checks it, and `data` against the event catalogue's schema of its
 * type, each problem with a JSON pointer into the body), and the domain events and Kafka
 * messages they become.
 */

const MAX_BATCH_EVENTS = 100;

const envelope = domainEventSchema.shape;

export const publishEventSchema = z
  .strictObject({
    event: envelope.event.meta({ description: "an event type of GET /v1/event-types" }),
    data: envelope.data.meta({ description: "must match the schema of its event type (GET /v1/event-types)" }),
    id: envelope.id.optional().meta({ description: "the event's id, for receivers to recognise it; generated (evt_…) when omitted" }),
    timestamp: envelope.timestamp.optional().meta({ description: "when it happened (ISO 8601); the time of the request when omitted" }),
    orderingKey: envelope.orderingKey.meta({ description: "what ordered webhooks keep in order; data.id when omitted" }),
  })
  .meta({ id: "PublishEvent" });
export type PublishEventInput = z.output<typeof publishEventSchema>;

export const publishBatchSchema = z
  .strictObject({
    events: z
      .array(publishEventSchema)
      .min(1)
      .max(MAX_BATCH_EVENTS)
      .meta({ description: `1 to ${MAX_BATCH_EVENTS} events, produced all or none` }),
  })
  .meta({ id: "PublishEventBatch" });

/** The envelope's problems, and those of `data` for a known event type, so one answer names them all. */
function problemsOf(schema: z.ZodType, value: unknown, eventsAt: (value: unknown) => Array<{ event: unknown; at: PropertyKey[] }>): SchemaProblem[] {
  const result = schema.safeParse(value);
  const problems = result.success ? [] : schemaProblems(result.error.issues);
  for (const { event, at } of eventsAt(value)) {
    const { event: type, data } = (event ?? {}) as { event?: unknown; data?: unknown };
    if (typeof type === "string" && typeof data === "object" && data !== null && !Array.isArray(data)) problems.push(...checkEventData(type, data, at));
  }
  return problems;
}

/** A JSON pointer as the dotted `field` of the error body: `/events/0/data/id` is `events.0.data.id`. */
function detailOf(problem: SchemaProblem): ErrorDetail {
  const segments = problem.pointer
    .split("/")
    .slice(1)
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
  return { field: segments.length ? segments.join(".") : "(body)", message: problem.message, pointer: problem.pointer };
}

function orThrow(problems: SchemaProblem[]): void {
  if (problems.length) throw validationFailed(problems.slice(0, 20).map(detailOf));
}

// Once checked, a body is used as it was sent (the schemas transform nothing): `data` goes
// on byte for byte as JSON, with no field a copy might drop (a `__proto__` key, say).

/** One event's body, or the 422 with a pointer per problem. */
export function parsePublishEvent(body: unknown): PublishEventInput {
  orThrow(problemsOf(publishEventSchema, body, (value) => [{ event: value, at: [] }]));
  return body as PublishEventInput;
}

/** A batch's body, every event checked before any is produced, or the 422 naming each problem of each event. */
export function parsePublishBatch(body: unknown): PublishEventInput[] {
  const eventsOf = (value: unknown) => {
    const events = (value as { events?: unknown } | null)?.events;
    return Array.isArray(events) ? events.slice(0, MAX_BATCH_EVENTS).map((event, i) => ({ event, at: ["events", i] })) : [];
  };
  orThrow(problemsOf(publishBatchSchema, body, eventsOf));
  return (body as { events: PublishEventInput[] }).events;
}

/** The domain event a published one becomes: the path's organization, an id and time when none was given. */
export function toDomainEvent(input: PublishEventInput, organizationId: string, now: Date): DomainEvent {
  return {
    id: input.id ?? newId("evt"),
    event: input.event as DomainEvent["event"],
    timestamp: input.timestamp ?? now.toISOString(),
    organizationId,
    data: input.data,
    ...(input.orderingKey !== undefined && { orderingKey: input.orderingKey }),
  };
}

const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;
const TRACESTATE = /^[\x20-\x7e]{1,512}$/;

/** W3C Trace Context from the request, passed on as Kafka headers for fanout and the dispatcher; a malformed one is dropped (the event starts its own trace). */
export function traceHeaders(get: (name: string) => string): Record<string, string> {
  const traceparent = get("traceparent");
  if (!TRACEPARENT.test(traceparent)) return {};
  const tracestate = get("tracestate");
  return { traceparent, ...(TRACESTATE.test(tracestate) && { tracestate }) };
}

/** The message on the events topic: keyed by organization, as upstream services produce it. */
export function eventMessage(event: DomainEvent, headers: Record<string, string>): Message {
  return { key: event.organizationId, value: JSON.stringify(event), headers };
}
