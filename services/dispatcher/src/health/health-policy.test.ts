import { describe, expect, it } from "vitest";
import { afterAttempt, ALIVE_FOR_MS, DRAIN_MAX_PER_SECOND, DRAIN_START_PER_SECOND, initialState, MAX_PROBE_INTERVAL_MS, routeJob, type EndpointState, type Verdict } from "./health-policy.js";

const settings = { failureThreshold: 3, probeIntervalMs: 1_000, disableAfterMs: 60_000 };
const healthy = initialState({ health: "healthy" }, settings);
const fail = (probe = false, deadLettered = false, firstAttempt = false): Verdict => ({ kind: "failure", reason: "http_status: 500", probe, firstAttempt, deadLettered });
const success: Verdict = { kind: "success" };

function run(state: EndpointState, verdicts: Array<[Verdict, number]>) {
  const changes: string[] = [];
  for (const [verdict, at] of verdicts) {
    const next = afterAttempt(state, verdict, at, settings);
    state = next.state;
    changes.push(...next.changes.map((c) => c.kind));
  }
  return { state, changes };
}

describe("endpoint health", () => {
  it("opens the circuit after the threshold of failures in a row, once, and says the webhook is failing", () => {
    const { state, changes } = run(healthy, [
      [fail(), 0],
      [{ kind: "success" }, 1],
      [fail(), 2_000],
      [fail(), 2_001],
      [fail(), 2_002],
      [fail(), 2_003],
    ]);
    expect(changes).toEqual(["circuit-opened", "failing"]);
    expect(state).toMatchObject({ circuit: "open", health: "failing", failingSince: 2_000, consecutiveFailures: 4, nextProbeAt: 2_002 + 1_000 });
    expect(state.healthReason).toMatch(/3 failed attempts in a row; last: http_status: 500/);
  });

  it("sends one probe when due, parks the rest, and doubles the interval after a failed probe up to 10 minutes", () => {
    let { state } = run(healthy, [
      [fail(), 0],
      [fail(), 0],
      [fail(), 0],
    ]);
    expect(routeJob(state, 500, false)).toBe("park");
    expect(routeJob(state, 1_000, false)).toBe("probe");
    expect(routeJob(state, 1_000, true)).toBe("park");
    // A failure of a request already in flight when it opened does not move the probe.
    state = afterAttempt(state, fail(false), 1_000, settings).state;
    expect(state.nextProbeAt).toBe(1_000);
    state = afterAttempt(state, fail(true), 1_000, settings).state;
    expect(state).toMatchObject({ probeIntervalMs: 2_000, nextProbeAt: 3_000 });
    for (let i = 0; i < 20; i++) state = afterAttempt(state, fail(true), 2_000, settings).state;
    expect(state.probeIntervalMs).toBe(MAX_PROBE_INTERVAL_MS);
  });

  it("a successful probe drains, says recovered once, and resets the interval", () => {
    const { state, changes } = run(healthy, [
      [fail(), 0],
      [fail(), 0],
      [fail(), 0],
      [fail(true), 1_000],
      [{ kind: "success" }, 3_000],
      [{ kind: "success" }, 3_001],
    ]);
    expect(changes).toEqual(["circuit-opened", "failing", "probe-failed", "recovered", "circuit-draining"]);
    expect(state).toMatchObject({ circuit: "draining", health: "healthy", healthReason: null, failingSince: null, probeIntervalMs: 1_000 });
    expect(routeJob(state, 3_001, false)).toBe("park");
  });

  it("a dead letter makes a healthy webhook failing without opening its circuit", () => {
    const { state, changes } = run(healthy, [[fail(false, true), 0]]);
    expect(changes).toEqual(["failing"]);
    expect(state).toMatchObject({ circuit: "closed", health: "failing", healthReason: "retries exhausted; last: http_status: 500" });
  });

  it("disables after DISABLE_AFTER of continuous failure, and at once on 410 Gone; neutral errors change nothing", () => {
    expect(
      run(healthy, [
        [fail(), 0],
        [fail(), 0],
        [fail(), 30_000],
        [fail(true), 60_000],
      ]).changes,
    ).toEqual(["circuit-opened", "failing", "disabled"]);
    expect(
      run(healthy, [
        [fail(), 0],
        [fail(), 60_000],
      ]).state,
    ).toMatchObject({ health: "disabled", healthReason: "failing-too-long" });
    expect(run(healthy, [[{ kind: "gone" }, 0]])).toMatchObject({ changes: ["disabled"], state: { health: "disabled", healthReason: "gone" } });
    expect(run(healthy, [[{ kind: "neutral" }, 0]]).state).toBe(healthy);
  });

  it("keeps the circuit of an endpoint that accepted an attempt within the last second closed, however many fail in a row", () => {
    const steps: Array<[Verdict, number]> = [[success, 10_000]];
    // Every first attempt refused, every retry accepted: runs of failures between successes.
    for (let t = 10_001; t < 10_000 + ALIVE_FOR_MS; t += 10) steps.push([fail(false, false, true), t]);
    const { state, changes } = run(healthy, steps);
    expect(state.consecutiveFailures).toBeGreaterThan(settings.failureThreshold);
    expect(state.circuit).toBe("closed");
    expect(changes).toEqual([]);
    // A second after its last acceptance, the next failure opens it.
    expect(afterAttempt(state, fail(), 10_000 + ALIVE_FOR_MS, settings).state.circuit).toBe("open");
  });

  it("after a probe that failed as a first attempt, asks for a delivery that has failed before as the next probe", () => {
    let { state } = run(healthy, [
      [fail(), 0],
      [fail(), 0],
      [fail(), 0],
    ]);
    state = afterAttempt(state, fail(true, false, true), 1_000, settings).state;
    expect(state.probeFailedBefore).toBe(true);
    state = afterAttempt(state, fail(true, false, false), 3_000, settings).state;
    expect(state.probeFailedBefore).toBe(false);
    state = afterAttempt(state, fail(true, false, true), 7_000, settings).state;
    expect(afterAttempt(state, success, 15_000, settings).state).toMatchObject({ probeFailedBefore: false, circuit: "draining" });
  });

  it("starts a drain at 10/s and doubles it at most once a second, only on a success, up to the most", () => {
    let { state } = run(healthy, [
      [fail(), 0],
      [fail(), 0],
      [fail(), 0],
      [success, 1_000],
    ]);
    expect(state).toMatchObject({ circuit: "draining", drainPerSecond: DRAIN_START_PER_SECOND });
    state = afterAttempt(state, success, 1_500, settings).state;
    expect(state.drainPerSecond).toBe(DRAIN_START_PER_SECOND);
    state = afterAttempt(state, fail(false, false, true), 2_100, settings).state;
    expect(state.drainPerSecond).toBe(DRAIN_START_PER_SECOND);
    state = afterAttempt(state, success, 2_200, settings).state;
    expect(state.drainPerSecond).toBe(2 * DRAIN_START_PER_SECOND);
    for (let t = 3_200; t < 30_000; t += 1_000) state = afterAttempt(state, success, t, settings).state;
    expect(state.drainPerSecond).toBe(DRAIN_MAX_PER_SECOND);
  });

  it("while draining, counts only failures of deliveries that have failed before toward reopening", () => {
    let { state } = run(healthy, [
      [fail(), 0],
      [fail(), 0],
      [fail(), 0],
      [success, 1_000],
    ]);
    expect(state.circuit).toBe("draining");
    for (let t = 5_000; t < 5_020; t++) state = afterAttempt(state, fail(false, false, true), t, settings).state;
    expect(state).toMatchObject({ circuit: "draining", consecutiveFailures: 0 });
    for (let t = 6_000; t < 6_000 + settings.failureThreshold; t++) state = afterAttempt(state, fail(false, false, false), t, settings).state;
    expect(state.circuit).toBe("open");
  });
});
