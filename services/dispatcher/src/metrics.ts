import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export type DispatcherMetrics = ReturnType<typeof createDispatcherMetrics>;

export function createDispatcherMetrics(registry: Registry, gauges: { inFlight: () => number; unrecorded: () => number; unrecordedBytes: () => number; openCircuits: () => number }) {
  return {
    deliveries: new Counter({
      name: "webhook_deliveries_total",
      help: "Delivery jobs handled, by outcome (succeeded, retrying, dead_lettered, cancelled, manual_failed, gone, deferred, parked, invalid_job, set_aside: a write refused for good, repeat: a delivery already made here, not sent again)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    attemptSeconds: new Histogram({
      name: "webhook_attempt_duration_seconds",
      help: "HTTP attempt duration, by result",
      labelNames: ["result"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    endToEndSeconds: new Histogram({
      name: "webhook_delivery_latency_seconds",
      help: "From the job's first enqueue to a successful attempt",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 60, 600, 3600, 86400],
      registers: [registry],
    }),
    logWriteSeconds: new Histogram({
      name: "webhook_log_write_seconds",
      help: "Duration of each write command to the delivery log, by collection and by whether it carried updates (kind: inserts, with_updates)",
      labelNames: ["collection", "kind"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    logWriteOperations: new Counter({
      name: "webhook_log_write_operations_total",
      help: "Operations sent to the delivery log, by collection and command kind",
      labelNames: ["collection", "kind"],
      registers: [registry],
    }),
    produceSeconds: new Histogram({
      name: "webhook_produce_seconds",
      help: "Duration of each batched produce (retry tiers, dead letters) until the broker acknowledged it",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: "webhook_deliveries_in_flight",
      help: "Deliveries accepted and not finished (running or waiting for their endpoint)",
      registers: [registry],
      collect() {
        this.set(gauges.inFlight());
      },
    }),
    unrecorded: new Gauge({
      name: "webhook_deliveries_unrecorded",
      help: "Deliveries whose outcome is not yet durably logged and handed on; at twice the in-flight limit the dispatcher stops taking jobs",
      registers: [registry],
      collect() {
        this.set(gauges.unrecorded());
      },
    }),
    openCircuits: new Gauge({
      name: "webhook_circuits_open",
      help: "Webhooks owned by this dispatcher whose circuit is open or draining its parked deliveries (docs/endpoint-health.md)",
      registers: [registry],
      collect() {
        this.set(gauges.openCircuits());
      },
    }),
    parked: new Counter({
      name: "webhook_deliveries_parked_total",
      help: "Deliveries parked because their webhook's circuit was open, and parked deliveries released again (`event`: parked, released)",
      labelNames: ["event"],
      registers: [registry],
    }),
    probes: new Counter({
      name: "webhook_circuit_probes_total",
      help: "Probe attempts to webhooks with an open circuit, by result (success, failure)",
      labelNames: ["result"],
      registers: [registry],
    }),
    rateLimitedWaits: new Counter({
      name: "webhook_rate_limited_waits_total",
      help: "Times a request waited for its webhook's rateLimitPerSecond",
      registers: [registry],
    }),
    notifications: new Counter({
      name: "webhook_notifications_total",
      help: "Health changes produced to agiletune.webhooks.notifications, by type",
      labelNames: ["type"],
      registers: [registry],
    }),
    statsFlushSeconds: new Histogram({
      name: "webhook_stats_flush_seconds",
      help: "Duration of each write of the endpoint statistics tallied since the last (docs/statistics.md)",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    unrecordedBytes: new Gauge({
      name: "webhook_deliveries_unrecorded_bytes",
      help: "Serialized size of the jobs counted by webhook_deliveries_unrecorded; at DISPATCH_MAX_IN_FLIGHT_BYTES the dispatcher stops taking jobs",
      registers: [registry],
      collect() {
        this.set(gauges.unrecordedBytes());
      },
    }),
  };
}
