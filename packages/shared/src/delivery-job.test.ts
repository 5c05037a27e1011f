import { describe, expect, it } from "vitest";
import { buildDeliveryBody, decodeDeliveryJob, deliveryIdFor, encodeDeliveryJob, type DeliveryJob } from "./delivery-job.js";

describe("delivery id", () => {
  it("is the same for the same (event, webhook) pair and differs otherwise", () => {
    expect(deliveryIdFor("evt_1", "wh_1")).toBe(deliveryIdFor("evt_1", "wh_1"));
    expect(deliveryIdFor("evt_1", "wh_1")).not.toBe(deliveryIdFor("evt_1", "wh_2"));
    expect(deliveryIdFor("evt_1", "wh_1")).not.toBe(deliveryIdFor("evt_2", "wh_1"));
    // The separator keeps ("ab","c") and ("a","bc") apart.
    expect(deliveryIdFor("ab", "c")).not.toBe(deliveryIdFor("a", "bc"));
    expect(deliveryIdFor("evt_1", "wh_1")).toMatch(/^dlv_[0-9a-f]{32}$/);
  });
});

describe("delivery body", () => {
  it("is exactly event, timestamp, data in that order", () => {
    const { body, contentTypeHeader } = buildDeliveryBody({ data: { b: 1, a: 2 }, timestamp: "2026-03-20T12:00:00Z", event: "task.created" }, "json");
    expect(body).toBe('{"event":"task.created","timestamp":"2026-03-20T12:00:00Z","data":{"b":1,"a":2}}');
    expect(contentTypeHeader).toBe("application/json");
  });
});

describe("delivery job codec", () => {
  const job: DeliveryJob = {
    deliveryId: "dlv_1",
    webhookId: "wh_1",
    organizationId: "org_1",
    eventId: "evt_1",
    event: "task.created",
    timestamp: "2026-03-20T12:00:00Z",
    data: { x: 1 },
    attempt: 2,
    source: "event",
    dueAt: 5,
    enqueuedAt: 1,
  };

  it("round-trips", () => {
    expect(decodeDeliveryJob(encodeDeliveryJob(job))).toEqual({ ok: true, value: job });
  });

  it("refuses a damaged job with a reason", () => {
    const result = decodeDeliveryJob(Buffer.from(JSON.stringify({ ...job, attempt: -1 })));
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^attempt:/) });
    expect(decodeDeliveryJob(Buffer.from("{")).ok).toBe(false);
  });
});
