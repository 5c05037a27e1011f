import { z } from "zod";
import { checkEventData, EVENT_CATALOGUE, type EventType } from "./event-catalogue.js";

export const EVENT_TYPES: readonly EventType[] = EVENT_CATALOGUE.map((e) => e.event);
const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);

export function isEventType(value: string): value is EventType {
  return EVENT_TYPE_SET.has(value);
}

/** Subscribing to `*` means every event type, including ones added later. */
export const ALL_EVENTS = "*";

const nonEmpty = z.string().min(1).max(256);

export const domainEventSchema = z.object({
  id: nonEmpty,
  event: z.string().refine(isEventType, { message: "unknown event type" }),
  timestamp: z.iso.datetime({ offset: true }),
  organizationId: nonEmpty,
  data: z.record(z.string(), z.unknown()),
  /** What an ordered webhook keeps in order (docs/ordered-delivery.md); `data.id` when absent. */
  orderingKey: nonEmpty.optional(),
});

export type DomainEvent = { id: string; event: EventType; timestamp: string; organizationId: string; data: Record<string, unknown>; orderingKey?: string };

/** The key an ordered webhook keeps this event's deliveries in order by: `orderingKey`, else `data.id` when it is a string of 1-256 characters; none otherwise. */
export function orderingKeyOf(event: Pick<DomainEvent, "orderingKey" | "data">): string | undefined {
  if (event.orderingKey !== undefined) return event.orderingKey;
  const id = event.data.id;
  return typeof id === "string" && id.length >= 1 && id.length <= 256 ? id : undefined;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Validates a decoded event (docs/topics-and-formats.md#domain-events): its envelope (the
 * reason names the bad field), then its `data` against its type's schema (the reason gives
 * a JSON pointer per problem, as the publish API's 422 does).
 */
export function validateDomainEvent(value: unknown): ParseResult<DomainEvent> {
  const result = domainEventSchema.safeParse(value);
  if (!result.success) return { ok: false, reason: describeZodError(result.error) };
  const problems = checkEventData(result.data.event, result.data.data);
  if (problems.length) return { ok: false, reason: problems.map((p) => `${p.pointer}: ${p.message}`).join("; ") };
  return { ok: true, value: result.data as DomainEvent };
}

/** Parses a plain-JSON event from the raw message bytes. */
export function parseJsonDomainEvent(bytes: Buffer | null): ParseResult<DomainEvent> {
  if (bytes === null || bytes.length === 0) return { ok: false, reason: "empty message value" };
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    return { ok: false, reason: `invalid JSON: ${(err as Error).message}` };
  }
  return validateDomainEvent(value);
}

export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`)
    .join("; ");
}
