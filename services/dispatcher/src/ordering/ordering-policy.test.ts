import { describe, expect, it } from "vitest";
import { chainAfterEnd, chainAfterStep, orderingStep, type Chain, type OrderedJob } from "./ordering-policy.js";

const empty: Chain = { current: null, last: null, endedThrough: null, held: 0 };
const job = (n: number, attempt = 0): OrderedJob => ({ deliveryId: `dlv_${n}`, sequence: n, attempt, ...(attempt > 0 && { inOrder: true }) });
const link = (n: number) => ({ deliveryId: `dlv_${n}`, sequence: n });

/** Takes each job in turn, as the dispatcher would, returning the steps and the chain. */
function take(chain: Chain, jobs: OrderedJob[]) {
  const steps: string[] = [];
  for (const j of jobs) {
    const step = orderingStep(chain, j);
    steps.push(step.kind === "hold" ? `hold behind ${step.behind}` : step.kind);
    chain = chainAfterStep(chain, j, step);
  }
  return { chain, steps };
}

describe("ordering rules", () => {
  it("admits a key's first delivery and holds each later one behind the one before it", () => {
    const { chain, steps } = take(empty, [job(10), job(11), job(12)]);
    expect(steps).toEqual(["admit", "hold behind dlv_10", "hold behind dlv_11"]);
    expect(chain).toEqual({ current: link(10), last: link(12), endedThrough: null, held: 2 });
  });

  it("sends the delivery under way again: its retries, its release from parking, its re-read after a crash", () => {
    const { chain } = take(empty, [job(10)]);
    expect(orderingStep(chain, job(10, 3))).toEqual({ kind: "send" });
    expect(orderingStep(chain, job(10, 0))).toEqual({ kind: "send" });
  });

  it("once the delivery under way ends, the lowest held one is under way and the ended one is never sent again", () => {
    let { chain } = take(empty, [job(10), job(11), job(12)]);
    chain = chainAfterEnd(chain, link(10), link(11));
    expect(chain).toEqual({ current: link(11), last: link(12), endedThrough: 10, held: 1 });
    // Its retry never goes again; a first attempt read again is sent only if the log says it never ended.
    expect(orderingStep(chain, job(10, 2))).toMatchObject({ kind: "skip" });
    expect(orderingStep(chain, job(10))).toEqual({ kind: "if-not-ended" });
    expect(orderingStep(chain, job(11))).toEqual({ kind: "send" });
    expect(orderingStep(chain, job(13))).toEqual({ kind: "hold", behind: "dlv_12" });
  });

  it("holds a newcomer while held deliveries wait for their release, even with nothing under way", () => {
    const chain: Chain = { current: null, last: link(12), endedThrough: 10, held: 2 };
    expect(orderingStep(chain, job(13))).toEqual({ kind: "hold", behind: "dlv_12" });
  });

  it("with nothing held, the end leaves the chain idle and the next event's delivery is admitted", () => {
    let { chain } = take(empty, [job(10)]);
    chain = chainAfterEnd(chain, link(10), null);
    expect(chain).toEqual({ current: null, last: link(10), endedThrough: 10, held: 0 });
    expect(orderingStep(chain, job(11))).toEqual({ kind: "admit" });
  });

  it("an end of a delivery not under way (a stale repeat) changes nothing", () => {
    const { chain } = take(empty, [job(10), job(11)]);
    expect(chainAfterEnd(chain, link(11), null)).toBe(chain);
  });

  it("sends deliveries that predate the chain as they come: older than the one under way, or retries that never joined", () => {
    const { chain } = take(empty, [job(10)]);
    expect(orderingStep(chain, job(7))).toMatchObject({ kind: "outside" });
    const unordered = { ...job(12, 1), inOrder: undefined };
    expect(orderingStep(chain, unordered)).toMatchObject({ kind: "outside" });
    expect(orderingStep(empty, unordered)).toMatchObject({ kind: "outside" });
    // Even at or before the ended mark: never in the order, it has not ended for being behind it.
    expect(orderingStep({ ...chain, endedThrough: 20 }, unordered)).toMatchObject({ kind: "outside" });
  });

  it("a job read again while it is held is recognised by the held copy, not held behind itself", () => {
    const { chain } = take(empty, [job(10), job(11)]);
    expect(orderingStep(chain, job(11))).toEqual({ kind: "if-not-held" });
    expect(orderingStep(chain, job(12))).toEqual({ kind: "hold", behind: "dlv_11" });
  });

  it("an end with nothing left to release leaves nothing counted as held", () => {
    const chain: Chain = { current: link(10), last: link(11), endedThrough: 9, held: 1 };
    expect(chainAfterEnd(chain, link(10), null)).toMatchObject({ current: null, held: 0 });
  });
});
