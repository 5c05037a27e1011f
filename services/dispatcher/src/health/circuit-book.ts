import type { Clock, DeliveryJob, WebhookDoc } from "@agiletune/shared";
import type { AttemptResult } from "../attempt.js";
import { afterAttempt, DRAIN_MAX_PER_SECOND, initialState, routeJob, type EndpointState, type HealthChange, type HealthSettings, type Verdict } from "./health-policy.js";

/** How a request came to be sent: a job as it arrived, the circuit's probe, or a parked delivery drained. */
export type SendKind = "job" | "probe" | "drain";

/** Where the circuit sends a job: out now (as itself or as the circuit's probe), parked, or cancelled. */
export type Route = { kind: "send"; as: "job" | "probe" } | { kind: "park" } | { kind: "cancel"; reason: string };

/** What an attempt changed about its webhook's health: the HealthWriter makes it durable. */
export type HealthUpdate = { doc: WebhookDoc; state: EndpointState; changes: HealthChange[] };

/** One webhook's circuit as this dispatcher keeps it. */
export type Circuit = {
  state: EndpointState;
  /** When this dispatcher disabled it: a webhook document updated later (re-activated) starts afresh. */
  disabledAt: number | null;
  doc: WebhookDoc;
  probeInFlight: boolean;
  /** Moves on whenever the circuit stops draining: what a drain read ahead before then is stale. */
  drainGeneration: number;
};

const DISABLED = "the webhook was disabled";

/**
 * The circuits of the webhooks whose jobs this dispatcher owns (docs/endpoint-health.md), in memory:
 * where each job goes, and what each attempt says about its endpoint. No I/O: the
 * HealthWriter stores what changed, the ParkedDrainer probes and releases.
 */
export class CircuitBook {
  private readonly circuits = new Map<string, Circuit>();

  constructor(private readonly opts: { settings: HealthSettings; clock: Clock }) {}

  get openCircuits(): number {
    let n = 0;
    for (const c of this.circuits.values()) if (c.state.circuit !== "closed") n++;
    return n;
  }

  /** Webhooks with a circuit kept here, for the drainer's rounds. */
  entries(): IterableIterator<[string, Circuit]> {
    return this.circuits.entries();
  }

  get(webhookId: string): Circuit | undefined {
    return this.circuits.get(webhookId);
  }

  /**
   * Where a job goes. A webhook disabled a moment ago cancels it (the cached document may
   * not say so yet). Pings and redeliveries are never parked: a person asked for them.
   */
  route(job: DeliveryJob, doc: WebhookDoc): Route {
    const circuit = this.track(doc);
    if (circuit.state.health === "disabled") return { kind: "cancel", reason: DISABLED };
    if (isManual(job)) return { kind: "send", as: "job" };
    const route = routeJob(circuit.state, this.opts.clock.now(), circuit.probeInFlight);
    if (route === "park") return { kind: "park" };
    if (route === "probe") circuit.probeInFlight = true;
    return { kind: "send", as: route === "probe" ? "probe" : "job" };
  }

  /**
   * A request that waited for its endpoint's slot: still to go, unless the webhook was
   * disabled meanwhile, or (for a job as it arrived) its circuit opened meanwhile.
   */
  recheck(job: DeliveryJob, kind: SendKind): Route {
    const state = this.circuits.get(job.webhookId)?.state;
    if (state?.health === "disabled") return { kind: "cancel", reason: DISABLED };
    if (kind !== "job" || isManual(job) || !state || state.circuit === "closed") return { kind: "send", as: kind === "probe" ? "probe" : "job" };
    return { kind: "park" };
  }

  /**
   * The rate a request to this webhook may go at: its own limit, else while draining the
   * drain's rate (from 10/s, doubling each second while attempts succeed), else none.
   */
  rateOf(doc: WebhookDoc): number | null {
    if (doc.rateLimitPerSecond != null) return doc.rateLimitPerSecond;
    const state = this.circuits.get(doc._id)?.state;
    if (state?.circuit !== "draining" || state.drainPerSecond >= DRAIN_MAX_PER_SECOND) return null;
    return state.drainPerSecond;
  }

