import { afterPosition, COLLECTIONS, isDuplicateKey, isRetryable, OUTAGE_RETRY, retryUntil, type ListPosition } from "@agiletune/shared";
import type { Collection, Db } from "mongodb";
import type { Logger } from "pino";
import { redactChanges, type FieldChange } from "./audit-redaction.js";
import type { Principal } from "./auth.js";
import { newId } from "./credentials.js";

export type AuditActor = { type: "operator" | "api-key" | "portal-user"; id: string; name?: string };

/** What was done, as recorded; `docs/portal-and-audit.md` lists them. */
export const AUDIT_ACTIONS = [
  "webhook.created",
  "webhook.updated",
  "webhook.deleted",
  "webhook.secret_rotated",
  "webhook.pinged",
  "webhook.recovered",
  "delivery.redelivered",
  "dead_letters.replayed",
  "api_key.created",
  "api_key.revoked",
  "portal_session.created",
  "portal_session.ended",
] as const;
type AuditAction = (typeof AUDIT_ACTIONS)[number];

type AuditTarget = { type: "webhook" | "delivery" | "dead-letters" | "api-key" | "portal-session"; id: string };

/** One audit entry as stored; `organizationId` is null for what spans organizations (an operator's replay of every dead letter). */
export type AuditEntryDoc = {
  _id: string;
  organizationId: string | null;
  at: Date;
  actor: AuditActor;
  action: AuditAction;
  target: AuditTarget;
  changes?: Record<string, FieldChange>;
};

function auditLogCollection(db: Db): Collection<AuditEntryDoc> {
  return db.collection<AuditEntryDoc>(COLLECTIONS.auditLog);
}

/** Who the principal is, as the audit log names them (never a token). */
export function actorOf(principal: Principal): AuditActor {
  switch (principal.kind) {
    case "operator":
      return { type: "operator", id: "operator" };
    case "organization":
      return { type: "api-key", id: principal.keyId };
    case "portal":
      return { type: "portal-user", id: principal.user.id, ...(principal.user.name !== undefined && { name: principal.user.name }) };
  }
}

export type AuditRecord = { organizationId: string | null; actor: AuditActor; action: AuditAction; target: AuditTarget; changes?: Record<string, FieldChange> };

/** How long an audit write waits out a database outage before the entry goes to the log instead. */
const AUDIT_WRITE_TIMEOUT_MS = 10_000;

/**
 * Records one change that has been made. Secrets are redacted here, whoever calls. A
 * database outage is waited out for `AUDIT_WRITE_TIMEOUT_MS`: the entry's id is fixed
 * before the first try, so a write that landed without its reply is not written twice.
 * Past that, or refused for good, the whole entry is logged at error level, to be put
 * back from there, and nothing is thrown: the change itself is done, and answering an
 * error would make the caller repeat it.
 */
export async function recordAudit(deps: { db: Db; logger: Logger; clock: () => Date; writeTimeoutMs?: number }, record: AuditRecord): Promise<void> {
  const doc: AuditEntryDoc = {
    _id: newId("aud"),
    organizationId: record.organizationId,
    at: deps.clock(),
    actor: record.actor,
    action: record.action,
    target: record.target,
    ...(record.changes && { changes: redactChanges(record.changes) }),
  };
  const written = await retryUntil(
    () =>
      auditLogCollection(deps.db)
        .insertOne(doc)
        .catch((err: unknown) => {
          // Its first try landed, and only the reply was lost.
          if (!isDuplicateKey(err)) throw err;
        }),
    {
      ...OUTAGE_RETRY,
      timeoutMs: deps.writeTimeoutMs ?? AUDIT_WRITE_TIMEOUT_MS,
      isRetryable,
      onFailure: (err) => deps.logger.warn({ err, component: "audit-log", action: doc.action }, "audit entry not written yet; retrying"),
    },
  );
  if (!written.ok) deps.logger.error({ err: written.error, component: "audit-log", entry: doc }, "could not record an audit entry; the entry is here in full");
}

/** A page of entries, newest first; `organizationId` undefined lists every organization's. */
export function listAudit(db: Db, opts: { organizationId: string | undefined; after: ListPosition | undefined; limit: number }): Promise<AuditEntryDoc[]> {
  return auditLogCollection(db)
    .find({ ...(opts.organizationId !== undefined && { organizationId: opts.organizationId }), ...afterPosition("at", opts.after) })
    .sort({ at: -1, _id: -1 })
    .limit(opts.limit)
    .toArray();
}

/**
 * Each named field's value before and after a change. Every field the request named, even
 * one left as it was: write-only values (header values, auth secrets) look the same in
 * both views, and their being set is what the log must show.
 */
export function fieldChanges(before: Record<string, unknown>, after: Record<string, unknown>, fields: readonly string[]): Record<string, FieldChange> {
  return Object.fromEntries(fields.map((field) => [field, { from: before[field], to: after[field] }]));
}
