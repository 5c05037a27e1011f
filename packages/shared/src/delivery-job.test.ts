import { describe, expect, it } from "vitest";
import { buildDeliveryBody, decodeDeliveryJob, deliveryIdFor, deliveryJobSchema, encodeDeliveryJob, type DeliveryJob } from "./delivery-job.js";

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

  it("gives what the schema gives, field for field and in its order, whatever a job carries", () => {
    const traced = { ...job, traceparent: `00-${"a".repeat(32)}-${"b".repeat(16)}-01`, tracestate: "k=v" };
    const variants: unknown[] = [
      job,
      traced,
      { ...job, dueAt: undefined, orderingKey: "tsk_1", eventSequence: 0, inOrder: true },
      { ...job, unknownField: "dropped", data: { __proto__: 1, nested: { a: [1] } } },
      { ...traced, source: "replay", attempt: 0 },
      { ...job, attempt: 1.5 },
      { ...job, attempt: 2 ** 60 },
      { ...job, deliveryId: "" },
      { ...job, data: [] },
      { ...job, data: null },
      { ...job, source: "other" },
      { ...job, orderingKey: "k".repeat(257) },
      { ...job, eventSequence: -1 },
      { ...job, inOrder: false },
      { ...job, traceparent: "00-zz" },
      { ...job, tracestate: "s".repeat(513) },
      { ...job, dueAt: null },
      { ...job, enqueuedAt: "1" },
    ];
    for (const variant of variants) {
      const bytes = Buffer.from(JSON.stringify(variant));
      const schema = deliveryJobSchema.safeParse(JSON.parse(bytes.toString()));
      const decoded = decodeDeliveryJob(bytes);
      expect(decoded.ok, JSON.stringify(variant)).toBe(schema.success);
      if (decoded.ok && schema.success) expect(JSON.stringify(decoded.value)).toBe(JSON.stringify(schema.data));
    }
  });
});
