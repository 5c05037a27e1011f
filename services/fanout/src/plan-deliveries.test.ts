import { deliveryIdFor, type DomainEvent } from "@agiletune/shared";
import { describe, expect, it } from "vitest";
import { encodeDeliveryJob } from "@agiletune/shared";
import { JOB_ENVELOPE_BYTES, MAX_JOB_BYTES, planDeliveries, tooLargeForJobs } from "./plan-deliveries.js";

const event = (id: string, organizationId: string, type: DomainEvent["event"]): DomainEvent => ({ id, event: type, organizationId, timestamp: "2026-03-20T12:00:00Z", data: { id } });
const webhook = (id: string, organizationId: string, events: string[], active = true) => ({ _id: id, organizationId, events, active });

describe("planDeliveries", () => {
  it("carries each event's ordering key (orderingKey, else a string data.id) and its offset; an event without one has neither", () => {
    const keyed = { ...event("e1", "org_b", "comment.created"), orderingKey: "tsk_9" };
    const numeric = { ...event("e2", "org_b", "task.created"), data: { id: 42 } };
    const jobs = planDeliveries({
      events: [
        { event: keyed, sequence: 17 },
        { event: event("e3", "org_b", "task.created"), sequence: 18 },
        { event: numeric, sequence: 19 },
      ],
      webhooks: [webhook("wh_b", "org_b", ["*"])],
      enqueuedAt: 0,
    });
    expect(jobs.map((j) => [j.orderingKey, j.eventSequence])).toEqual([
      ["tsk_9", 17],
      ["e3", 18],
      [undefined, undefined],
    ]);
  });

  it("gives every job of an event that event's trace context; an event without one, none", () => {
    const trace = { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: "a=1" };
    const jobs = planDeliveries({
      events: [
        { event: event("e1", "org_b", "task.created"), sequence: 1, trace },
        { event: event("e2", "org_b", "task.created"), sequence: 2 },
      ],
      webhooks: [webhook("wh_1", "org_b", ["*"]), webhook("wh_2", "org_b", ["*"])],
      enqueuedAt: 0,
    });
    expect(jobs.map((j) => [j.eventId, j.traceparent, j.tracestate])).toEqual([
      ["e1", trace.traceparent, "a=1"],
      ["e1", trace.traceparent, "a=1"],
      ["e2", undefined, undefined],
      ["e2", undefined, undefined],
    ]);
  });

  const hooks = [
    webhook("wh_tasks", "org_a", ["task.created", "task.updated"]),
    webhook("wh_all", "org_a", ["*"]),
    webhook("wh_off", "org_a", ["*"], false),
    webhook("wh_b", "org_b", ["task.created"]),
  ];

  it("matches event type or *, skips inactive webhooks, never crosses organizations", () => {
    const jobs = planDeliveries({
      events: [event("e1", "org_a", "task.created"), event("e2", "org_a", "member.added"), event("e3", "org_b", "task.created"), event("e4", "org_c", "task.created")].map((e, i) => ({
        event: e,
        sequence: i,
      })),
      webhooks: hooks,
      enqueuedAt: 7,
    });
    expect(jobs.map((j) => [j.eventId, j.webhookId])).toEqual([
      ["e1", "wh_tasks"],
      ["e1", "wh_all"],
      ["e2", "wh_all"],
      ["e3", "wh_b"],
    ]);
  });

  it("builds first-attempt jobs with the deterministic delivery id", () => {
    const [job] = planDeliveries({ events: [{ event: event("e1", "org_b", "task.created"), sequence: 0 }], webhooks: hooks, enqueuedAt: 42 });
    expect(job).toEqual({
      deliveryId: deliveryIdFor("e1", "wh_b"),
      webhookId: "wh_b",
      organizationId: "org_b",
      eventId: "e1",
      event: "task.created",
      timestamp: "2026-03-20T12:00:00Z",
      data: { id: "e1" },
      attempt: 0,
      source: "event",
      enqueuedAt: 42,
      orderingKey: "e1",
      eventSequence: 0,
    });
  });
});

describe("tooLargeForJobs", () => {
  const sized = (textBytes: number): DomainEvent => ({ ...event("evt_big", "org_a", "task.created"), data: { id: "evt_big", text: "x".repeat(textBytes) } });
  const bytesOf = (e: DomainEvent) => Buffer.byteLength(JSON.stringify(e));

  it("passes ordinary and large events whose jobs fit, and measures only those of half the limit or more", () => {
    expect(tooLargeForJobs(event("evt_1", "org_a", "task.created"), 200)).toBeNull();
    const large = sized(MAX_JOB_BYTES - 10_000);
    expect(tooLargeForJobs(large, bytesOf(large))).toBeNull();
    // The job as fanout encodes it is smaller than the limit it was measured against.
    const [job] = planDeliveries({ events: [{ event: large, sequence: 0 }], webhooks: [webhook("wh_all", "org_a", ["*"])], enqueuedAt: 0 });
    expect(encodeDeliveryJob(job!).length).toBeLessThan(MAX_JOB_BYTES);
    // Below half the limit nothing is measured: the claimed size decides.
    expect(tooLargeForJobs(sized(MAX_JOB_BYTES), 1_000)).toBeNull();
  });

  it("an event just small enough makes jobs within the limit, with the longest ordering key, ids and trace context", () => {
    const longest = { ...sized(0), orderingKey: "k".repeat(256), organizationId: "o".repeat(256) };
    const edge = { ...longest, data: { id: "evt_big", text: "x".repeat(MAX_JOB_BYTES - JOB_ENVELOPE_BYTES - bytesOf(longest) - 10) } };
    expect(tooLargeForJobs(edge, bytesOf(edge))).toBeNull();
    const trace = { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: `k=${"v".repeat(510)}` };
    const [job] = planDeliveries({
      events: [{ event: edge, sequence: Number.MAX_SAFE_INTEGER, trace }],
      webhooks: [webhook(`wh_${"f".repeat(24)}`, edge.organizationId, ["*"])],
      enqueuedAt: Date.now(),
    });
    expect(encodeDeliveryJob({ ...job!, attempt: 5, dueAt: Date.now(), inOrder: true }).length).toBeLessThanOrEqual(MAX_JOB_BYTES);
  });

  it("refuses an event whose jobs would pass the limit, saying by how much", () => {
    const tooBig = sized(MAX_JOB_BYTES);
    expect(tooLargeForJobs(tooBig, bytesOf(tooBig))).toMatch(new RegExp(`^event too large: its delivery jobs would be up to \\d+ bytes, over the ${MAX_JOB_BYTES} a delivery job may have$`));
  });
});
