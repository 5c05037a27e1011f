import { parseJsonDomainEvent } from "@agiletune/shared";
import { describe, expect, it } from "vitest";
import { benchEvent } from "./pipeline.js";

describe("benchEvent", () => {
  it("makes events of every type that pass fanout's checks, schemas included, with their extra fields and padding", () => {
    for (let n = 0; n < 16; n++) {
      const { key, value } = benchEvent("run1", n, "org_3", 1_700_000_000_000, { padding: n % 2 ? "x".repeat(100) : undefined });
      const parsed = parseJsonDomainEvent(Buffer.from(value));
      expect(parsed, `event ${n}`).toMatchObject({ ok: true, value: { organizationId: key, data: { producedAt: 1_700_000_000_000 } } });
    }
  });
});
