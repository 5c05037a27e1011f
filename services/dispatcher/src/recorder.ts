import {
  beginWaitSpan,
  describeFailure,
  encodeDeliveryJob,
  isRetryable,
  retryUntil,
  tracingOn,
  type AttemptRecord,
  type BatchingProducer,
  type Clock,
  type DeliveryJob,
  type DeliveryLogWriter,
  type Logger,
  type StatusChange,
  type TopicNames,
} from "@agiletune/shared";
import { retryAfterHeader, type AttemptResult } from "./attempt.js";
import { statusChangeAfter } from "./delivery-outcome.js";
import type { HealthUpdate } from "./health/circuit-book.js";
import type { HealthWriter } from "./health/health-writer.js";
import type { DispatcherMetrics } from "./metrics.js";
import type { AttemptCounter } from "./stats-book.js";

export type RecorderOptions = {
  deliveryLog: DeliveryLogWriter;
  producer: BatchingProducer;
  health: HealthWriter;
  topics: TopicNames;
  retryDelaysMs: readonly number[];
  metrics: DispatcherMetrics;
  /** Endpoint statistics: told of every attempt, written apart in batches (stats-book.ts). */
  stats: AttemptCounter;
  logger: Logger;
  clock: Clock;
  /** Aborted when shutdown gives up waiting: unfinished recordings stop retrying and are redelivered after restart. */
  abandoned: AbortSignal;
};

const WRITTEN = { ok: true } as const;

/** Durable writes start retrying sooner than an outage's other waits: each holds a job's offset. */
const DURABLE_WRITE_RETRY = { initialDelayMs: 100, maxDelayMs: 5_000 };

/**
 * Makes what follows a job durable: the retry or dead-letter job produced, the attempt
 * logged, the webhook's health change written. Each method resolves only once that is so, which is
 * when the job's offset may be committed; until then a failed write is retried.
 */
export class Recorder {
  private readonly log: Logger;

  constructor(private readonly opts: RecorderOptions) {
    this.log = opts.logger.child({ component: "recorder" });
  }

  /**
   * Produce what follows first, then the log: a crash in between repeats, never loses.
   * Then what the attempt changed about the webhook's health is written.
   */
  async record({ result, healthUpdate }: { result: AttemptResult; healthUpdate: HealthUpdate | null }): Promise<void> {
    const { job, outcome, http } = result;
    const { metrics } = this.opts;
    metrics.attemptSeconds.observe({ result: http.error ? "failure" : "success" }, http.durationMs / 1000);
    if (outcome.kind === "succeeded") metrics.endToEndSeconds.observe((this.opts.clock.now() - job.enqueuedAt) / 1000);
    metrics.deliveries.inc({ outcome: outcome.kind === "dead-letter" ? "dead_lettered" : outcome.kind === "retry" ? "retrying" : outcome.kind.replace("-", "_") });
    // Counted as made, like the receiver counts it: an attempt repeated after a crash counts again.
    this.opts.stats.count(result);
    this.log.debug({ deliveryId: job.deliveryId, webhookId: job.webhookId, attempt: job.attempt, status: http.status, outcome: outcome.kind }, "attempt done");
    // Most attempts succeed and produce nothing to follow.
    const followUp = outcome.kind === "retry" || outcome.kind === "dead-letter" ? await this.durably("retry or dead letter", () => this.produceFollowUp(result), job) : WRITTEN;
    // A job the broker will never take can never be retried: its delivery ends failed,
    // saying why, instead of holding the partition.
    const statusChange: StatusChange | null = followUp.ok
      ? statusChangeAfter(outcome, job.source)
      : { status: "failed", nextAttemptAt: null, statusReason: `the ${outcome.kind === "retry" ? "retry" : "dead letter"} could not be produced: ${describeFailure(followUp.error)}` };
    await this.durably("attempt log", () => this.logAttempt(result, { statusChange, deadLettered: followUp.ok && outcome.kind === "dead-letter" }), job);
    if (healthUpdate) await this.durably("health change", () => this.opts.health.write(healthUpdate), job);
  }

