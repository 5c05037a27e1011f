import type { z } from "zod";
import { deadLetterListSchema, dlqReplayResultSchema } from "./dead-letter-views.js";
import { deliveryListSchema, deliverySchema, recoverResultSchema } from "./delivery-views.js";
import { createWebhookSchema, deliveriesQuerySchema, dlqQuerySchema, dlqReplaySchema, emptyBodySchema, pageQuerySchema, recoverSchema, rotateSecretSchema, updateWebhookSchema } from "./schemas.js";
import { acceptedSchema, apiKeySchema, eventTypeListSchema, healthSchema, meSchema, openApiDocumentSchema, readySchema } from "./views.js";
import { deliverySearchQuerySchema, endpointStatsSchema, statsQuerySchema } from "./stats-views.js";
import { webhookListSchema, webhookSchema, webhookWithSecretSchema } from "./webhook-views.js";
import { AGILETUNE_OPERATIONS } from "./openapi-agiletune-operations.js";

/**
 * Every route of the admin API with what no schema can know: method, path, summary, who may
 * call it, statuses, and which schemas it takes and answers with. openapi.ts turns this table
 * into the document; `openapi.test.ts` checks that every router layer has an operation here
 * and the other way round.
 */

/** `organization`: an organization's API key, a portal session of it (read-only ones may only read), or the operator. */
type Auth = "none" | "any" | "organization" | "operator";
export type OperationSpec = {
  method: "get" | "post" | "patch" | "delete";
  /** Koa-router syntax (`:orgId`); turned into `{orgId}` in the document. Each `:name` needs a `pathParamSchemas` entry. */
  path: string;
  operationId: string;
  summary: string;
  auth: Auth;
  /** `required`: the operation needs a body; `optional`: none or `{}` or the schema. The schema needs `.meta({ id })`. */
  body?: { schema: z.ZodType; required: boolean };
  /** The query string's schema (the one the route parses with): one parameter per property. */
  query?: z.ZodType;
  /** Success status and its response: a schema with `.meta({ id })`, `"text"` (text/plain) or null (no body). */
  success: [number, z.ZodType | "text" | null];
  /** Request headers it reads, by name. */
  headers?: Record<string, z.ZodType>;
  /** Extra error statuses beyond those implied by auth and body. */
  errors?: number[];
};

const ORG = "/v1/organizations/:orgId";

const HOOK = `${ORG}/webhooks/:webhookId`;

