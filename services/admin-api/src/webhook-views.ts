import { ALL_EVENTS, EVENT_TYPES, WEBHOOK_CONTENT_TYPES, WEBHOOK_HEALTHS, type WebhookDoc } from "@agiletune/shared";
import { z } from "zod";
import { endpointSettingsView, endpointSettingsViewShape } from "./endpoint-settings.js";
import { RATE_LIMIT_MAX, RATE_LIMIT_MIN } from "./schemas.js";
import { MAX_URL_LENGTH } from "./url-guard.js";
import { iso, isoDateTime, listOf } from "./views.js";

/** The webhook responses (see views.ts): never the sealed secret, the secret only on create and rotate. */

export const webhookSchema = z
  .strictObject({
    id: z.string(),
    organizationId: z.string(),
    url: z.url().max(MAX_URL_LENGTH),
    contentType: z.enum(WEBHOOK_CONTENT_TYPES),
    events: z.array(z.enum([ALL_EVENTS, ...EVENT_TYPES])),
    active: z.boolean(),
    health: z.enum(WEBHOOK_HEALTHS),
    healthReason: z.string().nullable().meta({ description: "why it is failing or disabled (e.g. gone, failing-too-long); null when healthy" }),
    failingSince: isoDateTime.nullable().meta({ description: "start of the current run of failures; null when healthy" }),
    rateLimitPerSecond: z.int().min(RATE_LIMIT_MIN).max(RATE_LIMIT_MAX).nullable().meta({ description: "requests per second its URL may receive; null: no limit" }),
    ordered: z.boolean().meta({ description: "each ordering key's deliveries one at a time, in the order of their events" }),
    description: z.string(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
    secretHint: z.string().meta({ description: "last four characters of the secret" }),
    ...endpointSettingsViewShape,
  })
  .meta({ id: "Webhook" });
export type WebhookView = z.output<typeof webhookSchema>;

/** The create and rotate responses: the only ones that show the secret. */
export const webhookWithSecretSchema = webhookSchema
  .extend({
    secret: z.string().meta({ description: "shown only in the create and rotate responses" }),
    previousSecretExpiresAt: isoDateTime.optional().meta({ description: "rotate only: until then the previous secret still signs webhook-signature" }),
  })
  .meta({ id: "WebhookWithSecret" });
export type WebhookWithSecretView = z.output<typeof webhookWithSecretSchema>;

export const webhookListSchema = listOf(webhookSchema, "WebhookList");
export type WebhookList = z.output<typeof webhookListSchema>;

export function webhookView(doc: WebhookDoc): WebhookView {
  return {
    id: doc._id,
    organizationId: doc.organizationId,
    url: doc.url,
    contentType: doc.contentType,
    // Stored only after createWebhookSchema/updateWebhookSchema checked each entry.
    events: doc.events as WebhookView["events"],
    active: doc.active,
    health: doc.health,
    // Absent on webhooks stored before docs/endpoint-health.md.
    healthReason: doc.healthReason ?? null,
    failingSince: iso(doc.failingSince),
    rateLimitPerSecond: doc.rateLimitPerSecond ?? null,
    // Absent on webhooks stored before ordered delivery: unordered.
    ordered: doc.ordered ?? false,
    description: doc.description,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
    secretHint: doc.secretHint,
    ...endpointSettingsView(doc),
  };
}
