import { describe, expect, it } from "vitest";
import { BatchTtlCache } from "./batch-ttl-cache.js";

function harness() {
  let clock = 0;
  const calls: string[][] = [];
  let fail = false;
  const cache = new BatchTtlCache<number>(
    async (keys) => {
      calls.push([...keys]);
      await new Promise((r) => setImmediate(r));
      if (fail) throw new Error("database away");
      return new Map(keys.filter((k) => k !== "missing").map((k) => [k, k.length + clock]));
    },
    { ttlMs: 1_000, now: () => clock },
  );
  return { cache, calls, advance: (ms: number) => (clock += ms), setFail: (f: boolean) => (fail = f) };
}

describe("BatchTtlCache", () => {
  it("loads many keys with one call, and shares a load in flight with concurrent callers", async () => {
    const h = harness();
    const [many, one, other] = await Promise.all([h.cache.getMany(["a", "bb", "missing"]), h.cache.get("bb"), h.cache.get("ccc")]);
    expect(many).toEqual(
      new Map([
        ["a", 1],
        ["bb", 2],
        ["missing", undefined],
      ]),
    );
    expect(one).toBe(2);
    expect(other).toBe(3);
    expect(h.calls).toEqual([["a", "bb", "missing"], ["ccc"]]);
  });

  it("serves a value up to half its life, refreshes it in the background up to ttlMs, and waits after that", async () => {
    const h = harness();
    expect(await h.cache.get("a")).toBe(1);
    h.advance(400);
    expect(await h.cache.get("a")).toBe(1);
    expect(h.calls).toHaveLength(1);
    h.advance(200);
    // Past half its life: served as it is, refreshed meanwhile.
    expect(await h.cache.get("a")).toBe(1);
    expect(h.calls).toHaveLength(2);
    await new Promise((r) => setImmediate(r));
    expect(await h.cache.get("a")).toBe(601);
    h.advance(1_001);
    expect(await h.cache.get("a")).toBe(1_602);
    expect(h.calls).toHaveLength(3);
  });

  it("refreshes every entry past half its life and wanted since its load along with a stale one, in the same call", async () => {
    const h = harness();
    await h.cache.get("a");
    h.advance(400);
    await h.cache.get("bb");
    h.advance(500);
    await h.cache.get("bb"); // half its life: served as it is, and wanted
    h.advance(200);
    // a is stale, bb is past half its life: both in one call; nothing more for a while.
    expect(await h.cache.get("a")).toBe(1_101);
    expect(h.calls.at(-1)).toEqual(["a", "bb"]);
    h.advance(400);
    expect(await h.cache.get("bb")).toBe(1_102);
    expect(h.calls).toHaveLength(3);
  });

  it("leaves an entry nobody wanted since its load to expire, rather than reloading it with others", async () => {
    const h = harness();
    await h.cache.get("a");
    await h.cache.get("bb");
    h.advance(1_100);
    await h.cache.get("a");
    expect(h.calls.at(-1)).toEqual(["a"]);
  });

  it("loads more than a thousand keys a thousand at a time", async () => {
    const h = harness();
    const keys = Array.from({ length: 2_500 }, (_, i) => `k${i}`);
    await h.cache.prefetch(keys);
    expect(h.calls.map((c) => c.length)).toEqual([1_000, 1_000, 500]);
  });

  it("a failed load rejects its callers and is tried again by the next", async () => {
    const h = harness();
    h.setFail(true);
    await expect(h.cache.get("a")).rejects.toThrow("database away");
    h.setFail(false);
    expect(await h.cache.get("a")).toBe(1);
  });
});
