import type { DeliverySummary } from "./api.js";

export type HourBucket = { start: number; succeeded: number; failed: number };

const HOUR = 3_600_000;

/**
 * Deliveries created in the 24 hours before `now`, in 24 hourly buckets, oldest first:
 * `succeeded`, and `failed` (dead-lettered). Deliveries still pending, retrying, parked or
 * cancelled are not counted in either.
 */
export function hourlyBuckets(deliveries: Array<Pick<DeliverySummary, "createdAt" | "status">>, now: number): HourBucket[] {
  const end = Math.ceil(now / HOUR) * HOUR;
  const start = end - 24 * HOUR;
  const buckets: HourBucket[] = Array.from({ length: 24 }, (_, i) => ({ start: start + i * HOUR, succeeded: 0, failed: 0 }));
  for (const d of deliveries) {
    const at = new Date(d.createdAt).getTime();
    if (at < now - 24 * HOUR || at > now || at < start) continue;
    const bucket = buckets[Math.min(23, Math.floor((at - start) / HOUR))]!;
    if (d.status === "succeeded") bucket.succeeded++;
    else if (d.status === "failed") bucket.failed++;
  }
  return buckets;
}

export function totals(buckets: HourBucket[]): { succeeded: number; failed: number } {
  return buckets.reduce((t, b) => ({ succeeded: t.succeeded + b.succeeded, failed: t.failed + b.failed }), { succeeded: 0, failed: 0 });
}

/**
 * What the list says about a webhook's last delivery: the delivery with the latest
 * attempt among those fetched (the API lists by creation, so an older delivery's retry
 * can be the latest attempt).
 */
export function lastDelivered(deliveries: DeliverySummary[]): DeliverySummary | undefined {
  let best: DeliverySummary | undefined;
  for (const d of deliveries) {
    if (!d.lastAttemptAt) continue;
    if (!best || new Date(d.lastAttemptAt).getTime() > new Date(best.lastAttemptAt!).getTime()) best = d;
  }
  return best;
}
