import type { WebhookDoc, WebhookHealth } from "@agiletune/shared";

/** docs/endpoint-health.md's settings: CIRCUIT_FAILURE_THRESHOLD, CIRCUIT_PROBE_INTERVAL, DISABLE_AFTER. */
export type HealthSettings = { failureThreshold: number; probeIntervalMs: number; disableAfterMs: number };

/** The probe interval doubles after each failed probe, up to this. */
export const MAX_PROBE_INTERVAL_MS = 10 * 60_000;

/**
 * An endpoint that accepted an attempt this recently is alive: failures in a row do not
 * open its circuit (a breaker is for endpoints that accept nothing). An endpoint that
 * refuses every first attempt and accepts every retry has long runs of failures between
 * its successes; parking its retries behind first-attempt probes starved it.
 */
export const ALIVE_FOR_MS = 1_000;

/** Parked deliveries released per second when a drain starts, for a webhook with no rate limit. */
export const DRAIN_START_PER_SECOND = 10;
/** A drain's rate stops doubling here: past it only the endpoint's concurrency bounds it. */
export const DRAIN_MAX_PER_SECOND = 10_000;
const DRAIN_STEP_MS = 1_000;

/** One webhook's health as its owning dispatcher keeps it. Times in epoch ms. */
export type EndpointState = {
  health: WebhookHealth;
  healthReason: string | null;
  failingSince: number | null;
  /** Failed attempts in a row, across deliveries; kept in memory only (a restart counts afresh). */
  consecutiveFailures: number;
  /** open: one probe at a time, the rest parked; draining: parked deliveries being sent, new ones still parked. */
  circuit: "closed" | "open" | "draining";
  probeIntervalMs: number;
  nextProbeAt: number | null;
  /** The last attempt the endpoint accepted (2xx), seen by this dispatcher. */
  lastAcceptedAt: number | null;
  /** The last probe failed as a first attempt: the next is a delivery that has failed before, where there is one. */
  probeFailedBefore: boolean;
  /** While draining: parked deliveries released per second, doubling each second while attempts succeed. */
  drainPerSecond: number;
  drainStepAt: number;
};

/** What an attempt says about its endpoint. Errors that are not the endpoint's (a bad key, a refused address) are `neutral`. */
export type Verdict = { kind: "success" } | { kind: "failure"; reason: string; probe: boolean; firstAttempt: boolean; deadLettered: boolean } | { kind: "gone" } | { kind: "neutral" };

/** A change worth persisting; the first four are also told to the organization (notifications) and logged. */
export type HealthChange =
  | { kind: "failing"; reason: string }
  | { kind: "recovered" }
  | { kind: "disabled"; reason: "gone" | "failing-too-long" }
  | { kind: "circuit-opened"; reason: string }
  | { kind: "probe-failed" }
  | { kind: "circuit-draining" };

export function initialState(doc: Pick<WebhookDoc, "health" | "healthReason" | "failingSince" | "circuit">, settings: HealthSettings): EndpointState {
  return {
    health: doc.health,
    healthReason: doc.healthReason ?? null,
    failingSince: doc.failingSince ? doc.failingSince.getTime() : null,
    consecutiveFailures: 0,
    circuit: doc.circuit?.state ?? "closed",
    probeIntervalMs: doc.circuit?.probeIntervalMs ?? settings.probeIntervalMs,
    nextProbeAt: doc.circuit?.nextProbeAt ? doc.circuit.nextProbeAt.getTime() : null,
    lastAcceptedAt: null,
    probeFailedBefore: false,
    drainPerSecond: DRAIN_START_PER_SECOND,
    drainStepAt: 0,
  };
}

/**
 * Pure: the state after an attempt, and what changed. A webhook fails continuously from
 * its first failure to its next success; after DISABLE_AFTER of that it is disabled.
 */
