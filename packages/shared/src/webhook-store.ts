import type { Collection, Db } from "mongodb";
import { ALL_EVENTS } from "./events.js";
import { COLLECTIONS } from "./mongo.js";

export const WEBHOOK_CONTENT_TYPES = ["json", "form"] as const;
export type WebhookContentType = (typeof WEBHOOK_CONTENT_TYPES)[number];
export const WEBHOOK_HEALTHS = ["healthy", "failing"] as const;
export type WebhookHealth = (typeof WEBHOOK_HEALTHS)[number];

/** A webhook as stored. The admin API turns it into CONTRACT §5's shape (never the secret). */
export type WebhookDoc = {
  _id: string;
  organizationId: string;
  url: string;
  contentType: WebhookContentType;
  /** Event types, or [`*`] for all. */
  events: string[];
  active: boolean;
  health: WebhookHealth;
  description: string;
  /** AES-256-GCM sealed (secret-box.ts); never leaves the server in clear except once at creation/rotation. */
  secretSealed: string;
  secretHint: string;
  /** After a rotation the previous secret keeps signing `webhook-signature` until this time. */
  previousSecretSealed: string | null;
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

export function webhooksCollection(db: Db): Collection<WebhookDoc> {
  return db.collection<WebhookDoc>(COLLECTIONS.webhooks);
}

/** What routing an event needs to know of a webhook; secrets and URLs stay in the database. */
export type WebhookRoute = Pick<WebhookDoc, "_id" | "organizationId" | "active" | "events">;

/**
 * The active webhooks of these organizations, routing fields only, in one query for many
 * organizations. Matching an event type is left to `subscribes`.
 */
export async function findActiveWebhooks(db: Db, organizationIds: string[]): Promise<WebhookRoute[]> {
  if (organizationIds.length === 0) return [];
  return webhooksCollection(db)
    .find({ organizationId: { $in: organizationIds }, active: true }, { projection: { _id: 1, organizationId: 1, active: 1, events: 1 } })
    .toArray();
}

export function subscribes(webhook: Pick<WebhookDoc, "organizationId" | "active" | "events">, organizationId: string, eventType: string): boolean {
  return webhook.active && webhook.organizationId === organizationId && (webhook.events.includes(eventType) || webhook.events.includes(ALL_EVENTS));
}

/** Records a webhook's health as the dispatcher last saw it (CONTRACT §4). */
export async function setWebhookHealth(db: Db, webhookId: string, health: WebhookHealth, at: Date): Promise<void> {
  await webhooksCollection(db).updateOne({ _id: webhookId }, { $set: { health, updatedAt: at } });
}
