import type { DeliveryJob, WebhookDoc } from "@agiletune/shared";
import { describe, expect, it } from "vitest";
import { triage } from "./triage.js";
import type { ResolvedWebhook } from "./webhook-cache.js";

const job = { deliveryId: "dlv_1", webhookId: "wh_1", organizationId: "org_1" } as DeliveryJob;
function webhook(fields: Partial<WebhookDoc>, secret: string | null = "s3cret-s3cret-s3cret"): ResolvedWebhook {
  const doc = { _id: "wh_1", organizationId: "org_1", active: true, ...fields } as WebhookDoc;
  return { doc, secret, secretError: secret === null ? "bad key" : null, previousSecret: undefined, credentials: { headers: {}, auth: null, signingKeys: [] } };
}

describe("triage", () => {
  it("sends a job to its active, signable webhook", () => {
    const decision = triage(job, webhook({}));
    expect(decision.kind).toBe("send");
    expect(decision.kind === "send" && decision.delivery.webhook.secret).toBe("s3cret-s3cret-s3cret");
  });

  it("cancels a job whose webhook is deleted, belongs to another organization, or is inactive", () => {
    expect(triage(job, null)).toEqual({ kind: "cancel", reason: "the webhook was deleted" });
    expect(triage(job, webhook({ organizationId: "org_2" }))).toEqual({ kind: "cancel", reason: "the webhook was deleted" });
    expect(triage(job, webhook({ active: false }))).toEqual({ kind: "cancel", reason: "the webhook was deactivated" });
  });

  it("sets aside a job it cannot sign, with the reason, before anything is sent", () => {
    expect(triage(job, webhook({}, null))).toMatchObject({ kind: "unsignable", reason: "bad key" });
  });
});
