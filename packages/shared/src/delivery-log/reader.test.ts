import { describe, expect, it } from "vitest";
import { deadLetterQuery } from "./reader.js";

describe("deadLetterQuery", () => {
  it("selects by every filter, from inclusive and to exclusive", () => {
    const from = new Date("2026-03-01T00:00:00Z");
    const to = new Date("2026-03-02T00:00:00Z");
    expect(deadLetterQuery({})).toEqual({});
    expect(deadLetterQuery({ organizationId: "org_1", webhookId: "wh_1", event: "task.created", from, to })).toEqual({
      organizationId: "org_1",
      webhookId: "wh_1",
      event: "task.created",
      deadLetteredAt: { $gte: from, $lt: to },
    });
    expect(deadLetterQuery({ to })).toEqual({ deadLetteredAt: { $lt: to } });
  });
});
