import { describe, expect, it } from "vitest";
import { ConcurrencyGate } from "./concurrency-gate.js";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
const tick = () => new Promise((r) => setImmediate(r));

function harness(limits: { maxTotal: number; maxPerKey: number; maxQueuedWhenSlow: number; slowAfterMs: number; shortOfRoom?: () => boolean }) {
  let clock = 0;
  const started: string[] = [];
  const overflowed: string[] = [];
  const finished: string[] = [];
  const pending = new Map<string, ReturnType<typeof deferred>>();
  const gate = new ConcurrencyGate(limits, () => clock);
  const submit = (key: string, item: string) =>
    gate.enter(key).then(async (entry) => {
      if (entry.kind === "turned-away") return overflowed.push(item);
      started.push(item);
      const d = deferred();
      pending.set(item, d);
      await d.promise;
      entry.leave();
      return finished.push(item);
    });
  return { gate, submit, started, overflowed, finished, finish: (item: string) => pending.get(item)!.resolve(), advance: (ms: number) => (clock += ms) };
}

describe("ConcurrencyGate", () => {
  it("runs at most maxPerKey per endpoint and queues a fast endpoint's burst of any size", async () => {
    const { gate, submit, started, overflowed } = harness({ maxTotal: 100, maxPerKey: 2, maxQueuedWhenSlow: 1, slowAfterMs: 1000 });
    for (let i = 0; i < 10; i++) submit("fast", `f${i}`);
    await tick();
    expect(started).toEqual(["f0", "f1"]);
    expect(overflowed).toEqual([]);
    expect(gate.size).toBe(10);
  });

  it("keeps a slow endpoint's queue while the gate is less than half full", async () => {
    const h = harness({ maxTotal: 100, maxPerKey: 2, maxQueuedWhenSlow: 1, slowAfterMs: 1000 });
    for (let i = 0; i < 5; i++) h.submit("slow", `s${i}`);
    h.advance(1500);
    h.submit("slow", "s5");
    await tick();
    expect(h.gate.isSlow("slow")).toBe(true);
    expect(h.overflowed).toEqual([]);
    expect(h.gate.size).toBe(6);
  });

  it("sheds a slow endpoint's queue and overflows its new work, without touching other endpoints", async () => {
    const h = harness({ maxTotal: 10, maxPerKey: 2, maxQueuedWhenSlow: 1, slowAfterMs: 1000 });
    for (let i = 0; i < 5; i++) h.submit("slow", `s${i}`);
    h.advance(1500);
    h.submit("slow", "s5");
    await tick();
    // s2 is kept (the oldest queued), s3 and s4 are shed, s5 overflows.
    expect(h.overflowed).toEqual(["s4", "s3", "s5"]);
    expect(h.gate.size).toBe(3);

    h.submit("other", "o0");
    await tick();
    expect(h.started).toContain("o0");
    h.finish("o0");
    h.finish("s0");
    await tick();
    expect(h.started).toEqual(["s0", "s1", "o0", "s2"]);
    h.finish("s1");
    h.finish("s2");
    await h.gate.drain();
    expect(h.gate.size).toBe(0);
    await tick();
    // Each admitted task settles with its own value once it has run.
    expect(h.finished.sort()).toEqual(["o0", "s0", "s1", "s2"]);
  });

  it("sheds a slow endpoint's queue below half full when shortOfRoom says room is short (bytes)", async () => {
    let short = false;
    const h = harness({ maxTotal: 100, maxPerKey: 2, maxQueuedWhenSlow: 1, slowAfterMs: 1000, shortOfRoom: () => short });
    for (let i = 0; i < 5; i++) h.submit("slow", `s${i}`);
    h.advance(1500);
    h.submit("slow", "s5");
    await tick();
    expect(h.overflowed).toEqual([]);
    short = true;
    h.submit("slow", "s6");
    await tick();
    // s2 is kept, s3, s4 and s5 are shed, s6 overflows.
    expect(h.overflowed).toEqual(["s5", "s4", "s3", "s6"]);
  });

  it("makes callers wait when the total is reached", async () => {
    const h = harness({ maxTotal: 2, maxPerKey: 10, maxQueuedWhenSlow: 10, slowAfterMs: 1000 });
    h.submit("a", "a0");
    h.submit("b", "b0");
    let admitted = false;
    const waiting = h.gate.waitForCapacity().then(() => (admitted = true));
    await tick();
    expect(admitted).toBe(false);
    h.finish("a0");
    await waiting;
    expect(admitted).toBe(true);
    h.finish("b0");
    await h.gate.drain();
  });

  it("frees a slot once, however often it is left", async () => {
    const gate = new ConcurrencyGate({ maxTotal: 10, maxPerKey: 1, maxQueuedWhenSlow: 1, slowAfterMs: 1000 });
    const first = await gate.enter("a");
    const second = gate.enter("a");
    expect(gate.size).toBe(2);
    if (first.kind !== "admitted") throw new Error("the first entry is admitted");
    first.leave();
    first.leave();
    const entry = await second;
    expect(entry.kind).toBe("admitted");
    expect(gate.size).toBe(1);
    if (entry.kind === "admitted") entry.leave();
    expect(gate.size).toBe(0);
  });
});
