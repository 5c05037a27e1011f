import { ALL_EVENTS, DELIVERY_STATUSES, isEventType, WEBHOOK_CONTENT_TYPES } from "@agiletune/shared";
import { z } from "zod";
import { validationFailed, type ErrorDetail } from "./errors.js";
import { customHeadersField, customHeadersPatchField, ed25519Field, endpointAuthField, endpointAuthPatchField } from "./endpoint-settings-schemas.js";
import { text, urlField } from "./schema-fields.js";

/**
 * Request schemas of the admin API: bodies, query strings and path ids. Every body is a
 * strict object (unknown fields are a 422 naming the field); every string refuses control
 * characters and lone surrogates, which JSON allows but which nothing downstream should
 * have to handle. The OpenAPI document is generated from these (openapi.ts): a schema's
 * `.meta({ id })` names its component, and `.meta()` adds what a refinement cannot show
 * in JSON Schema (a minimum length checked by `refine`, a description).
 */

const SECRET_MIN_LENGTH = 16;
const SECRET_MAX_LENGTH = 256;
const DESCRIPTION_MAX_LENGTH = 500;
const MAX_EVENTS_PER_WEBHOOK = 50;
const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;
/** docs/endpoint-health.md: a webhook's rate limit, requests per second. */
export const RATE_LIMIT_MIN = 1;
export const RATE_LIMIT_MAX = 10_000;

/** Path and filter ids: what our own ids and organization ids look like. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export const idSchema = z.string().regex(ID_PATTERN, "is not a valid id");

/** Path parameters by name; a path id that does not match names nothing (404, see `pathId`). */
export const pathParamSchemas: Record<string, z.ZodType> = {
  orgId: idSchema.meta({ description: "organization id" }),
  webhookId: idSchema.meta({ description: "webhook id" }),
  deliveryId: idSchema.meta({ description: "delivery id" }),
  keyId: idSchema.meta({ description: "API key id" }),
  sessionId: idSchema.meta({ description: "portal session id" }),
};

const secretField = text(SECRET_MAX_LENGTH)
  .refine((s) => s.length >= SECRET_MIN_LENGTH, `must be at least ${SECRET_MIN_LENGTH} characters`)
  .meta({ minLength: SECRET_MIN_LENGTH, description: "generated when omitted" });

const eventsField = z
  .array(z.string().max(64, "is not a known event type"), "must be an array of event types")
  .min(1, `must list at least one event type, or "${ALL_EVENTS}"`)
  .max(MAX_EVENTS_PER_WEBHOOK, `must list at most ${MAX_EVENTS_PER_WEBHOOK} event types`)
  .superRefine((events, ctx) => {
    events.forEach((event, index) => {
      if (event !== ALL_EVENTS && !isEventType(event)) {
        ctx.addIssue({ code: "custom", path: [index], message: `is not a known event type (see GET /v1/event-types)` });
      }
    });
    if (events.includes(ALL_EVENTS) && events.some((e) => e !== ALL_EVENTS)) {
      ctx.addIssue({ code: "custom", message: `"${ALL_EVENTS}" means every event and must be alone` });
    }
  })
  // Duplicates are harmless; keep the first of each, in the caller's order.
  .transform((events) => [...new Set(events)])
  .meta({ description: `event types, or ["${ALL_EVENTS}"] for all` });

const contentTypeField = z.enum(WEBHOOK_CONTENT_TYPES, 'must be "json" or "form"');
const descriptionField = text(DESCRIPTION_MAX_LENGTH);
const rateLimitMessage = `must be a whole number from ${RATE_LIMIT_MIN} to ${RATE_LIMIT_MAX}`;
/** A rate limit; every refusal says `message`. */
const orderedField = z.boolean("must be true or false");
const orderedDescription = "deliver each ordering key's deliveries one at a time, in the order of their events";
const rateLimitField = (message: string) => z.int(message).min(RATE_LIMIT_MIN, message).max(RATE_LIMIT_MAX, message);