export function afterAttempt(state: EndpointState, verdict: Verdict, now: number, settings: HealthSettings): { state: EndpointState; changes: HealthChange[] } {
  const next = { ...state };
  const changes: HealthChange[] = [];
  switch (verdict.kind) {
    case "neutral":
      return { state, changes };
    case "gone":
      next.health = "disabled";
      next.healthReason = "gone";
      next.circuit = "closed";
      next.nextProbeAt = null;
      return { state: next, changes: [{ kind: "disabled", reason: "gone" }] };
    case "success":
      next.consecutiveFailures = 0;
      next.failingSince = null;
      next.lastAcceptedAt = now;
      next.probeFailedBefore = false;
      next.probeIntervalMs = settings.probeIntervalMs;
      next.nextProbeAt = null;
      if (state.health !== "healthy") {
        next.health = "healthy";
        next.healthReason = null;
        changes.push({ kind: "recovered" });
      }
      if (state.circuit === "open") {
        next.circuit = "draining";
        next.drainPerSecond = DRAIN_START_PER_SECOND;
        next.drainStepAt = now;
        changes.push({ kind: "circuit-draining" });
      } else if (state.circuit === "draining" && now - state.drainStepAt >= DRAIN_STEP_MS) {
        next.drainPerSecond = Math.min(state.drainPerSecond * 2, DRAIN_MAX_PER_SECOND);
        next.drainStepAt = now;
      }
      return { state: next, changes };
    case "failure": {
      // While draining, parked deliveries go oldest first, and the oldest may be a long run of
      // first attempts: to an endpoint that refuses first attempts and accepts retries, they
      // would reopen the circuit again and again. Only a delivery that has failed before
      // failing again says the endpoint went back down.
      const counts = !(state.circuit === "draining" && verdict.firstAttempt);
      next.consecutiveFailures = state.consecutiveFailures + (counts ? 1 : 0);
      next.failingSince = state.failingSince ?? now;
      if (now - next.failingSince >= settings.disableAfterMs) {
        next.health = "disabled";
        next.healthReason = "failing-too-long";
        next.circuit = "closed";
        next.nextProbeAt = null;
        return { state: next, changes: [{ kind: "disabled", reason: "failing-too-long" }] };
      }
      const failing = (reason: string) => {
        if (next.health === "healthy") {
          next.health = "failing";
          next.healthReason = reason;
          changes.push({ kind: "failing", reason });
        }
      };
      if (state.circuit === "open") {
        if (verdict.probe) {
          next.probeIntervalMs = Math.min(state.probeIntervalMs * 2, MAX_PROBE_INTERVAL_MS);
          next.nextProbeAt = now + next.probeIntervalMs;
          // A first attempt failing says less about the endpoint than a retry failing again.
          next.probeFailedBefore = verdict.firstAttempt;
          changes.push({ kind: "probe-failed" });
        }
      } else if (next.consecutiveFailures >= settings.failureThreshold && !(state.lastAcceptedAt !== null && now - state.lastAcceptedAt < ALIVE_FOR_MS)) {
        const reason = `circuit open after ${next.consecutiveFailures} failed attempts in a row; last: ${verdict.reason}`;
        next.circuit = "open";
        next.probeFailedBefore = false;
        next.probeIntervalMs = settings.probeIntervalMs;
        next.nextProbeAt = now + settings.probeIntervalMs;
        changes.push({ kind: "circuit-opened", reason });
        failing(reason);
      }
      if (verdict.deadLettered) failing(`retries exhausted; last: ${verdict.reason}`);
      return { state: next, changes };
    }
  }
}

/** What to do with a job that reached its webhook (not a ping or redelivery: those are always sent). */
export function routeJob(state: EndpointState, now: number, probeInFlight: boolean): "send" | "probe" | "park" {
  if (state.circuit === "closed") return "send";
  if (state.circuit === "open" && !probeInFlight && state.nextProbeAt !== null && state.nextProbeAt <= now) return "probe";
  return "park";
}
