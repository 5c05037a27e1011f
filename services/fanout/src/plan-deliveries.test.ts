import { deliveryIdFor, type DomainEvent } from "@agiletune/shared";
import { describe, expect, it } from "vitest";
import { planDeliveries } from "./plan-deliveries.js";

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