export const createWebhookSchema = z
  .strictObject({
    url: urlField,
    contentType: contentTypeField,
    secret: secretField.optional(),
    events: eventsField,
    active: z.boolean("must be true or false").optional(),
    description: descriptionField.optional(),
    rateLimitPerSecond: rateLimitField(rateLimitMessage).optional().meta({ description: "requests per second its URL may receive, on all dispatchers together; absent: no limit" }),
    ordered: orderedField.optional().meta({ description: `${orderedDescription}; absent: false` }),
    headers: customHeadersField.optional(),
    auth: endpointAuthField.optional(),
    ed25519: ed25519Field.optional(),
  })
  .meta({ id: "CreateWebhook" });

export const updateWebhookSchema = z
  .strictObject({
    url: urlField.optional(),
    contentType: contentTypeField.optional(),
    events: eventsField.optional(),
    active: z.boolean("must be true or false").optional().meta({ description: "true on an inactive (or disabled) webhook also makes it healthy with a closed circuit" }),
    description: descriptionField.optional(),
    rateLimitPerSecond: rateLimitField(`${rateLimitMessage}, or null to remove the limit`)
      .nullable()
      .optional()
      .meta({ description: "requests per second its URL may receive, on all dispatchers together; null removes the limit" }),
    ordered: orderedField.optional().meta({ description: orderedDescription }),
    headers: customHeadersPatchField.optional(),
    auth: endpointAuthPatchField.optional(),
    ed25519: ed25519Field.optional(),
    // Named so the 422 says where to go instead of just "unknown field"; documented as
    // never valid (`not: {}`).
    secret: z
      .unknown()
      .refine(() => false, "cannot be changed here; use POST .../secret/rotate")
      .optional()
      .meta({ not: {}, description: "cannot be changed here; use POST .../secret/rotate" }),
  })
  .refine((patch) => Object.keys(patch).length > 0, "must change at least one of url, contentType, events, active, description, rateLimitPerSecond, ordered, headers, auth, ed25519")
  .meta({ id: "UpdateWebhook", minProperties: 1 });
export type UpdateWebhookInput = z.output<typeof updateWebhookSchema>;

/** Rotation may name the new secret; without a body one is generated. */
export const rotateSecretSchema = z.strictObject({ secret: secretField.optional() }).meta({ id: "RotateSecret" });

/** An empty body (`{}` or none at all) for routes that take no input. */
export const emptyBodySchema = z.strictObject({}).meta({ id: "EmptyBody" });

// A missing value keeps zod's own message, which zodDetails turns into "is required".
export const isoTime = z.iso
  .datetime({ offset: true, error: (issue) => (issue.input === undefined ? undefined : "must be an ISO 8601 date-time, e.g. 2026-03-20T12:00:00Z") })
  .transform((s) => new Date(s));

/**
 * Recover (docs/endpoint-health.md): `since` is required and not in the future. The future check
 * needs the request's clock, so it is in `parseRecover`, not in the schema.
 */
export const recoverSchema = z
  .strictObject({ since: isoTime.meta({ description: "resend the failed and cancelled deliveries created at or after this time (not in the future)" }) })
  .meta({ id: "Recover" });
export type RecoverInput = z.output<typeof recoverSchema>;

/** Parses a recover body, or the 422 naming `since`, the route's and the CLI's check alike. */
export function parseRecover(value: unknown, now: Date): RecoverInput {
  const input = parseOr422(recoverSchema, value);
  if (input.since.getTime() > now.getTime()) throw validationFailed([{ field: "since", message: `must not be in the future (now is ${now.toISOString()})` }]);
  return input;
}

const eventFilter = z.string().refine((e) => isEventType(e) || e === "ping", "is not a known event type");

