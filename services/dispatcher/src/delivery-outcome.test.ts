import { DeliveryError, DEFAULT_RETRY_DELAYS_MS } from "@agiletune/shared";
import { describe, expect, it } from "vitest";
import { decideOutcome, statusAfter } from "./delivery-outcome.js";

const http500 = new DeliveryError("http_status", "the endpoint answered 500");

describe("decideOutcome", () => {
  it("succeeds without an error", () => {
    expect(decideOutcome({ job: { attempt: 3, source: "event" }, error: null, failedAt: 0, delaysMs: DEFAULT_RETRY_DELAYS_MS })).toEqual({ kind: "succeeded" });
  });

  it("climbs the ladder for events and replays, then dead-letters", () => {
    expect(decideOutcome({ job: { attempt: 0, source: "event" }, error: http500, failedAt: 1000, delaysMs: DEFAULT_RETRY_DELAYS_MS })).toEqual({ kind: "retry", tier: 0, retry: 1, dueAt: 61_000 });
    expect(decideOutcome({ job: { attempt: 2, source: "replay" }, error: http500, failedAt: 0, delaysMs: DEFAULT_RETRY_DELAYS_MS })).toEqual({ kind: "retry", tier: 2, retry: 3, dueAt: 1_800_000 });
    expect(decideOutcome({ job: { attempt: 5, source: "event" }, error: http500, failedAt: 0, delaysMs: DEFAULT_RETRY_DELAYS_MS })).toMatchObject({
      kind: "dead-letter",
      reason: expect.stringContaining("retries exhausted"),
    });
  });

  it("dead-letters at once when no retry can help", () => {
    const refused = new DeliveryError("private_address", "10.0.0.1 is a private address");
    expect(decideOutcome({ job: { attempt: 0, source: "event" }, error: refused, failedAt: 0, delaysMs: DEFAULT_RETRY_DELAYS_MS })).toMatchObject({ kind: "dead-letter" });
  });

  it("gives manual attempts no ladder", () => {
    expect(decideOutcome({ job: { attempt: 0, source: "redeliver" }, error: http500, failedAt: 0, delaysMs: DEFAULT_RETRY_DELAYS_MS })).toEqual({ kind: "manual-failed" });
    expect(statusAfter({ kind: "manual-failed" }, "redeliver")).toBeNull();
    expect(statusAfter({ kind: "manual-failed" }, "ping")).toBe("failed");
  });
});
