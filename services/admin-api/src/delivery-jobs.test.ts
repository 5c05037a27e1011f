import { deliveryIdFor, deliveryJobSchema, type DeliveryDoc } from "@agiletune/shared";
import { describe, expect, it } from "vitest";
import { buildPingJob, buildReplayJob, jobFromStoredDelivery, storedPayload } from "./delivery-jobs.js";

const now = new Date("2026-03-20T12:00:00.000Z");

describe("delivery jobs", () => {
  it("pings with a fresh event id and its deterministic delivery id", () => {
    const a = buildPingJob({ _id: "wh_1", organizationId: "org_1" }, now);
    const b = buildPingJob({ _id: "wh_1", organizationId: "org_1" }, now);
    expect(a).toEqual({
      deliveryId: deliveryIdFor(a.eventId, "wh_1"),
      webhookId: "wh_1",
      organizationId: "org_1",
      eventId: expect.stringMatching(/^ping_[0-9a-f]{24}$/),
      event: "ping",
      timestamp: "2026-03-20T12:00:00.000Z",
      data: { webhookId: "wh_1" },
      attempt: 0,
      source: "ping",
      enqueuedAt: now.getTime(),
    });
    expect(b.deliveryId).not.toBe(a.deliveryId);
    expect(deliveryJobSchema.parse(a)).toEqual(a);
  });

  it("redelivers the same delivery id with the stored payload, counting attempts so far (inside the entry and apart)", () => {
    const payload = { event: "task.updated", timestamp: "2026-03-19T00:00:00Z", data: { id: "tsk_1" } };
    const delivery = {
      _id: "dlv_x",
      webhookId: "wh_1",
      organizationId: "org_1",
      eventId: "evt_1",
      event: "task.updated",
      attempts: JSON.stringify([{}]),
      attemptIds: ["dlv_x.1.a", "dlv_x.2.b"],
      payload: JSON.stringify(payload),
    } as unknown as DeliveryDoc;
    expect(storedPayload(delivery)).toEqual(payload);
    expect(storedPayload({ ...delivery, payload: undefined } as unknown as DeliveryDoc)).toBeUndefined();
    const job = jobFromStoredDelivery(delivery, payload, { as: "redeliver", now });
    expect(job).toEqual({ deliveryId: "dlv_x", webhookId: "wh_1", organizationId: "org_1", eventId: "evt_1", ...payload, attempt: 3, source: "redeliver", enqueuedAt: now.getTime() });
    expect(deliveryJobSchema.parse(job)).toEqual(job);
  });

  it("replays a dead letter at attempt 0 without its due time", () => {
    const job = {
      deliveryId: "dlv_y",
      webhookId: "wh_1",
      organizationId: "org_1",
      eventId: "evt_2",
      event: "task.created",
      timestamp: "t",
      data: {},
      attempt: 5,
      source: "event" as const,
      dueAt: 123,
      enqueuedAt: 1,
    };
    const replay = buildReplayJob({ job }, now);
    expect(replay).toEqual({ ...job, dueAt: undefined, attempt: 0, source: "replay", enqueuedAt: now.getTime() });
    expect("dueAt" in replay).toBe(false);
  });

  it("recovers a delivery at attempt 0 with its stored payload, whatever its attempts so far", () => {
    const payload = { event: "task.updated", timestamp: "2026-03-19T00:00:00Z", data: { id: "tsk_1" } };
    const delivery = { _id: "dlv_z", webhookId: "wh_1", organizationId: "org_1", eventId: "evt_3", attempts: [{}, {}] } as unknown as DeliveryDoc;
    const job = jobFromStoredDelivery(delivery, payload, { as: "recover", now });
    expect(job).toEqual({ deliveryId: "dlv_z", webhookId: "wh_1", organizationId: "org_1", eventId: "evt_3", ...payload, attempt: 0, source: "replay", enqueuedAt: now.getTime() });
    expect(deliveryJobSchema.parse(job)).toEqual(job);
  });

  it("sends a logged delivery again in the trace its payload kept (docs/tracing.md); a context that no longer parses is left out", () => {
    const trace = { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: "a=1" };
    const payload = { event: "task.updated", timestamp: "2026-03-19T00:00:00Z", data: { id: "tsk_1" }, ...trace };
    const delivery = { _id: "dlv_t", webhookId: "wh_1", organizationId: "org_1", eventId: "evt_4", attemptIds: [], payload: JSON.stringify(payload) } as unknown as DeliveryDoc;
    for (const as of ["redeliver", "recover"] as const) {
      const job = jobFromStoredDelivery(delivery, storedPayload(delivery)!, { as, now });
      expect(job).toMatchObject(trace);
      expect(deliveryJobSchema.parse(job)).toEqual(job);
    }
    const broken = jobFromStoredDelivery(delivery, { ...payload, traceparent: "00-nonsense", tracestate: "a=1" }, { as: "redeliver", now });
    expect(broken).not.toHaveProperty("traceparent");
    expect(broken).not.toHaveProperty("tracestate");
  });
});
