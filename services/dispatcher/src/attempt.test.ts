import { agileTuneSignature, ManualClock, type DeliveryJob, type WebhookDoc } from "@agiletune/shared";
import { describe, expect, it } from "vitest";
import { deliveryHeaders, unsignableAttempt, USER_AGENT } from "./attempt.js";
import type { ResolvedWebhook } from "./webhook-cache.js";

const delays = [1_000, 2_000, 3_000, 4_000, 5_000];
const job = (source: DeliveryJob["source"]) => ({ deliveryId: "dlv_1", webhookId: "wh_1", organizationId: "org_1", event: "task.created", attempt: 0, source }) as DeliveryJob;
const webhook: ResolvedWebhook = {
  doc: { _id: "wh_1", url: "https://example.com/hook" } as WebhookDoc,
  secret: null,
  secretError: "bad key",
  previousSecret: undefined,
  credentials: { headers: {}, auth: null, signingKeys: [] },
};

describe("deliveryHeaders", () => {
  it("carries the contract's headers, signed with the webhook's secret", () => {
    const body = '{"event":"task.created"}';
    const headers = deliveryHeaders({ job: job("event"), webhook: { ...webhook, secret: "s3cret-s3cret-s3cret" }, contentTypeHeader: "application/json", body, nowMs: 1_700_000_000_000 });
    expect(headers).toMatchObject({
      "content-type": "application/json",
      "user-agent": USER_AGENT,
      "x-agiletune-event": "task.created",
      "x-agiletune-delivery": "dlv_1",
      "webhook-id": "dlv_1",
      "webhook-timestamp": "1700000000",
    });
    expect(headers["x-agiletune-signature"]).toBe(agileTuneSignature(body, "s3cret-s3cret-s3cret"));
  });
});

describe("the ordering key header", () => {
  it("names the event's ordering key when it has one, and is absent otherwise", () => {
    const signing = { ...webhook, secret: "s3cret-s3cret-s3cret" };
    const keyed = deliveryHeaders({ job: { ...job("event"), orderingKey: "tsk_9", eventSequence: 4 }, webhook: signing, contentTypeHeader: "application/json", body: "{}", nowMs: 0 });
    expect(keyed["x-agiletune-ordering-key"]).toBe("tsk_9");
    const plain = deliveryHeaders({ job: job("event"), webhook: signing, contentTypeHeader: "application/json", body: "{}", nowMs: 0 });
    expect(plain).not.toHaveProperty("x-agiletune-ordering-key");
  });
});

describe("unsignableAttempt", () => {
  const opts = { clock: new ManualClock(1_000), retryDelaysMs: delays };

  it("dead-letters an event's job: no retry can fix the key", () => {
    expect(unsignableAttempt(job("event"), webhook, "bad key", opts).outcome).toEqual({ kind: "dead-letter", reason: "unsignable: bad key" });
  });

  it("leaves the ladder (and any dead letter) alone for a ping or redelivery", () => {
    for (const source of ["ping", "redeliver"] as const) {
      const result = unsignableAttempt(job(source), webhook, "bad key", opts);
      expect(result.outcome).toEqual({ kind: "manual-failed" });
      expect(result.http.error?.code).toBe("unsignable");
      expect(result.request).toEqual({ url: "https://example.com/hook", headers: {} });
    }
  });
});
