import { z } from "zod";
import { AUDIT_ACTIONS, type AuditEntryDoc } from "./audit-log.js";
import { isoDateTime, listOf, portalUserSchema } from "./views.js";

/** The answer to creating a portal session: the link to open (its secret in the fragment), shown only here. */
export const portalSessionSchema = z
  .strictObject({
    id: z.string(),
    url: z.string().meta({ description: "opens the settings page signed in; its fragment is the secret, shown only here and usable once" }),
    expiresAt: isoDateTime,
  })
  .meta({ id: "PortalSession" });
export type PortalSessionView = z.output<typeof portalSessionSchema>;

/** What the page gets for its link: the token it sends as `Authorization: Bearer`, and who it is. */
export const portalSignInSchema = z
  .strictObject({
    token: z.string().meta({ description: "shown only in this response" }),
    organizationId: z.string(),
    user: portalUserSchema,
    readOnly: z.boolean(),
    expiresAt: isoDateTime,
  })
  .meta({ id: "PortalSignIn" });
export type PortalSignIn = z.output<typeof portalSignInSchema>;

const auditEntrySchema = z
  .strictObject({
    id: z.string(),
    organizationId: z.string().nullable().meta({ description: "null for an operator's change spanning organizations" }),
    at: isoDateTime,
    actor: z.strictObject({ type: z.enum(["operator", "api-key", "portal-user"]), id: z.string(), name: z.string().optional() }),
    action: z.enum(AUDIT_ACTIONS),
    target: z.strictObject({ type: z.string(), id: z.string() }),
    changes: z
      .record(z.string(), z.strictObject({ from: z.unknown().optional(), to: z.unknown().optional() }))
      .optional()
      .meta({ description: "each field's value before and after; secrets are [redacted]" }),
  })
  .meta({ id: "AuditEntry" });
type AuditEntryView = z.output<typeof auditEntrySchema>;
export const auditLogSchema = listOf(auditEntrySchema, "AuditLog");
export type AuditLogView = z.output<typeof auditLogSchema>;

export function auditEntryView(doc: AuditEntryDoc): AuditEntryView {
  return {
    id: doc._id,
    organizationId: doc.organizationId,
    at: doc.at.toISOString(),
    actor: { type: doc.actor.type, id: doc.actor.id, ...(doc.actor.name !== undefined && { name: doc.actor.name }) },
    action: doc.action,
    target: { type: doc.target.type, id: doc.target.id },
    ...(doc.changes && { changes: doc.changes }),
  };
}