  /** Held while the webhook's circuit is open: parked in the log, which is what keeps it (docs/endpoint-health.md). */
  async park(job: DeliveryJob): Promise<void> {
    this.opts.metrics.deliveries.inc({ outcome: "parked" });
    this.opts.metrics.parked.inc({ event: "parked" });
    // Traced, the parking is a span, and the attempt its release makes is that span's child.
    const parking = tracingOn() ? beginWaitSpan(job, { name: "webhook park" }) : { job, end: () => {} };
    await this.durably("park", () => this.opts.deliveryLog.park(parking.job, "the endpoint's circuit is open: held until a probe succeeds, then sent oldest first"), job);
    parking.end();
  }

  /** The job is not attempted (its webhook is gone or inactive). */
  async cancel(job: DeliveryJob, reason: string): Promise<void> {
    this.opts.metrics.deliveries.inc({ outcome: "cancelled" });
    await this.durably("cancel", () => this.opts.deliveryLog.cancel(job, reason), job);
  }

  /** A busy endpoint's overflow is deferred to the first retry tier instead of filling shared capacity (see ConcurrencyGate). */
  async defer(job: DeliveryJob): Promise<void> {
    this.opts.metrics.deliveries.inc({ outcome: "deferred" });
    const dueAt = this.opts.clock.now() + this.opts.retryDelaysMs[0]!;
    await this.durably("defer log", () => this.opts.deliveryLog.noteWaiting(job, new Date(dueAt), "endpoint busy: deferred to the first retry tier"), job);
    await this.durably("defer", () => this.opts.producer.send(this.opts.topics.retries[0]!, { key: job.webhookId, value: encodeDeliveryJob({ ...job, dueAt }) }), job);
  }

  private async produceFollowUp({ job, outcome }: AttemptResult): Promise<void> {
    const { producer, topics } = this.opts;
    if (outcome.kind === "retry") await producer.send(topics.retries[outcome.tier]!, { key: job.webhookId, value: encodeDeliveryJob({ ...job, attempt: outcome.retry, dueAt: outcome.dueAt }) });
    else if (outcome.kind === "dead-letter") await producer.send(topics.deadLetters, { key: job.webhookId, value: encodeDeliveryJob(job), headers: { "x-error": outcome.reason } });
  }

  private async logAttempt(
    { job, attemptId, startedAt, request, http, outcome }: AttemptResult,
    { statusChange, deadLettered }: { statusChange: StatusChange | null; deadLettered: boolean },
  ): Promise<void> {
    const { deliveryLog } = this.opts;
    const record: AttemptRecord = {
      attempt: job.attempt,
      source: job.source,
      startedAt: new Date(startedAt),
      durationMs: http.durationMs,
      outcome: http.error ? "failed" : "succeeded",
      request,
      response: http.status === null ? null : { status: http.status, headers: http.headers, body: http.body, bodyTruncated: http.bodyTruncated },
      error: http.error ? { code: http.error.code, message: http.error.message } : null,
      retryAfter: retryAfterHeader(http) ?? null,
    };
    await Promise.all([
      deliveryLog.recordAttempt(job, { id: attemptId, record }, statusChange),
      ...(deadLettered && outcome.kind === "dead-letter" ? [deliveryLog.recordDeadLetter(job, outcome.reason)] : []),
    ]);
  }

  /**
   * Repeats a durable write through an outage: losing it would lose the delivery's fate.
   * A write that can never succeed (a record the broker refuses, a document the database
   * refuses) is logged and answered `ok: false`, so the job's offset moves on.
   */
  private async durably(what: string, write: () => Promise<void>, job: DeliveryJob): Promise<{ ok: true } | { ok: false; error: unknown }> {
    const { abandoned } = this.opts;
    const written = await retryUntil(write, {
      ...DURABLE_WRITE_RETRY,
      isRetryable,
      clock: this.opts.clock,
      giveUp: () => abandoned.aborted,
      // Its offset stays uncommitted meanwhile, so the job is redelivered after a restart.
      onFailure: (err) => this.log.error({ err, what, webhookId: job.webhookId, deliveryId: job.deliveryId }, "durable write failed; retrying"),
    });
    if (written.ok) return written;
    if (written.retryable) throw written.error;
    this.opts.metrics.deliveries.inc({ outcome: "set_aside" });
    this.log.error({ err: written.error, what, webhookId: job.webhookId, deliveryId: job.deliveryId, reason: describeFailure(written.error) }, "write refused for good; set aside");
    return written;
  }
}
