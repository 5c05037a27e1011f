import { oldestParked, webhooksCollection, type BatchingProducer, type DeliveryJob, type DeliveryLogWriter, type Logger, type TopicNames, type WebhookDoc } from "@agiletune/shared";
import { Partitioners, type Kafka, type PartitionMetadata } from "kafkajs";
import type { Db } from "mongodb";
import type { AttemptResult } from "./attempt.js";
import { afterAttempt, initialState, routeJob, type EndpointState, type HealthChange, type HealthSettings, type Verdict } from "./health-policy.js";
import type { DispatcherMetrics } from "./metrics.js";

/** Parked deliveries sent per second while a circuit drains, for a webhook with no rate limit (CONTRACT §8). */
const DRAIN_RATE_PER_SECOND = 10;
/** Parked deliveries read at once while draining, at most, and at most this many bytes of event data. */
const READ_AHEAD_JOBS = 1_000;
const READ_AHEAD_BYTES = 8 * 1024 * 1024;
/** After a circuit closes, parked stragglers (parked while it was closing) are looked for this long. */
const STRAGGLER_SWEEP_MS = 5_000;
const GONE_REASON = "the endpoint answered 410 Gone: the webhook was deactivated";

type Owned = {
  state: EndpointState;
  /** When this dispatcher disabled it: a webhook document updated later (re-activated) starts afresh. */
  disabledAt: number | null;
  doc: WebhookDoc;
  probeInFlight: boolean;
  /** Parked deliveries handed to the dispatcher and not yet recorded. */
  releasing: Set<string>;
  /** Parked deliveries read and not yet released, oldest first (see `drain`). */
  buffered: DeliveryJob[];
  sweepUntil: number;
};

type ReleaseKind = "probe" | "drain";
/** Sends parked deliveries of one webhook, oldest first, in this order. */
export type Release = (jobs: DeliveryJob[], kind: ReleaseKind) => void;
/** How a request came to be sent: a job as it arrived, the circuit's probe, or a parked delivery released. */
export type SendKind = ReleaseKind | "job";

export type HealthKeeperOptions = {
  db: Db;
  kafka: Kafka;
  deliveriesTopic: string;
  deliveryLog: DeliveryLogWriter;
  producer: BatchingProducer;
  topics: TopicNames;
  settings: HealthSettings;
  metrics: DispatcherMetrics;
  logger: Logger;
  now: () => number;
  /**
   * Released deliveries sent and not yet recorded, across all webhooks, at most. A
   * recovering endpoint's backlog then takes a share of the dispatcher that shrinks as the
   * dispatcher gets busier (each one holds its place until its log write is acknowledged),
   * so it never starves other webhooks' fresh traffic.
   */
  maxReleasing: number;
};

/**
 * Each webhook's health and circuit (CONTRACT §8), kept by the dispatcher that owns the
 * webhook's partition of the deliveries topic (jobs are keyed by webhook id): which jobs
 * go out, which are parked, when a probe goes, and the release of parked deliveries once
 * a probe succeeds. Changes are written to the webhook, logged once and produced to the
 * notifications topic once each.
 */
