// Words and numbers the pages show: times, durations, delivery statuses, health.

import type { DeliverySummary } from "./api.js";

const dateTime = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** A time as the reader's locale shows it, with seconds (deliveries happen seconds apart). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}

/** "in 3 s", "5 min ago": how far a time is from `now`. */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const diff = new Date(iso).getTime() - now;
  const abs = Math.abs(diff);
  const unit =
    abs < 60_000
      ? `${Math.max(0, Math.round(abs / 1000))} s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)} min`
        : abs < 86_400_000
          ? `${Math.round(abs / 3_600_000)} h`
          : `${Math.round(abs / 86_400_000)} d`;
  if (abs < 1000) return "now";
  return diff > 0 ? `in ${unit}` : `${unit} ago`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** A time as the value of a datetime-local field: the reader's local time, to the minute. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local field's value (local time) as an ISO time; undefined when empty or not a time. */
export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export type DeliveryStatus = DeliverySummary["status"];

/**
 * Delivery statuses of docs/delivery.md#statuses, each with its icon: every status the API documents, so
 * one it adds is a compile error here until it has an icon. `parked` is the circuit
 * breaker's (docs/endpoint-health.md), `held` ordered delivery's; an unknown status (from an API newer than the page) still shows, as its
 * word with a neutral icon. The icons are in the fonts every system has (DejaVu, Arial,
 * Segoe UI): "⏸" is not, and showed as an empty box on a Linux desktop without an emoji font.
 */
const STATUS_ICONS: Record<DeliveryStatus, { icon: string; tone: "wait" | "ok" | "warn" | "bad" | "off" }> = {
  pending: { icon: "◷", tone: "wait" },
  succeeded: { icon: "✓", tone: "ok" },
  retrying: { icon: "↻", tone: "warn" },
  parked: { icon: "‖", tone: "warn" },
  // Waiting its turn behind an earlier delivery of its ordering key (CONTRACT §10).
  held: { icon: "…", tone: "wait" },
  failed: { icon: "✕", tone: "bad" },
  cancelled: { icon: "⊘", tone: "off" },
};

/** The statuses in the order the status filter offers them. */
export const DELIVERY_STATUSES = Object.keys(STATUS_ICONS) as DeliveryStatus[];

export function statusLook(status: string): { icon: string; tone: string } {
  return STATUS_ICONS[status as DeliveryStatus] ?? { icon: "•", tone: "off" };
}

/** Statuses that will change by themselves: the list keeps refreshing while one is shown. */
export function isUnsettled(status: string): boolean {
  return status === "pending" || status === "retrying" || status === "parked" || status === "held";
}

/** Health badge tone; any string the API sends is shown as it is. */
export function healthTone(health: string): string {
  if (health === "healthy") return "ok";
  if (health === "failing") return "bad";
  if (health === "disabled") return "off";
  return "warn";
}

/**
 * Why a webhook is failing or disabled, in words: the two reasons docs/endpoint-health.md names as
 * codes are explained; any other (the dispatcher's own words) is shown as it is.
 */
export function healthReasonText(reason: string): string {
  if (reason === "gone") return "the endpoint answered 410 Gone, which asks AgileTune to stop sending";
  if (reason === "failing-too-long") return "every attempt failed for too long without a success in between (5 days, unless your operator set otherwise)";
  return reason;
}

/** Said wherever an ordered webhook's deliveries can be sent again by hand. */
export const OUTSIDE_ORDER_NOTE = "This webhook delivers in order: Redeliver and Recover are sent as asked, outside the order.";

/** What the API's answer to a recover (`{matched}`) means, in a sentence. */
export function recoverOutcome(matched: number, sinceIso: string): string {
  if (matched === 0) return `No delivery sent again: none failed or was cancelled since ${formatTime(sinceIso)}.`;
  const what = matched === 1 ? "1 delivery sent again" : `${matched} deliveries sent again`;
  return `${what}, each with its delivery ID and a fresh set of retries; see Recent Deliveries below.`;
}

export function contentTypeLabel(contentType: string): string {
  return contentType === "json" ? "application/json" : contentType === "form" ? "application/x-www-form-urlencoded" : contentType;
}

/** `["*"]` reads as what it means. */
export function eventsLabel(events: string[]): string {
  return events.includes("*") ? "Everything (*)" : events.join(", ");
}
