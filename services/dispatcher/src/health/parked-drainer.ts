import { oldestParked, type Clock, type DeliveryJob, type DeliveryLogWriter, type Logger } from "@agiletune/shared";
import type { Db } from "mongodb";
import type { DispatcherMetrics } from "../metrics.js";
import type { CircuitBook } from "./circuit-book.js";
import { DRAIN_MAX_PER_SECOND, type EndpointState } from "./health-policy.js";
import type { HealthWriter } from "./health-writer.js";

/** Parked deliveries read at once while draining, at most, and at most this many bytes of event data. */
const READ_AHEAD_JOBS = 1_000;
const READ_AHEAD_BYTES = 8 * 1024 * 1024;
/** After a circuit closes, parked stragglers (parked while it was closing) are looked for this long. */
const STRAGGLER_SWEEP_MS = 5_000;
const ROUND_EVERY_MS = 250;

/** Sends one parked delivery again; settles once it is recorded, or left parked. */
type ReleaseParked = (job: DeliveryJob, as: "probe" | "drain") => Promise<void>;

export type ParkedDrainerOptions = {
  book: CircuitBook;
  writer: HealthWriter;
  db: Db;
  deliveryLog: DeliveryLogWriter;
  metrics: DispatcherMetrics;
  logger: Logger;
  clock: Clock;
  release: ReleaseParked;
  /**
   * Released deliveries sent and not yet recorded, across all webhooks, at most. A
   * recovering endpoint's backlog then takes a share of the dispatcher that shrinks as the
   * dispatcher gets busier (each one holds its place until its log write is acknowledged),
   * so it never starves other webhooks' fresh traffic.
   */
  maxReleasing: number;
};

type Draining = {
  /** Released and not yet settled: not released again, which would send them twice. */
  releasing: Set<string>;
  /** Read and not yet released, oldest first, for the circuit's `drainGeneration`. */
  buffered: DeliveryJob[];
  bufferedGeneration: number;
  sweepUntil: number;
};

/**
 * Probes open circuits when due, and once a probe succeeded releases the webhook's parked
 * deliveries oldest first, at its rate limit (or from 10/s, doubling each second while
 * attempts succeed), then closes the circuit.
 */
export class ParkedDrainer {
  private readonly log: Logger;
  private readonly draining = new Map<string, Draining>();
  private stopTimer: (() => void) | null = null;
  /** A round still running: the next waits, or two would release the same parked deliveries. */
  private inRound = false;

  constructor(private readonly opts: ParkedDrainerOptions) {
    this.log = opts.logger.child({ component: "health" });
  }

  start(): void {
    this.stopTimer = this.opts.clock.every(ROUND_EVERY_MS, () => {
      if (this.inRound) return;
      this.inRound = true;
      void this.round().finally(() => (this.inRound = false));
    });
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = null;
  }

  private async round(): Promise<void> {
    const now = this.opts.clock.now();
    for (const [id, circuit] of this.opts.book.entries()) {
      try {
        const { state } = circuit;
        const draining = this.drainingOf(id);
        if (state.circuit === "open" && !circuit.probeInFlight && state.nextProbeAt !== null && state.nextProbeAt <= now) {
          const job = await this.nextProbe(id, circuit.state);
          if (job && circuit.state.circuit === "open" && !circuit.probeInFlight) {
            this.opts.book.probing(id);
            this.send(job, "probe", draining);
          }
        } else if (state.circuit === "draining" || draining.sweepUntil > now) {
          await this.drain(id, draining);
        } else if (state.circuit === "closed" && state.consecutiveFailures === 0 && state.health === "healthy") {
          this.opts.book.forget(id);
          this.draining.delete(id);
        }
      } catch (err) {
        this.log.warn({ err, webhookId: id }, "releasing parked deliveries failed; will try again");
      }
    }
    for (const id of this.draining.keys()) if (!this.opts.book.get(id)) this.draining.delete(id);
  }

  private drainingOf(id: string): Draining {
    let draining = this.draining.get(id);
    if (!draining) this.draining.set(id, (draining = { releasing: new Set(), buffered: [], bufferedGeneration: 0, sweepUntil: 0 }));
    return draining;
  }

  private send(job: DeliveryJob, as: "probe" | "drain", draining: Draining): void {
    draining.releasing.add(job.deliveryId);
    this.opts.metrics.parked.inc({ event: "released" });
    this.opts
      .release(job, as)
      .catch((err: unknown) => this.log.warn({ err, webhookId: job.webhookId, deliveryId: job.deliveryId }, "releasing a parked delivery failed; it stays parked"))
      .finally(() => draining.releasing.delete(job.deliveryId));
  }

  /** The oldest parked delivery, or after a first attempt failed as the probe the oldest that has failed before, where there is one. */
  private async nextProbe(webhookId: string, { probeFailedBefore }: EndpointState): Promise<DeliveryJob | undefined> {
    const [failedBefore] = probeFailedBefore ? await this.oldestParked({ webhookId, limit: 1, failedBefore: true }) : [];
    return failedBefore ?? (await this.oldestParked({ webhookId, limit: 1 }))[0];
  }

  /** A webhook's oldest parked deliveries; stale parked documents go through the writer, after parkings it has queued. */
  private oldestParked(query: { webhookId: string; limit: number; exclude?: string[]; failedBefore?: boolean }): Promise<DeliveryJob[]> {
    return oldestParked(this.opts.db, { ...query, drop: (stale) => this.opts.deliveryLog.dropStaleParked(stale) });
  }

  private async drain(id: string, draining: Draining): Promise<void> {
    const circuit = this.opts.book.get(id)!;
    // About a second's worth at a time: the rate limiter paces them, this only bounds what waits.
    let releasingInAll = 0;
    for (const d of this.draining.values()) releasingInAll += d.releasing.size;
    const rate = this.opts.book.rateOf(circuit.doc) ?? DRAIN_MAX_PER_SECOND;
    const room = Math.min(Math.max(1, rate - draining.releasing.size), this.opts.maxReleasing - releasingInAll);
    if (room <= 0 || draining.releasing.size >= room) return;
    if (draining.bufferedGeneration !== circuit.drainGeneration) draining.buffered = [];
    // Read ahead: on FerretDB each read of a webhook's oldest parked deliveries reads all of
    // them (it sorts in memory), so one read a second at 10/s costs as much as one per page of 1000.
    if (draining.buffered.length === 0) {
      draining.buffered = withinBytes(await this.oldestParked({ webhookId: id, limit: Math.max(room, READ_AHEAD_JOBS), exclude: [...draining.releasing] }), READ_AHEAD_BYTES);
      draining.bufferedGeneration = circuit.drainGeneration;
    }
    const jobs = draining.buffered.splice(0, room);
    for (const job of jobs) this.send(job, "drain", draining);
    if (jobs.length === 0 && draining.releasing.size === 0 && circuit.state.circuit === "draining") {
      // Drained: new traffic flows as before. Jobs parked while this was decided are picked up by the sweep.
      this.opts.book.closed(id);
      draining.sweepUntil = this.opts.clock.now() + STRAGGLER_SWEEP_MS;
      await this.opts.writer.circuitClosed(id);
    }
  }
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
