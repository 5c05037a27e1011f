import { deferredBy, nextStep, type DeliveryError, type DeliveryJob, type DeliveryStatus, type StatusChange } from "@agiletune/shared";

/** What to do after an attempt. Pure: the dispatcher performs it. */
export type Outcome =
  | { kind: "succeeded" }
  /** Send to retry tier `tier` as attempt `retry`, due at `dueAt`. */
  | { kind: "retry"; tier: number; retry: number; dueAt: number }
  | { kind: "dead-letter"; reason: string }
  /** A manual attempt (redelivery, ping) failed: it leaves the delivery's ladder alone. */
  | { kind: "manual-failed" }
  /** 410 Gone: the webhook is deactivated and the delivery cancelled (docs/endpoint-health.md). */
  | { kind: "gone" };

/**
 * Event and replay jobs climb the retry ladder, no sooner than a `Retry-After` asked
 * (`retryAfterMs`); an error that no retry can fix goes straight to the dead-letter topic. Redeliveries and pings are one attempt each.
 */
export function decideOutcome({
  job,
  error,
  failedAt,
  delaysMs,
  retryAfterMs = null,
}: {
  job: Pick<DeliveryJob, "attempt" | "source">;
  error: DeliveryError | null;
  failedAt: number;
  delaysMs: readonly number[];
  retryAfterMs?: number | null;
}): Outcome {
  if (!error) return { kind: "succeeded" };
  if (error.code === "gone") return { kind: "gone" };
  if (job.source === "redeliver" || job.source === "ping") return { kind: "manual-failed" };
  if (!error.retriable) return { kind: "dead-letter", reason: `${error.code}: ${error.message}` };
  const step = nextStep(job.attempt, failedAt, delaysMs);
  if (step.kind === "dead-letter") return { kind: "dead-letter", reason: `retries exhausted; last: ${error.code}: ${error.message}` };
  const due = deferredBy(step, failedAt, retryAfterMs, delaysMs);
  return { kind: "retry", tier: due.tier, retry: due.retry, dueAt: due.dueAt };
}

/** The delivery status an outcome leaves behind; null keeps the current one. */
export function statusAfter(outcome: Outcome, source: DeliveryJob["source"]): DeliveryStatus | null {
  switch (outcome.kind) {
    case "succeeded":
      return "succeeded";
    case "retry":
      return "retrying";
    case "dead-letter":
      return "failed";
    case "gone":
      return "cancelled";
    case "manual-failed":
      // A ping has no ladder of its own, so its one failed attempt is final.
      return source === "ping" ? "failed" : null;
  }
}

/** What the delivery's log entry takes from an outcome; null leaves it as it is. */
export function statusChangeAfter(outcome: Outcome, source: DeliveryJob["source"]): StatusChange | null {
  const status = statusAfter(outcome, source);
  if (!status) return null;
  return {
    status,
    nextAttemptAt: outcome.kind === "retry" ? new Date(outcome.dueAt) : null,
    statusReason: outcome.kind === "dead-letter" ? outcome.reason : outcome.kind === "gone" ? "the endpoint answered 410 Gone: the webhook was deactivated" : null,
  };
}
