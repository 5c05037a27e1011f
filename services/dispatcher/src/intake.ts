import { decodeDeliveryJob, OUTAGE_RETRY, retryUntil, type DeliveryJob, type Logger } from "@agiletune/shared";
import type { Consumer, EachBatchPayload } from "kafkajs";
import type { InFlightBudget } from "./in-flight-budget.js";
import { InFlightWindow, type Taking } from "./in-flight-window.js";
import type { DispatcherMetrics } from "./metrics.js";

/** How long taking jobs may hold the event loop before letting I/O (responses, log writes) run. */
const MAX_INTAKE_SLICE_MS = 10;

/** A job taken from Kafka, and what its holder may do with its place in the partition. */
export type JobLease = {
  readonly job: DeliveryJob;
  /** Its serialized size, counted against DISPATCH_MAX_IN_FLIGHT_BYTES until it finishes. */
  readonly bytes: number;
  /** Keeps the group membership while its holder waits (a database outage). */
  heartbeat(): Promise<void>;
  /** The batch it came in has ended (shutting down, or the partition is gone): stop waiting for it. */
  batchEnded(): boolean;
  /**
   * Whether it may be sent now: false from the start of a rebalance, which may give its
   * partition to another member. That member reads it again from the committed offset, so
   * sending it here too could be a duplicate (and could pass the rate limit).
   */
  stillOwned(): boolean;
  /** It holds its place (in its endpoint's queue, or its fate is decided): intake takes the next job. */
  handedOn(): void;
  /** Its effects are durable: the commit may pass its offset. */
  finish(): void;
  /** Not sent after all: left uncommitted, and taken again when read again (by whichever member owns it then). */
  handBack(): void;
};

export type IntakeOptions = {
  consumer: Consumer;
  topic: string;
  logger: Logger;
  metrics: DispatcherMetrics;
  /** Jobs taken and not finished, by count and bytes: intake waits while it is full. */
  budget: InFlightBudget;
  /** null when another job may be taken now; otherwise resolves when something was freed. */
  untilRoom: () => Promise<void> | null;
  /** Readies what delivering a batch's jobs needs (webhooks cached). Retried while it fails. */
  prefetch: (jobs: DeliveryJob[]) => Promise<void>;
  /** Delivers one job: it finishes or hands back its lease. */
  deliver: (lease: JobLease) => Promise<void>;
  /** Told of each new assignment (this topic's partitions); no job is taken until it has resolved. */
  onAssignment: (partitions: number[]) => Promise<void>;
};

export type Intake = {
  /** Stops fetching, waits up to `graceMs` for the jobs taken, commits what finished. Resolves true if everything finished. */
  stop: (graceMs: number) => Promise<boolean>;
};

/**
 * Takes jobs from the deliveries topic, many partitions at once, and commits each
 * partition's offset only up to its lowest unfinished job (InFlightWindow): a job's
 * effects are durable before any commit passes it.
 */
