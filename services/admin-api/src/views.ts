import { z } from "zod";

/**
 * The response shapes of docs/openapi.json as zod schemas, and the views that build them from
 * stored documents: here the small responses and the pieces every view module shares;
 * webhook-views.ts, delivery-views.ts and dead-letter-views.ts hold the rest. The schemas are
 * the one description of each response: the TypeScript types are inferred from them and the
 * OpenAPI document is generated from them (`.meta({ id })` names the component). Nothing
 * parses responses at run time; the integration tests check every response they receive
 * against the document.
 *
 * Each view lists its fields explicitly, so a field added to a document (a sealed secret,
 * a payload) never reaches a response by accident, and its declared return type makes a
 * field added to a schema a compile error until the view fills it.
 */

/** What `Date.prototype.toISOString` writes. */
export const isoDateTime = z.iso.datetime();
export const count = z.int().nonnegative();

/** A list page: `{items, nextCursor}`, `nextCursor` null on the last page. */
export function listOf<T extends z.ZodType>(item: T, id: string) {
  return z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() }).meta({ id });
}

export function iso(d: Date): string;
export function iso(d: Date | null | undefined): string | null;
export function iso(d: Date | null | undefined): string | null {
  return d ? new Date(d).toISOString() : null;
}

export const healthSchema = z.strictObject({ status: z.literal("ok") }).meta({ id: "Health" });
export const readySchema = z.strictObject({ status: z.literal("ready"), checks: z.strictObject({ mongo: z.literal("ok"), kafka: z.literal("ok") }) }).meta({ id: "Ready" });
export const openApiDocumentSchema = z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }).meta({ id: "OpenApiDocument" });

const eventTypeSchema = z
  .strictObject({
    event: z.string(),
    description: z.string(),
    schema: z.record(z.string(), z.unknown()).meta({ description: "JSON Schema (draft 2020-12) of the event's `data`" }),
    example: z.record(z.string(), z.unknown()).meta({ description: "an example of the event's `data`" }),
  })
  .meta({ id: "EventType" });
export const eventTypeListSchema = listOf(eventTypeSchema, "EventTypeList");
export type EventTypeList = z.output<typeof eventTypeListSchema>;

export const apiKeySchema = z
  .strictObject({ id: z.string(), organizationId: z.string(), token: z.string().meta({ description: "shown only in this response" }), createdAt: isoDateTime })
  .meta({ id: "ApiKey" });
export type ApiKeyView = z.output<typeof apiKeySchema>;

/** Ping and redeliver: the job is queued under this delivery id. */
export const acceptedSchema = z.strictObject({ deliveryId: z.string() }).meta({ id: "Accepted" });
export type Accepted = z.output<typeof acceptedSchema>;

/** Publishing: the broker has the event (or every event of the batch, in order). */
export const publishAcceptedSchema = z.strictObject({ id: z.string() }).meta({ id: "PublishAccepted" });
export type PublishAccepted = z.output<typeof publishAcceptedSchema>;
export const publishBatchAcceptedSchema = z.strictObject({ ids: z.array(z.string()) }).meta({ id: "PublishBatchAccepted" });
export type PublishBatchAccepted = z.output<typeof publishBatchAcceptedSchema>;

export const portalUserSchema = z.strictObject({ id: z.string(), name: z.string().optional(), email: z.string().optional() }).meta({ id: "PortalUser" });

/** Who a token is (beyond docs/openapi.json): the settings page signs in with it, and a portal page learns of its session's end from it. */
export const meSchema = z
  .union([
    z.strictObject({ kind: z.literal("operator") }),
    z.strictObject({ kind: z.literal("organization"), organizationId: z.string() }),
    z.strictObject({ kind: z.literal("portal"), organizationId: z.string(), user: portalUserSchema, readOnly: z.boolean(), expiresAt: isoDateTime }),
  ])
  .meta({ id: "Me" });
export type Me = z.output<typeof meSchema>;
