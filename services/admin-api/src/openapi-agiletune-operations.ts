import { z } from "zod";
import type { OperationSpec } from "./openapi-operations.js";
import { adminAuditQuerySchema, createPortalSessionSchema, exchangePortalLinkSchema } from "./portal-audit-schemas.js";
import { auditLogSchema, portalSessionSchema, portalSignInSchema } from "./portal-audit-views.js";
import { publishBatchSchema, publishEventSchema } from "./publish-events.js";
import { pageQuerySchema } from "./schemas.js";
import { publishAcceptedSchema, publishBatchAcceptedSchema } from "./views.js";

/**
 * What AgileTune itself calls, beside what its customers do (openapi-operations.ts): its
 * services publishing events, its backend opening the settings page for an admin, and the
 * audit log of who changed what.
 */

const ORG = "/v1/organizations/:orgId";

const publishHeaders = {
  "Idempotency-Key": z.string().min(1).max(255).optional().meta({
    description: "a repeat within 24 h answers the first answer (header Idempotent-Replayed: true) and produces nothing; the same key with another body: 409 idempotency_key_reused",
  }),
  traceparent: z.string().optional().meta({ description: "W3C Trace Context, passed on to the event's deliveries (with tracestate)" }),
};

export const AGILETUNE_OPERATIONS: OperationSpec[] = [
  {
    method: "post",
    path: `${ORG}/events`,
    operationId: "publishEvent",
    summary: "Publish an event of the organization to agiletune.events; 202 once the broker has it",
    auth: "organization",
    body: { schema: publishEventSchema, required: true },
    headers: publishHeaders,
    success: [202, publishAcceptedSchema],
    errors: [409, 503],
  },
  {
    method: "post",
    path: `${ORG}/events/batch`,
    operationId: "publishEventBatch",
    summary: "Publish up to 100 events, all checked before any is produced, all or none; 202 once the broker has them",
    auth: "organization",
    body: { schema: publishBatchSchema, required: true },
    headers: publishHeaders,
    success: [202, publishBatchAcceptedSchema],
    errors: [409, 503],
  },
  {
    method: "post",
    path: `${ORG}/portal-sessions`,
    operationId: "createPortalSession",
    summary: "Operator: a link that signs one user into the settings page for this organization until it expires; its secret (the fragment) is shown only here",
    auth: "operator",
    body: { schema: createPortalSessionSchema, required: true },
    success: [201, portalSessionSchema],
  },
  {
    method: "delete",
    path: `${ORG}/portal-sessions/:sessionId`,
    operationId: "endPortalSession",
    summary: "Operator: end a portal session at once (its link and any page signed in with it)",
    auth: "operator",
    success: [204, null],
    errors: [404],
  },
  {
    method: "post",
    path: "/v1/portal-sessions/exchange",
    operationId: "exchangePortalLink",
    summary: "The settings page trades a portal link's secret for its session token, once (no Authorization header)",
    auth: "none",
    body: { schema: exchangePortalLinkSchema, required: true },
    success: [200, portalSignInSchema],
    errors: [401],
  },
  {
    method: "get",
    path: `${ORG}/audit-log`,
    operationId: "listAuditLog",
    summary: "Who changed what in the organization, newest first; never a secret value",
    auth: "organization",
    query: pageQuerySchema,
    success: [200, auditLogSchema],
    errors: [422],
  },
  {
    method: "get",
    path: "/v1/admin/audit-log",
    operationId: "listAllAuditLog",
    summary: "Operator: the audit log of every organization, newest first",
    auth: "operator",
    query: adminAuditQuerySchema,
    success: [200, auditLogSchema],
    errors: [422],
  },
];
