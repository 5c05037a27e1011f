import type { Collection, Db } from "mongodb";
import { ALL_EVENTS } from "./events.js";
import type { StoredEndpointAuth, StoredHeader, StoredSigningKey } from "./endpoint-credentials.js";
import { COLLECTIONS } from "./mongo.js";

export const WEBHOOK_CONTENT_TYPES = ["json", "form"] as const;
export type WebhookContentType = (typeof WEBHOOK_CONTENT_TYPES)[number];
export const WEBHOOK_HEALTHS = ["healthy", "failing", "disabled"] as const;
export type WebhookHealth = (typeof WEBHOOK_HEALTHS)[number];

/** A webhook as stored. The admin API turns it into docs/openapi.json's shape (never the secret). */
export type WebhookDoc = {
  _id: string;
  organizationId: string;
  url: string;
  contentType: WebhookContentType;
  /** Event types, or [`*`] for all. */
  events: string[];
  active: boolean;
  health: WebhookHealth;
  /** Why it is failing or disabled, in words or a code (`gone`, `failing-too-long`); null when healthy. Absent on older webhooks. */
  healthReason?: string | null;
  /** Start of the current run of failures; null when healthy (docs/endpoint-health.md). */
  failingSince?: Date | null;
  /** Requests per second its URL may receive, on all dispatchers together; null: no limit. */
  rateLimitPerSecond?: number | null;
  /** Each ordering key's deliveries in the order of their events (docs/ordered-delivery.md); absent: false. */
  ordered?: boolean;
  /** The dispatcher's circuit breaker (docs/endpoint-health.md); absent or `closed` while deliveries flow. */
  circuit?: CircuitDoc | null;
  description: string;
  /** AES-256-GCM sealed (secret-box.ts); never leaves the server in clear except once at creation/rotation. */
  secretSealed: string;
  secretHint: string;
  /** After a rotation the previous secret keeps signing `webhook-signature` until this time. */
  previousSecretSealed: string | null;
  previousSecretExpiresAt: Date | null;
  /** Custom headers of every delivery (docs/endpoint-authentication.md); absent: none. */
  headers?: StoredHeader[];
  /** How deliveries authenticate to the endpoint; absent or null: not at all. */
  auth?: StoredEndpointAuth | null;
  /** Present while `ed25519: true`: deliveries also carry a `v1a,` signature. */
  signingKey?: StoredSigningKey | null;
  createdAt: Date;
  updatedAt: Date;
};

/** A webhook's circuit, as the dispatcher that owns the webhook's partition left it. */
export type CircuitDoc = {
  state: "closed" | "open" | "draining";
  openedAt: Date | null;
  /** When the next probe may go; doubles after each failed probe, up to 10 min. */
  nextProbeAt: Date | null;
  probeIntervalMs: number;
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
