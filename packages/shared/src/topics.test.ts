import { describe, expect, it } from "vitest";
import { replicationFor } from "./topics.js";

describe("replicationFor", () => {
  it("keeps one replica per broker up to 3, and asks for 2 in sync from 3 on", () => {
    expect([1, 2, 3, 5].map((brokers) => [brokers, replicationFor(brokers)])).toEqual([
      [1, { replicationFactor: 1, minInsyncReplicas: 1 }],
      [2, { replicationFactor: 2, minInsyncReplicas: 1 }],
      [3, { replicationFactor: 3, minInsyncReplicas: 2 }],
      [5, { replicationFactor: 3, minInsyncReplicas: 2 }],
    ]);
  });
});
