import { storedAttempts, storedPayloadOf, type AttemptRecord, type DeadLetterDoc, type DeliveryDoc, type WebhookDoc } from "@agiletune/shared";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { buildPingJob } from "./delivery-jobs.js";
import { buildOpenApiDocument } from "./openapi.js";
import { deadLetterSchema, deadLetterView } from "./dead-letter-views.js";
import { deliverySchema, deliverySummarySchema, deliverySummaryView, deliveryView } from "./delivery-views.js";
import { webhookSchema, webhookView } from "./webhook-views.js";

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
const components = (buildOpenApiDocument() as { components: { schemas: Record<string, object> } }).components.schemas;
for (const [name, schema] of Object.entries(components)) ajv.addSchema(schema, `#/components/schemas/${name}`);

/** A view's output must satisfy its zod schema and the component generated from it. */
function expectConforms(schema: z.ZodType, component: string, value: unknown): void {
  expect(schema.safeParse(value).error?.issues).toBeUndefined();
  const validate = ajv.getSchema(`#/components/schemas/${component}`)!;
  expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
}

const t0 = new Date("2026-03-20T12:00:00.000Z");
const webhook: WebhookDoc = {
  _id: "wh_1",
  organizationId: "org_a",
  url: "https://hooks.example.com/in",
  contentType: "json",
  events: ["task.created", "comment.created"],
  active: true,
  health: "failing",
  description: "",
  secretSealed: "sealed-secret",
  secretHint: "abcd",
  previousSecretSealed: "sealed-previous",
  previousSecretExpiresAt: t0,
  createdAt: t0,
  updatedAt: t0,
};
const attempt: AttemptRecord = {
  attempt: 0,
  source: "event",
  startedAt: t0,
  durationMs: 12.5,
  outcome: "failed",
  request: { url: webhook.url, headers: { "content-type": "application/json" } },
  response: { status: 500, headers: {}, body: "nope", bodyTruncated: false },
  error: { code: "http_status", message: "HTTP 500" },
};
const delivery: DeliveryDoc = {
  _id: "dlv_1",
  webhookId: "wh_1",
  organizationId: "org_a",
  eventId: "evt_1",
  event: "task.created",
  status: "retrying",
  attempts: storedAttempts([attempt]),
  attemptIds: ["dlv_1.1"],
  lastAttempt: { startedAt: t0, responseStatus: null },
  nextAttemptAt: t0,
  payload: storedPayloadOf({ event: "task.created", timestamp: t0.toISOString(), data: { id: "tsk_1" } }),
  statusReason: null,
  createdAt: t0,
  updatedAt: t0,
};

describe("views against their schemas", () => {
  it("a webhook: every schema field, nothing stored beyond them", () => {
    const view = webhookView(webhook);
    expectConforms(webhookSchema, "Webhook", view);
    expect(Object.keys(view).sort()).toEqual(Object.keys(webhookSchema.shape).sort());
    expect(JSON.stringify(view)).not.toContain("sealed");
    // The schemas are closed: a stored field that slipped into a response would be refused.
    expect(webhookSchema.safeParse({ ...view, secretSealed: "x" }).success).toBe(false);
    expect(ajv.getSchema("#/components/schemas/Webhook")!({ ...view, secretSealed: "x" })).toBe(false);
  });

  it("a webhook's health (docs/endpoint-health.md): null where a document stored before it has no field, the stored values otherwise, never the circuit", () => {
    expect(webhookView(webhook)).toMatchObject({ health: "failing", healthReason: null, failingSince: null, rateLimitPerSecond: null });
    const disabled: WebhookDoc = {
      ...webhook,
      active: false,
      health: "disabled",
      healthReason: "failing-too-long",
      failingSince: t0,
      rateLimitPerSecond: 25,
      circuit: { state: "open", openedAt: t0, nextProbeAt: t0, probeIntervalMs: 30_000 },
    };
    const view = webhookView(disabled);
    expectConforms(webhookSchema, "Webhook", view);
    expect(view).toMatchObject({ active: false, health: "disabled", healthReason: "failing-too-long", failingSince: t0.toISOString(), rateLimitPerSecond: 25 });
    expect(view).not.toHaveProperty("circuit");
  });

  it("a webhook's ordered delivery: false where a document stored before it has no field, the stored value otherwise", () => {
    expect(webhookView(webhook).ordered).toBe(false);
    const ordered = webhookView({ ...webhook, ordered: true });
    expectConforms(webhookSchema, "Webhook", ordered);
    expect(ordered.ordered).toBe(true);
  });

  it("a held delivery names the delivery it waits for; any other status shows heldBehind null", () => {
    const held: DeliveryDoc = { ...delivery, status: "held", heldBehind: "dlv_0", attempts: undefined, attemptIds: [], lastAttempt: null, nextAttemptAt: null };
    expectConforms(deliverySummarySchema, "DeliverySummary", deliverySummaryView(held));
    expectConforms(deliverySchema, "Delivery", deliveryView(held, []));
    expect(deliveryView(held, [])).toMatchObject({ status: "held", heldBehind: "dlv_0" });
    expect(deliverySummaryView(held)).toMatchObject({ status: "held", heldBehind: "dlv_0" });
    // A stale field left by a release that raced a crash is not shown once the status moved on.
    expect(deliveryView({ ...held, status: "retrying" }, []).heldBehind).toBeNull();
    expect(deliverySummaryView(delivery).heldBehind).toBeNull();
  });

  it("a delivery, in the list and alone with its attempts (no response, no error, no attempt at all)", () => {
    expectConforms(deliverySummarySchema, "DeliverySummary", deliverySummaryView(delivery));
    expectConforms(deliverySchema, "Delivery", deliveryView(delivery, [attempt, { ...attempt, attempt: 1, outcome: "succeeded", response: null, error: null }]));
    const pending: DeliveryDoc = { ...delivery, status: "pending", attempts: undefined, attemptIds: [], lastAttempt: null, nextAttemptAt: null };
    expectConforms(deliverySummarySchema, "DeliverySummary", deliverySummaryView(pending));
    expectConforms(deliverySchema, "Delivery", deliveryView(pending, []));
  });

  it("a dead letter", () => {
    const doc: DeadLetterDoc = {
      _id: "dl_1",
      organizationId: "org_a",
      webhookId: "wh_1",
      event: "ping",
      eventId: "ping_1",
      job: buildPingJob(webhook, t0),
      lastError: "HTTP 500",
      deadLetteredAt: t0,
      replayedAt: null,
      replayCount: 0,
    };
    expectConforms(deadLetterSchema, "DeadLetter", deadLetterView(doc));
    expectConforms(deadLetterSchema, "DeadLetter", deadLetterView({ ...doc, replayedAt: t0, replayCount: 2 }));
  });
});