export const OPERATIONS: OperationSpec[] = [
  { method: "get", path: "/healthz", operationId: "healthz", summary: "Liveness", auth: "none", success: [200, healthSchema] },
  { method: "get", path: "/readyz", operationId: "readyz", summary: "Readiness: MongoDB and Kafka reachable", auth: "none", success: [200, readySchema], errors: [503] },
  { method: "get", path: "/metrics", operationId: "metrics", summary: "Prometheus metrics (text exposition format)", auth: "none", success: [200, "text"] },
  { method: "get", path: "/v1/openapi.json", operationId: "getOpenApi", summary: "This document", auth: "none", success: [200, openApiDocumentSchema] },
  { method: "get", path: "/v1/event-types", operationId: "listEventTypes", summary: "The event catalogue", auth: "any", success: [200, eventTypeListSchema] },
  { method: "get", path: "/v1/me", operationId: "getMe", summary: "Whose token this is: the operator, or an organization's API key", auth: "any", success: [200, meSchema] },
  {
    method: "post",
    path: `${ORG}/api-keys`,
    operationId: "createApiKey",
    summary: "Operator: a new organization API key; the token is shown only here",
    auth: "operator",
    body: { schema: emptyBodySchema, required: false },
    success: [201, apiKeySchema],
  },
  { method: "delete", path: `${ORG}/api-keys/:keyId`, operationId: "revokeApiKey", summary: "Operator: revoke an organization API key", auth: "operator", success: [204, null], errors: [404] },
  {
    method: "post",
    path: `${ORG}/webhooks`,
    operationId: "createWebhook",
    summary: "Create a webhook; the secret (generated when omitted) is shown only here",
    auth: "organization",
    body: { schema: createWebhookSchema, required: true },
    success: [201, webhookWithSecretSchema],
  },
  {
    method: "get",
    path: `${ORG}/webhooks`,
    operationId: "listWebhooks",
    summary: "Webhooks of the organization, newest first",
    auth: "organization",
    query: pageQuerySchema,
    success: [200, webhookListSchema],
    errors: [422],
  },
  { method: "get", path: HOOK, operationId: "getWebhook", summary: "One webhook (never its secret)", auth: "organization", success: [200, webhookSchema], errors: [404] },
  {
    method: "patch",
    path: HOOK,
    operationId: "updateWebhook",
    summary: "Change a webhook (partial)",
    auth: "organization",
    body: { schema: updateWebhookSchema, required: true },
    success: [200, webhookSchema],
    errors: [404],
  },
  { method: "delete", path: HOOK, operationId: "deleteWebhook", summary: "Delete a webhook; its queued deliveries are cancelled", auth: "organization", success: [204, null], errors: [404] },
  {
    method: "post",
    path: `${HOOK}/secret/rotate`,
    operationId: "rotateWebhookSecret",
    summary: "New secret, shown only here; the previous one keeps signing webhook-signature for 24 h",
    auth: "organization",
    body: { schema: rotateSecretSchema, required: false },
    success: [200, webhookWithSecretSchema],
    errors: [404, 409],
  },
  {
    method: "post",
    path: `${HOOK}/ping`,
    operationId: "pingWebhook",
    summary: "Queue a ping delivery now",
    auth: "organization",
    body: { schema: emptyBodySchema, required: false },
    success: [202, acceptedSchema],
    errors: [404, 409, 503],
  },
  {
    method: "get",
    path: `${HOOK}/deliveries`,
    operationId: "listDeliveries",
    summary: "Delivery log, newest first",
    auth: "organization",
    query: deliveriesQuerySchema,
    success: [200, deliveryListSchema],
    errors: [404, 422],
  },
  {
    method: "get",
    path: `${HOOK}/deliveries/:deliveryId`,
    operationId: "getDelivery",
    summary: "One delivery with every attempt",
    auth: "organization",
    success: [200, deliverySchema],
    errors: [404],
  },
  {
    method: "post",
    path: `${HOOK}/deliveries/:deliveryId/redeliver`,
    operationId: "redeliver",
    summary: "One manual attempt of the delivery now (same delivery id)",
    auth: "organization",
    body: { schema: emptyBodySchema, required: false },
    success: [202, acceptedSchema],
    errors: [404, 409, 503],
  },
  {
    method: "post",
    path: `${HOOK}/recover`,
    operationId: "recoverDeliveries",
    summary: "Send again every failed or cancelled delivery created since a time, each with its delivery id and a fresh retry ladder (the webhook must be active)",
    auth: "organization",
    body: { schema: recoverSchema, required: true },
    success: [202, recoverResultSchema],
    errors: [404, 409, 503],
  },
  {
    method: "get",
    path: `${HOOK}/stats`,
    operationId: "getWebhookStats",
    summary: "Endpoint statistics: attempts, outcomes and latency percentiles per minute, hour or day (docs/statistics.md)",
    auth: "organization",
    query: statsQuerySchema,
    success: [200, endpointStatsSchema],
    errors: [404, 422],
  },
  {
    method: "get",
    path: `${ORG}/deliveries`,
    operationId: "searchDeliveries",
    summary: "Find deliveries across the organization's webhooks by event id or delivery id, newest first (one page: nextCursor is always null)",
    auth: "organization",
    query: deliverySearchQuerySchema,
    success: [200, deliveryListSchema],
    errors: [422],
  },
  {
    method: "get",
    path: "/v1/admin/dlq",
    operationId: "listDeadLetters",
    summary: "Operator: dead-lettered deliveries, newest first",
    auth: "operator",
    query: dlqQuerySchema,
    success: [200, deadLetterListSchema],
    errors: [422],
  },
  {
    method: "post",
    path: "/v1/admin/dlq/replay",
    operationId: "replayDeadLetters",
    summary: "Operator: replay matching, not yet replayed dead letters with a fresh retry ladder",
    auth: "operator",
    body: { schema: dlqReplaySchema, required: false },
    success: [200, dlqReplayResultSchema],
    errors: [503],
  },
  ...AGILETUNE_OPERATIONS,
];
