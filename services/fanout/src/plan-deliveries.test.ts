import { deliveryIdFor, type DomainEvent } from "@agiletune/shared";
import { describe, expect, it } from "vitest";
import { encodeDeliveryJob } from "@agiletune/shared";
import { MAX_JOB_BYTES, planDeliveries, tooLargeForJobs } from "./plan-deliveries.js";

const event = (id: string, organizationId: string, type: DomainEvent["event"]): DomainEvent => ({ id, event: type, organizationId, timestamp: "2026-03-20T12:00:00Z", data: { id } });
const webhook = (id: string, organizationId: string, events: string[], active = true) => ({ _id: id, organizationId, events, active });

describe("planDeliveries", () => {
  const hooks = [
    webhook("wh_tasks", "org_a", ["task.created", "task.updated"]),
    webhook("wh_all", "org_a", ["*"]),
    webhook("wh_off", "org_a", ["*"], false),
    webhook("wh_b", "org_b", ["task.created"]),
  ];

  it("matches event type or *, skips inactive webhooks, never crosses organizations", () => {
    const jobs = planDeliveries([event("e1", "org_a", "task.created"), event("e2", "org_a", "member.added"), event("e3", "org_b", "task.created"), event("e4", "org_c", "task.created")], hooks, 7);
    expect(jobs.map((j) => [j.eventId, j.webhookId])).toEqual([
      ["e1", "wh_tasks"],
      ["e1", "wh_all"],
      ["e2", "wh_all"],
      ["e3", "wh_b"],
    ]);
  });

  it("builds first-attempt jobs with the deterministic delivery id", () => {
    const [job] = planDeliveries([event("e1", "org_b", "task.created")], hooks, 42);
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
    const [job] = planDeliveries([large], [webhook("wh_all", "org_a", ["*"])], 0);
    expect(encodeDeliveryJob(job!).length).toBeLessThan(MAX_JOB_BYTES);
    // Below half the limit nothing is measured: the claimed size decides.
    expect(tooLargeForJobs(sized(MAX_JOB_BYTES), 1_000)).toBeNull();
  });

  it("refuses an event whose jobs would pass the limit, saying by how much", () => {
    const tooBig = sized(MAX_JOB_BYTES);
    expect(tooLargeForJobs(tooBig, bytesOf(tooBig))).toMatch(new RegExp(`^event too large: its delivery jobs would be up to \\d+ bytes, over the ${MAX_JOB_BYTES} a delivery job may have$`));
  });
});