export async function startIntake(opts: IntakeOptions): Promise<Intake> {
  const { consumer, topic } = opts;
  const log = opts.logger.child({ component: "intake" });
  // One window per partition this member owns. A rebalance keeps the windows of the
  // partitions it leaves here; completions in the windows of the others no longer move
  // any commit.
  let windows = new Map<number, InFlightWindow>();
  /** From the start of a rebalance until the new assignment: no job is claimed. */
  let revoking = false;
  let stopping = false;
  /** Set when shutdown gives up waiting: unfinished jobs stay uncommitted, for a redelivery. */
  let abandoned = false;

  let assignmentHandled: Promise<void> = Promise.resolve();
  // A rebalance may take any partition away, so from its start jobs taken and not yet sent
  // are handed back, not only once this member has joined again: until then a busy process
  // would keep sending while the next owner, assigned at the same moment, already counts
  // its rate-limit window, and the two together pass the limit. kafkajs emits this before rejoining, so before any other member can be given
  // these partitions. What finished meanwhile is still committed (the group accepts the old
  // generation's commits until every member has rejoined).
  consumer.on(consumer.events.REBALANCING, () => {
    revoking = true;
  });
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const partitions = event.payload.memberAssignment[topic] ?? [];
    // A partition kept is read again from its committed offset; its window knows what was
    // taken since, so sent but uncommitted jobs are not sent again.
    windows = new Map(partitions.flatMap((p) => (windows.has(p) ? [[p, windows.get(p)!] as const] : [])));
    revoking = false;
    log.info({ assignment: event.payload.memberAssignment, kept: [...windows.keys()] }, "partitions assigned");
    assignmentHandled = retryUntil(() => opts.onAssignment(partitions), {
      ...OUTAGE_RETRY,
      timeoutMs: 30_000,
      onFailure: (err) => log.error({ err }, "handling the assignment failed; retrying"),
    }).then(() => undefined);
  });

  /** Waits (heartbeating) until a job can be taken without passing the in-flight caps. */
  async function waitForRoom(heartbeat: () => Promise<void>): Promise<void> {
    for (;;) {
      // Wait only on what is actually full: racing a wait that resolves at once made this
      // a busy loop that starved the process.
      const full = opts.untilRoom();
      if (!full) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([full, new Promise((r) => (timer = setTimeout(r, 1_000)))]);
      clearTimeout(timer);
      await heartbeat();
    }
  }

  function leaseOf(
    job: DeliveryJob,
    bytes: number,
    place: { window: InFlightWindow; taking: Taking; partition: number; ctx: Pick<JobLease, "heartbeat" | "batchEnded"> },
  ): JobLease & { whenHandedOn: Promise<void> } {
    const { window, taking, partition } = place;
    let handedOn!: () => void;
    const whenHandedOn = new Promise<void>((resolve) => (handedOn = resolve));
    return {
      job,
      bytes,
      ...place.ctx,
      stillOwned: () => !revoking && windows.get(partition) === window,
      handedOn,
      finish: () => window.finish(taking),
      handBack: () => window.handBack(taking),
      whenHandedOn,
    };
  }

  /** Hands a job on, and waits until it holds its place: jobs of one endpoint reach it in Kafka order. */
  async function handOn(lease: ReturnType<typeof leaseOf>, partition: number): Promise<void> {
    const delivering = opts.budget.hold(lease.bytes, opts.deliver(lease));
    delivering.catch((err: unknown) => {
      // Abandoned at shutdown: left unfinished, so no commit passes it and it is redelivered.
      if (abandoned) return;
      log.error({ err, partition, webhookId: lease.job.webhookId, deliveryId: lease.job.deliveryId }, "delivery handling failed");
      lease.finish();
    });
    await Promise.race([lease.whenHandedOn, delivering.catch(() => undefined)]);
  }

  async function eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { partition } = batch;
    await assignmentHandled;
    let window = windows.get(partition);
    if (!window) windows.set(partition, (window = new InFlightWindow()));
    const decoded = batch.messages.map((m) => decodeDeliveryJob(m.value));
    const giveUp = () => !isRunning() || isStale() || stopping;
    const ctx = { heartbeat, batchEnded: giveUp };
    // Throwing instead would fail the batch and crash the consumer.
    const prepared = await retryUntil(() => opts.prefetch(decoded.flatMap((r) => (r.ok ? [r.value] : []))), {
      ...OUTAGE_RETRY,
      giveUp: () => !isRunning() || stopping,
      onFailure: (err) => log.error({ err, partition }, "preparing a batch failed; retrying"),
      afterWait: heartbeat,
    });
    if (!prepared.ok) return;
    let sliceStartedAt = performance.now();
    for (const [i, message] of batch.messages.entries()) {
      // Taking jobs of cached webhooks never waits on I/O, so a large batch would run in one
      // go, starting hundreds of requests while no response or log write could be handled.
      if (performance.now() - sliceStartedAt > MAX_INTAKE_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStartedAt = performance.now();
      }
      if (giveUp()) break;
      const { offset } = message;
      // Read again after a rebalance that left us the partition: already in hand.
      if (window.took(offset)) {
        resolveOffset(offset);
        continue;
      }
      await waitForRoom(heartbeat);
      // The wait can outlast the assignment: a job of a partition now elsewhere would be sent twice.
      if (giveUp()) break;
      // Null when a batch of the previous generation, still running, took it meanwhile.
      const taking = window.take(offset);
      if (!taking) {
        resolveOffset(offset);
        continue;
      }
      const result = decoded[i]!;
      if (!result.ok) {
        // Only our own services write this topic, so this is a bug, not user input: say so loudly.
        opts.metrics.deliveries.inc({ outcome: "invalid_job" });
        log.error({ topic, partition, offset, reason: result.reason }, "undecodable delivery job skipped");
        window.finish(taking);
      } else {
        await handOn(leaseOf(result.value, message.value?.length ?? 0, { window, taking, partition, ctx }), partition);
      }
      // Resolving moves the fetch position only; the commit follows the window.
      resolveOffset(offset);
    }
  }

  let committing: Promise<void> | null = null;
  async function commitWindows(): Promise<void> {
    const offsets = [...windows].flatMap(([partition, window]) => {
      const offset = window.committable();
      return offset === null ? [] : [{ topic, partition, offset, window }];
    });
    if (offsets.length === 0) return;
    await consumer.commitOffsets(offsets.map(({ partition, offset }) => ({ topic, partition, offset })));
    for (const o of offsets) o.window.markCommitted(o.offset);
  }
  const commitTimer = setInterval(() => {
    if (committing) return;
    committing = commitWindows()
      .catch((err: unknown) => log.warn({ err }, "offset commit failed; will retry"))
      .finally(() => (committing = null));
  }, 200);

  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 8, eachBatch });

  return {
    async stop(graceMs) {
      stopping = true;
      consumer.pause([{ topic }]);
      let timer: NodeJS.Timeout | undefined;
      const drained = await Promise.race([opts.budget.drain().then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
      clearTimeout(timer);
      abandoned = !drained;
      clearInterval(commitTimer);
      while (committing) await committing;
      await commitWindows().catch((err: unknown) => log.warn({ err }, "final commit failed; uncommitted jobs will be redelivered"));
      await consumer.disconnect();
      return drained;
    },
  };
}
