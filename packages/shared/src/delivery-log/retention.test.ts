import { describe, expect, it } from "vitest";
import { expiredFilter, retentionCutoff, ttlIndexes } from "./retention.js";

const DAY = 86_400_000;
const NOW = Date.parse("2026-11-29T12:00:00Z");
const periods = { deliveriesMs: 30 * DAY, deadLettersMs: 90 * DAY };

describe("retention", () => {
  it("cuts off what is older than the period", () => {
    expect(retentionCutoff(NOW, 30 * DAY).toISOString()).toBe("2026-10-30T12:00:00.000Z");
    expect(retentionCutoff(NOW, 2_000).getTime()).toBe(NOW - 2_000);
  });

  it("expires deliveries by createdAt, attempts by startedAt, dead letters by deadLetteredAt with their own period, audit entries by at, portal sessions at expiresAt", () => {
    expect(expiredFilter("deliveries", periods, NOW)).toEqual({ createdAt: { $lt: new Date(NOW - 30 * DAY) } });
    expect(expiredFilter("delivery_attempts", periods, NOW)).toEqual({ startedAt: { $lt: new Date(NOW - 30 * DAY) } });
    expect(expiredFilter("dead_letters", periods, NOW)).toEqual({ deadLetteredAt: { $lt: new Date(NOW - 90 * DAY) } });
    expect(expiredFilter("audit_log", periods, NOW)).toEqual({ at: { $lt: new Date(NOW - 30 * DAY) } });
    expect(expiredFilter("portal_sessions", periods, NOW)).toEqual({ expiresAt: { $lt: new Date(NOW) } });
    expect(expiredFilter("endpoint_stats", periods, NOW)).toEqual({ end: { $lt: new Date(NOW - 30 * DAY) } });
  });

  it("describes single-field TTL indexes in whole seconds", () => {
    const indexes = ttlIndexes({ deliveriesMs: 1_500, deadLettersMs: 90 * DAY });
    expect(indexes.map((i) => [i.collection, i.index.key, i.index.expireAfterSeconds])).toEqual([
      ["deliveries", { createdAt: 1 }, 2],
      ["delivery_attempts", { startedAt: 1 }, 2],
      ["dead_letters", { deadLetteredAt: 1 }, 90 * 86_400],
      ["audit_log", { at: 1 }, 2],
      ["portal_sessions", { expiresAt: 1 }, 0],
      ["endpoint_stats", { end: 1 }, 2],
    ]);
  });
});
