import { describe, expect, it } from "vitest";
import { attemptCountOf, type AttemptRecord } from "./documents.js";

const inside = { attempt: 0 } as AttemptRecord;

describe("attemptCountOf", () => {
  it("counts the attempt inside the entry and each one stored apart", () => {
    expect(attemptCountOf({ attempts: [inside], attemptIds: ["d.1.a", "d.2.b"] })).toBe(3);
    expect(attemptCountOf({ attemptIds: ["d.0.a"] })).toBe(1);
    expect(attemptCountOf({})).toBe(0);
  });

  it("does not count the first attempt again when a repeated recording also stored it apart", () => {
    expect(attemptCountOf({ attempts: [inside], firstAttemptId: "d.0.a", attemptIds: ["d.0.a", "d.1.b", "d.1.b"] })).toBe(2);
  });
});
