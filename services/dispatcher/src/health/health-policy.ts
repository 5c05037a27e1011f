import type { WebhookDoc, WebhookHealth } from "@agiletune/shared";

/** CONTRACT §8's settings: CIRCUIT_FAILURE_THRESHOLD, CIRCUIT_PROBE_INTERVAL, DISABLE_AFTER. */
export type HealthSettings = { failureThreshold: number; probeIntervalMs: number; disableAfterMs: number };

/** The probe interval doubles after each failed probe, up to this. */
export const MAX_PROBE_INTERVAL_MS = 10 * 60_000;

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
};

/** What an attempt says about its endpoint. Errors that are not the endpoint's (a bad key, a refused address) are `neutral`. */
export type Verdict = { kind: "success" } | { kind: "failure"; reason: string; probe: boolean; deadLettered: boolean } | { kind: "gone" } | { kind: "neutral" };

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
      next.probeIntervalMs = settings.probeIntervalMs;
      next.nextProbeAt = null;
      if (state.health !== "healthy") {
        next.health = "healthy";
        next.healthReason = null;
        changes.push({ kind: "recovered" });
      }
      if (state.circuit === "open") {
        next.circuit = "draining";
        changes.push({ kind: "circuit-draining" });
      }
      return { state: next, changes };
    case "failure": {
      next.consecutiveFailures = state.consecutiveFailures + 1;
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
          changes.push({ kind: "probe-failed" });
        }
      } else if (next.consecutiveFailures >= settings.failureThreshold) {
        const reason = `circuit open after ${next.consecutiveFailures} failed attempts in a row; last: ${verdict.reason}`;
        next.circuit = "open";
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
