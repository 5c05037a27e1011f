// Test data: domain events and webhooks stored as the admin API stores them.
import { randomBytes } from "node:crypto";
import { encryptSecret, webhooksCollection, type WebhookDoc } from "@agiletune/shared";
import type { Db } from "mongodb";

/** Stores a webhook as the admin API would: secret sealed with `encryptionKey`. */
export async function insertWebhook(db: Db, encryptionKey: string, fields: Partial<WebhookDoc> & { url: string; secret?: string }): Promise<WebhookDoc & { secret: string }> {
  const secret = fields.secret ?? `secret-${randomBytes(12).toString("hex")}`;
  const doc: WebhookDoc = {
    _id: `wh_${randomBytes(8).toString("hex")}`,
    organizationId: "org_1",
    contentType: "json",
    events: ["*"],
    active: true,
    health: "healthy",
    description: "",
    secretSealed: encryptSecret(secret, encryptionKey),
    secretHint: secret.slice(-4),
    previousSecretSealed: null,
    previousSecretExpiresAt: null,
    createdAt: new Date(),
    updatedAt: new Date(),
    ...fields,
  };
  delete (doc as { secret?: string }).secret;
  await webhooksCollection(db).insertOne(doc);
  return { ...doc, secret };
}

let counter = 0;
/** A valid domain event (docs/topics-and-formats.md#domain-events); `data` given instead of the default must fit its type's schema (`changes` for task.updated and task.moved). */
export function domainEvent(fields: Partial<{ id: string; event: string; timestamp: string; organizationId: string; data: Record<string, unknown> }> = {}) {
  counter++;
  return {
    id: `evt_${Date.now().toString(36)}_${counter}`,
    event: "task.updated",
    timestamp: "2026-03-20T12:00:00Z",
    organizationId: "org_1",
    data: { id: `tsk_${counter}`, title: "Implement login page", status: "in_progress", assignee: { id: "usr_xyz789", name: "Jane Doe" }, changes: { status: { from: "todo", to: "in_progress" } } },
    ...fields,
  };
}
