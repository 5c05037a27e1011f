import { describe, expect, it } from "vitest";
import { bystanderLateness } from "./ordered.js";

describe("bystanderLateness", () => {
  it("sets each bystander's latency beside the same event's at the control webhook", () => {
    expect(bystanderLateness({ bystanderLatencyMs: { "1": 30, "2": 500, "3": 40 }, controlLatencyMs: { "1": 20, "2": 25, "4": 10 } })).toEqual({
      bystander: [30, 500],
      control: [20, 25],
      lateness: [10, 475],
    });
  });

  it("leaves out events the control webhook has not received", () => {
    expect(bystanderLateness({ bystanderLatencyMs: { "7": 12 }, controlLatencyMs: {} })).toEqual({ bystander: [], control: [], lateness: [] });
  });
});
