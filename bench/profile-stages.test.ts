import { describe, expect, it } from "vitest";
import { categoryOf, moduleStarts, summarize } from "./profile-stages.js";

describe("profile stages", () => {
  const bundle = [
    "import x;",
    "// node_modules/.pnpm/undici@7.30.2/node_modules/undici/lib/core/util.js",
    "a()",
    "// ../../packages/shared/src/signing.ts",
    "b()",
    "// services/dispatcher/src/attempt.ts",
    "c()",
  ].join("\n");

  it("finds where each bundled module starts and names its library or our module", () => {
    expect(moduleStarts(bundle)).toEqual([
      [2, "node_modules/.pnpm/undici@7.30.2/node_modules/undici/lib/core/util.js"],
      [4, "../../packages/shared/src/signing.ts"],
      [6, "services/dispatcher/src/attempt.ts"],
    ]);
    expect(categoryOf("node_modules/.pnpm/bson@6.10.4/node_modules/bson/lib/bson.cjs")).toEqual({ name: "mongodb driver + bson", ours: false });
    expect(categoryOf("node_modules/.pnpm/@kafkajs+confluent@1/node_modules/@kafkajs/confluent/x.js").name).toBe("@kafkajs/confluent");
    expect(categoryOf("../../packages/shared/src/signing.ts")).toEqual({ name: "shared/signing.ts", ours: true });
  });

  it("counts self time at the leaf, and each of our modules once per sample with what it calls", () => {
    const url = "file:///x/services/dispatcher/dist/main.mjs";
    const frame = (lineNumber: number, functionName = "f") => ({ functionName, url, lineNumber });
    // V8 counts lines from 0. root -> attempt (line 6) -> signing (line 4) -> undici (line 2); a second sample in attempt itself.
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 }, children: [2] },
        { id: 2, callFrame: frame(5), children: [3] },
        { id: 3, callFrame: frame(3), children: [4] },
        { id: 4, callFrame: frame(1) },
        { id: 5, callFrame: { functionName: "(garbage collector)", url: "", lineNumber: -1 } },
      ],
      samples: [4, 2, 5, 4],
      timeDeltas: [1000, 1000, 2000, 1000],
    };
    const summary = summarize(profile, "dispatcher/dist/main.mjs", moduleStarts(bundle));
    expect(summary.totalMs).toBe(5);
    expect(summary.self).toEqual([
      { name: "undici", ms: 2, percent: 40 },
      { name: "(garbage collector)", ms: 2, percent: 40 },
      { name: "dispatcher/attempt.ts", ms: 1, percent: 20 },
    ]);
    expect(summary.withCallees).toEqual([
      { name: "dispatcher/attempt.ts", ms: 3, percent: 60 },
      { name: "shared/signing.ts", ms: 2, percent: 40 },
    ]);
  });
});
