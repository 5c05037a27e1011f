import { endHeld, webhooksCollection, type BatchingProducer, type Clock, type DeliveryLogWriter, type Logger, type TopicNames, type WebhookDoc } from "@agiletune/shared";
import type { Db } from "mongodb";
import type { DispatcherMetrics } from "../metrics.js";
import type { HealthUpdate } from "./circuit-book.js";

const GONE_REASON = "the endpoint answered 410 Gone: the webhook was deactivated";
const FAILED_TOO_LONG_REASON = "the webhook failed for longer than DISABLE_AFTER and was disabled; recover them once it is fixed";

export type HealthWriterOptions = {
  db: Db;
  deliveryLog: DeliveryLogWriter;
  producer: BatchingProducer;
  topics: TopicNames;
  metrics: DispatcherMetrics;
  logger: Logger;
  clock: Clock;
};

/**
 * Makes a webhook's health changes durable and known (docs/endpoint-health.md): written to the
 * webhook, logged once, and produced to the notifications topic once each. Every method
 * is safe to repeat.
 */
export class HealthWriter {
  private readonly log: Logger;

  constructor(private readonly opts: HealthWriterOptions) {
    this.log = opts.logger.child({ component: "health" });
  }

  async write({ doc, state, changes }: HealthUpdate): Promise<void> {
    const at = new Date(this.opts.clock.now());
    const disabled = changes.find((c) => c.kind === "disabled");
    const circuit =
      state.circuit === "closed" ? null : { state: state.circuit, openedAt: at, nextProbeAt: state.nextProbeAt === null ? null : new Date(state.nextProbeAt), probeIntervalMs: state.probeIntervalMs };
    // Its waiting deliveries are ended before the webhook says disabled: a crash in between
    // leaves it active, and the next owner, meeting the same failure, disables it again;
    // the other way round, its parked deliveries would stay parked for good.
    if (disabled?.kind === "disabled") {
      const ending = disabled.reason === "gone" ? { status: "cancelled" as const, reason: GONE_REASON } : { status: "failed" as const, reason: FAILED_TOO_LONG_REASON };
      if (disabled.reason === "gone") await this.opts.deliveryLog.cancelWaiting(doc._id, GONE_REASON);
      else await this.opts.deliveryLog.failParked(doc._id, FAILED_TOO_LONG_REASON);
      // Held ones end as the parked ones do: nothing is left waiting for a turn that never comes.
      await endHeld(this.opts.db, { webhookId: doc._id, ...ending, at });
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

  /** Every parked delivery was released. */
  async circuitClosed(webhookId: string): Promise<void> {
    await webhooksCollection(this.opts.db).updateOne({ _id: webhookId }, { $set: { circuit: null, updatedAt: new Date(this.opts.clock.now()) } });
    this.log.info({ webhookId }, "circuit closed: parked deliveries released");
  }

  /** Active webhooks whose circuit is open or draining, as stored: a new owner picks them up. */
  openCircuits(): Promise<WebhookDoc[]> {
    return webhooksCollection(this.opts.db)
      .find({ active: true, "circuit.state": { $in: ["open", "draining"] } })
      .toArray();
  }
}