export class HealthKeeper {
  private readonly owned = new Map<string, Owned>();
  private readonly log: Logger;
  private readonly partitionOf = Partitioners.DefaultPartitioner();
  private assigned = new Set<number>();
  /** The deliveries topic's partitions, as the partitioner wants them; empty until known. */
  private partitionMetadata: PartitionMetadata[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** A tick still running: the next waits, or two would release the same parked deliveries. */
  private ticking = false;
  private release: Release | null = null;

  constructor(private readonly opts: HealthKeeperOptions) {
    this.log = opts.logger.child({ component: "health" });
  }

  get openCircuits(): number {
    let n = 0;
    for (const o of this.owned.values()) if (o.state.circuit !== "closed") n++;
    return n;
  }

  /** Whether this dispatcher owns the webhook's jobs now (its partition is assigned here). */
  owns(webhookId: string): boolean {
    // Not known yet (metadata unreadable): assume so rather than stall; the cost is a rare duplicate.
    if (this.partitionMetadata.length === 0) return true;
    return this.assigned.has(this.partitionOf({ topic: this.opts.deliveriesTopic, partitionMetadata: this.partitionMetadata, message: { key: webhookId, value: null } }));
  }

  /**
   * A new assignment: webhooks now elsewhere are forgotten, and open circuits of the
   * webhooks now here are picked up from the database, so their parked deliveries are
   * probed and released by their new owner.
   */
  async onAssignment(partitions: number[]): Promise<void> {
    const admin = this.opts.kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [this.opts.deliveriesTopic] });
      this.partitionMetadata = topics[0]?.partitions ?? [];
    } finally {
      await admin.disconnect();
    }
    this.assigned = new Set(partitions);
    for (const id of this.owned.keys()) if (!this.owns(id)) this.owned.delete(id);
    // Known again from the database below: what this process held may be older than the last owner's.
    for (const [id, owned] of this.owned) if (owned.state.circuit !== "closed") this.owned.delete(id);
    const open = await webhooksCollection(this.opts.db)
      .find({ active: true, "circuit.state": { $in: ["open", "draining"] } })
      .toArray();
    for (const doc of open) if (this.owns(doc._id) && !this.owned.has(doc._id)) this.track(doc);
    this.log.info({ partitions, openCircuits: this.openCircuits }, "endpoint health picked up for the assignment");
  }

  /** Starts probing and releasing parked deliveries through `release`. */
  start(release: Release): void {
    this.release = release;
    this.timer = setInterval(() => {
      if (this.ticking) return;
      this.ticking = true;
      void this.tick().finally(() => (this.ticking = false));
    }, 250);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Where a job goes: out now, out as the circuit's probe, parked, or cancelled (the
   * webhook was disabled a moment ago; the cached document may not say so yet). Pings and
   * redeliveries are never parked.
   */
  route(job: DeliveryJob, doc: WebhookDoc): "send" | "probe" | "park" | "cancel" {
    const owned = this.track(doc);
    if (owned.state.health === "disabled") return "cancel";
    if (job.source === "ping" || job.source === "redeliver") return "send";
    const route = routeJob(owned.state, this.opts.now(), owned.probeInFlight);
    if (route === "probe") owned.probeInFlight = true;
    return route;
  }

  /**
   * A request that waited for its endpoint's slot: still to go, unless the webhook was
   * disabled meanwhile, or (for a job as it arrived) its circuit opened meanwhile.
   */
  stillSendable(job: DeliveryJob, kind: SendKind): "send" | "park" | "cancel" {
    const state = this.owned.get(job.webhookId)?.state;
    if (state?.health === "disabled") return "cancel";
    if (kind !== "job" || job.source === "ping" || job.source === "redeliver" || !state || state.circuit === "closed") return "send";
    return "park";
  }

  /** The rate a request to this webhook may go at: its own limit, else the drain rate while draining, else none. */
  rateOf(doc: WebhookDoc): number | null {
    const draining = this.owned.get(doc._id)?.state.circuit === "draining";
    return doc.rateLimitPerSecond ?? (draining ? DRAIN_RATE_PER_SECOND : null);
  }

  /**
   * Learns from an attempt once it is recorded. Returns what writes, logs and tells the
   * change (safe to repeat), or null when nothing changed.
   */
  learn(result: AttemptResult, kind: SendKind): (() => Promise<void>) | null {
    const owned = this.track(result.webhook.doc);
    if (kind === "probe") {
      owned.probeInFlight = false;
      this.opts.metrics.probes.inc({ result: result.http.error ? "failure" : "success" });
    }
    if (owned.state.health === "disabled") return null;
    const { state, changes } = afterAttempt(owned.state, verdictOf(result, kind === "probe"), this.opts.now(), this.opts.settings);
    owned.state = state;
    // Read ahead for a drain only: reopened or disabled, what it read may be sent otherwise meanwhile.
    if (state.circuit !== "draining") owned.buffered = [];
    if (!changes.length) return null;
    if (state.health === "disabled") owned.disabledAt = this.opts.now();
    const snapshot = { ...owned, state };
    return () => this.apply(snapshot, changes);
  }

  /** A probe that was not attempted after all (turned away, parked, or the partition moved). */
  notSent(job: DeliveryJob, kind: SendKind): void {
    const owned = this.owned.get(job.webhookId);
    if (owned && kind === "probe") owned.probeInFlight = false;
  }

  /**
   * A released delivery is settled: recorded (its entry now newer than its parking) or left
   * parked. Until then it is not released again, which would send it twice.
   */
  releaseSettled(job: DeliveryJob): void {
    this.owned.get(job.webhookId)?.releasing.delete(job.deliveryId);
  }

  private track(doc: WebhookDoc): Owned {
    let owned = this.owned.get(doc._id);
    if (!owned) {
      owned = { state: initialState(doc, this.opts.settings), disabledAt: null, doc, probeInFlight: false, releasing: new Set(), buffered: [], sweepUntil: 0 };
      this.owned.set(doc._id, owned);
    } else if (owned.disabledAt !== null && doc.updatedAt.getTime() > owned.disabledAt) {
      // Changed since we disabled it (re-activated through the API): healthy, circuit closed.
      this.owned.delete(doc._id);
      return this.track(doc);
    } else owned.doc = doc;
    return owned;
  }

  private async apply(owned: Owned, changes: HealthChange[]): Promise<void> {
    const { doc, state } = owned;
    const at = new Date(this.opts.now());
    const disabled = changes.find((c) => c.kind === "disabled");
    const circuit =
      state.circuit === "closed" ? null : { state: state.circuit, openedAt: at, nextProbeAt: state.nextProbeAt === null ? null : new Date(state.nextProbeAt), probeIntervalMs: state.probeIntervalMs };
    // Its waiting deliveries are ended before the webhook says disabled: a crash in between
    // leaves it active, and the next owner, meeting the same failure, disables it again;
    // the other way round, its parked deliveries would stay parked for good.
    if (disabled?.kind === "disabled") {
      if (disabled.reason === "gone") await this.opts.deliveryLog.cancelWaiting(doc._id, GONE_REASON);
      else await this.opts.deliveryLog.failParked(doc._id, "the webhook failed for longer than DISABLE_AFTER and was disabled; recover them once it is fixed");
    }
    await webhooksCollection(this.opts.db).updateOne(
      { _id: doc._id },
      {
        $set: {
          health: state.health,
          healthReason: state.healthReason,
          failingSince: state.failingSince === null ? null : new Date(state.failingSince),
          circuit,
          updatedAt: at,
          ...(disabled && { active: false }),
        },
      },
    );
    for (const change of changes)
      this.log.info(
        { webhookId: doc._id, organizationId: doc.organizationId, change: change.kind, ...("reason" in change && { reason: change.reason }), health: state.health },
        "webhook health changed",
      );
    for (const change of changes) {
      if (change.kind !== "failing" && change.kind !== "recovered" && change.kind !== "disabled") continue;
      const type = `webhook.${change.kind}`;
      const reason = change.kind === "recovered" ? "a delivery succeeded" : change.reason;
      const notification = { type, organizationId: doc.organizationId, webhookId: doc._id, url: doc.url, at: at.toISOString(), reason };
      await this.opts.producer.send(this.opts.topics.notifications, { key: doc.organizationId, value: JSON.stringify(notification) });
      this.opts.metrics.notifications.inc({ type });
    }
  }

  /** Probes open circuits that are due, and releases the parked deliveries of draining ones. */
  private async tick(): Promise<void> {
    const release = this.release;
    if (!release) return;
    const now = this.opts.now();
    for (const [id, owned] of this.owned) {
      try {
        const { state } = owned;
        if (state.circuit === "open" && !owned.probeInFlight && state.nextProbeAt !== null && state.nextProbeAt <= now) {
          const [job] = await this.oldestParked(id, 1, []);
          if (job && owned.state.circuit === "open" && !owned.probeInFlight) {
            owned.probeInFlight = true;
            owned.releasing.add(job.deliveryId);
            this.opts.metrics.parked.inc({ event: "released" });
            release([job], "probe");
          }
        } else if (state.circuit === "draining" || owned.sweepUntil > now) {
          await this.drain(id, owned, release);
        } else if (state.circuit === "closed" && state.consecutiveFailures === 0 && state.health === "healthy") {
          this.owned.delete(id);
        }
      } catch (err) {
        this.log.warn({ err, webhookId: id }, "releasing parked deliveries failed; will try again");
      }
    }
  }

  /** A webhook's oldest parked deliveries; stale parked documents go through the writer, after parkings it has queued (see `dropStaleParked`). */
  private oldestParked(webhookId: string, limit: number, exclude: string[]): Promise<DeliveryJob[]> {
    return oldestParked(this.opts.db, webhookId, limit, exclude, (stale) => this.opts.deliveryLog.dropStaleParked(stale));
  }

  private async drain(id: string, owned: Owned, release: Release): Promise<void> {
    // About a second's worth at a time: the rate limiter paces them, this only bounds what waits.
    let releasingInAll = 0;
    for (const o of this.owned.values()) releasingInAll += o.releasing.size;
    const room = Math.min(Math.max(1, (this.rateOf(owned.doc) ?? DRAIN_RATE_PER_SECOND) - owned.releasing.size), this.opts.maxReleasing - releasingInAll);
    if (room <= 0 || owned.releasing.size >= room) return;
    // Read ahead: on FerretDB each read of a webhook's oldest parked deliveries reads all of
    // them (it sorts in memory), so one read a second at 10/s costs as much as one per page of 1000.
    if (owned.buffered.length === 0) owned.buffered = withinBytes(await this.oldestParked(id, Math.max(room, READ_AHEAD_JOBS), [...owned.releasing]), READ_AHEAD_BYTES);
    const jobs = owned.buffered.splice(0, room);
    for (const job of jobs) owned.releasing.add(job.deliveryId);
    this.opts.metrics.parked.inc({ event: "released" }, jobs.length);
    if (jobs.length) release(jobs, "drain");
    if (jobs.length === 0 && owned.releasing.size === 0 && owned.state.circuit === "draining") {
      // Drained: new traffic flows as before. Jobs parked while this was decided are picked up by the sweep.
      owned.state = { ...owned.state, circuit: "closed" };
      owned.sweepUntil = this.opts.now() + STRAGGLER_SWEEP_MS;
      await webhooksCollection(this.opts.db).updateOne({ _id: id }, { $set: { circuit: null, updatedAt: new Date(this.opts.now()) } });
      this.log.info({ webhookId: id }, "circuit closed: parked deliveries released");
    }
  }
}

/** What an attempt says about its endpoint. */
function verdictOf(result: AttemptResult, probe: boolean): Verdict {
  const { http, outcome } = result;
  if (outcome.kind === "gone") return { kind: "gone" };
  if (!http.error) return { kind: "success" };
  const deadLettered = outcome.kind === "dead-letter";
  // Not the endpoint's doing (a key we cannot open, an address we refuse): no circuit, but a dead letter still makes it failing.
  if (!http.error.retriable && !deadLettered) return { kind: "neutral" };
  return { kind: "failure", reason: `${http.error.code}: ${http.error.message}`, probe, deadLettered };
}

/** The first jobs whose data together stay within `maxBytes` (always at least one). */
function withinBytes(jobs: DeliveryJob[], maxBytes: number): DeliveryJob[] {
  let bytes = 0;
  const kept: DeliveryJob[] = [];
  for (const job of jobs) {
    bytes += JSON.stringify(job.data).length;
    if (kept.length > 0 && bytes > maxBytes) break;
    kept.push(job);
  }
  return kept;
}