const dlqFilterShape = {
  organizationId: idSchema.optional().meta({ description: "only this organization" }),
  webhookId: idSchema.optional().meta({ description: "only this webhook" }),
  event: eventFilter.optional().meta({ description: "only this event type" }),
  from: isoTime.optional().meta({ description: "deadLetteredAt at or after" }),
  to: isoTime.optional().meta({ description: "deadLetteredAt before" }),
};
export const fromBeforeTo = (f: { from?: Date | undefined; to?: Date | undefined }) => !(f.from && f.to && f.from >= f.to);

/** Dead-letter filters: `from` inclusive, `to` exclusive, both on `deadLetteredAt`. */
const dlqFilterSchema = z.strictObject(dlqFilterShape).refine(fromBeforeTo, { message: "must be before to", path: ["from"] });
export type DlqFilter = z.infer<typeof dlqFilterSchema>;

export const dlqReplaySchema = z
  .strictObject({ ...dlqFilterShape, dryRun: z.boolean("must be true or false").optional().meta({ description: "only count the matches" }) })
  .refine(fromBeforeTo, { message: "must be before to", path: ["from"] })
  .meta({ id: "DlqReplay" });

const limitParam = z
  .string()
  .regex(/^\d{1,4}$/, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
  .transform(Number)
  .pipe(z.number().min(1, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`).max(MAX_PAGE_SIZE, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`))
  .default(DEFAULT_PAGE_SIZE)
  // A string of digits on the wire, documented as the integer it means.
  .meta({ type: "integer", minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: "page size" });
const cursorParam = z.string().optional().meta({ description: "`nextCursor` of the previous page" });

export const pageQuerySchema = z.object({ limit: limitParam, cursor: cursorParam });

export const deliveriesQuerySchema = z.object({
  limit: limitParam,
  cursor: cursorParam,
  status: z
    .enum(DELIVERY_STATUSES, `must be one of ${DELIVERY_STATUSES.join(", ")}`)
    .optional()
    .meta({ description: "only this status" }),
  event: eventFilter.optional().meta({ description: "only this event type (or ping)" }),
});

export const dlqQuerySchema = z.object({ limit: limitParam, cursor: cursorParam, ...dlqFilterShape }).refine(fromBeforeTo, { message: "must be before to", path: ["from"] });

/** Zod issues as docs/openapi.json `details`, each naming its field (`prefix.path`). */
function zodDetails(error: z.ZodError, prefix?: string): ErrorDetail[] {
  const name = (path: PropertyKey[]) => {
    const joined = [prefix, ...path.map(String)].filter((p) => p !== undefined && p !== "").join(".");
    return joined === "" ? "(body)" : joined;
  };
  const details: ErrorDetail[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) details.push({ field: name([...issue.path, key]), message: "is not a known field" });
    } else if (issue.code === "invalid_type" && /received undefined$/.test(issue.message)) {
      details.push({ field: name(issue.path), message: issue.path.length ? "is required" : "a JSON object body is required" });
    } else {
      details.push({ field: name(issue.path), message: issue.message });
    }
  }
  // One complaint once (a value can fail two checks that say the same, e.g. an integer
  // both unsafe and over the maximum); a huge wrong input must not produce a huge response.
  const seen = new Set<string>();
  const unique = details.filter((d) => {
    const key = `${d.field}\u0000${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.slice(0, 20);
}

/** Parses or throws the 422 whose details name every offending field. */
export function parseOr422<S extends z.ZodType>(schema: S, value: unknown, prefix?: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(zodDetails(result.error, prefix));
  return result.data;
}

/** Koa's parsed query: repeated parameters become arrays, which no route accepts. */
export function parseQuery<S extends z.ZodType>(schema: S, query: Record<string, string | string[] | undefined>): z.output<S> {
  const repeated = Object.entries(query).filter(([, v]) => Array.isArray(v));
  if (repeated.length) throw validationFailed(repeated.map(([k]) => ({ field: `query.${k}`, message: "must be given once" })));
  return parseOr422(schema, query, "query");
}