  /** Learns from an attempt; what changed, to be stored, or null when nothing did. */
  learn(result: AttemptResult, kind: SendKind): HealthUpdate | null {
    const circuit = this.track(result.webhook.doc);
    if (kind === "probe") circuit.probeInFlight = false;
    if (circuit.state.health === "disabled") return null;
    const now = this.opts.clock.now();
    const { state, changes } = afterAttempt(circuit.state, verdictOf(result, kind), now, this.opts.settings);
    circuit.state = state;
    // Reopened or disabled: what a drain read ahead may be sent otherwise meanwhile.
    if (state.circuit !== "draining") circuit.drainGeneration++;
    if (!changes.length) return null;
    if (state.health === "disabled") circuit.disabledAt = now;
    return { doc: circuit.doc, state, changes };
  }

  /** A probe that was not attempted after all (turned away, parked, or the partition moved). */
  notSent(job: DeliveryJob, kind: SendKind): void {
    const circuit = this.circuits.get(job.webhookId);
    if (circuit && kind === "probe") circuit.probeInFlight = false;
  }

  /** The drainer sends this webhook's probe now. */
  probing(webhookId: string): void {
    const circuit = this.circuits.get(webhookId);
    if (circuit) circuit.probeInFlight = true;
  }

  /** Every parked delivery was released: new jobs go out again. */
  closed(webhookId: string): void {
    const circuit = this.circuits.get(webhookId);
    if (circuit) circuit.state = { ...circuit.state, circuit: "closed" };
  }

  forget(webhookId: string): void {
    this.circuits.delete(webhookId);
  }

  /**
   * A new assignment: webhooks now elsewhere are forgotten, and so are the open circuits
   * kept here, which the database knows better (the last owner's may be newer): `pickUp`
   * then takes them from there.
   */
  keepOnly(owns: (webhookId: string) => boolean): void {
    for (const [id, circuit] of this.circuits) if (!owns(id) || circuit.state.circuit !== "closed") this.circuits.delete(id);
  }

  /** Takes on open circuits as stored, so their parked deliveries are probed and released here. */
  pickUp(docs: WebhookDoc[]): void {
    for (const doc of docs) if (!this.circuits.has(doc._id)) this.track(doc);
  }

  private track(doc: WebhookDoc): Circuit {
    const circuit = this.circuits.get(doc._id);
    if (!circuit) {
      const fresh: Circuit = { state: initialState(doc, this.opts.settings), disabledAt: null, doc, probeInFlight: false, drainGeneration: 0 };
      this.circuits.set(doc._id, fresh);
      return fresh;
    }
    if (circuit.disabledAt !== null && doc.updatedAt.getTime() > circuit.disabledAt) {
      // Changed since we disabled it (re-activated through the API): healthy, circuit closed.
      this.circuits.delete(doc._id);
      return this.track(doc);
    }
    circuit.doc = doc;
    return circuit;
  }
}

function isManual(job: DeliveryJob): boolean {
  return job.source === "ping" || job.source === "redeliver";
}

/** What an attempt says about its endpoint. */
function verdictOf(result: AttemptResult, kind: SendKind): Verdict {
  const { http, outcome } = result;
  if (outcome.kind === "gone") return { kind: "gone" };
  if (!http.error) return { kind: "success" };
  const deadLettered = outcome.kind === "dead-letter";
  // Not the endpoint's doing (a key we cannot open, an address we refuse): no circuit, but a dead letter still makes it failing.
  if (!http.error.retriable && !deadLettered) return { kind: "neutral" };
  return { kind: "failure", reason: `${http.error.code}: ${http.error.message}`, probe: kind === "probe", firstAttempt: result.job.attempt === 0, deadLettered };
}
