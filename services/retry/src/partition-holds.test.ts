import { ManualClock } from "@agiletune/shared";
import { describe, expect, it } from "vitest";
import { PartitionHolds } from "./partition-holds.js";

/** Whether `due` has resolved yet, and with what. */
function watch(due: Promise<boolean>): { settled: boolean | "waiting" } {
  const state: { settled: boolean | "waiting" } = { settled: "waiting" };
  void due.then((reached) => {
    state.settled = reached;
  });
  return state;
}

describe("PartitionHolds", () => {
  it("holds a partition until its due time on the clock, and not a millisecond less", async () => {
    const clock = new ManualClock(10_000);
    const holds = new PartitionHolds(clock);
    const { waitMs, due } = holds.hold(0, 13_000);
    expect(waitMs).toBe(3_000);
    const held = watch(due);
    await clock.advance(2_999);
    expect(held.settled).toBe("waiting");
    await clock.advance(1);
    expect(held.settled).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it("releases at once a job already due (dueAt in the past)", async () => {
    const clock = new ManualClock(10_000);
    const { waitMs, due } = new PartitionHolds(clock).hold(1, 9_000);
    expect(waitMs).toBe(0);
    const held = watch(due);
    await clock.advance(0);
    expect(held.settled).toBe(true);
  });

  it("a later hold of a partition replaces its earlier wait, which ends unreached, and leaves other partitions' waits alone", async () => {
    const clock = new ManualClock(0);
    const holds = new PartitionHolds(clock);
    const first = watch(holds.hold(2, 1_000).due);
    const other = watch(holds.hold(3, 2_000).due);
    const second = watch(holds.hold(2, 4_000).due);
    await clock.advance(0);
    expect(first.settled).toBe(false);
    await clock.advance(2_000);
    expect([second.settled, other.settled]).toEqual(["waiting", true]);
    await clock.advance(2_000);
    expect(second.settled).toBe(true);
  });

  it("clear ends every wait unreached and leaves no timer behind", async () => {
    const clock = new ManualClock(0);
    const holds = new PartitionHolds(clock);
    const waits = [watch(holds.hold(0, 1_000).due), watch(holds.hold(1, 60_000).due)];
    expect(clock.pending).toBe(2);
    holds.clear();
    await clock.advance(0);
    expect(waits.map((w) => w.settled)).toEqual([false, false]);
    expect(clock.pending).toBe(0);
    await clock.advance(60_000);
    expect(waits.map((w) => w.settled)).toEqual([false, false]);
  });
});
