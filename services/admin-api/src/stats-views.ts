import { INTERVAL_MS, latencyPercentiles, OUTCOME_CLASSES, STATS_INTERVALS, tallyOf, type StatsDoc, type StatsInterval } from "@agiletune/shared";
import { z } from "zod";
import { validationFailed } from "./errors.js";
import { fromBeforeTo, idSchema, isoTime, parseQuery } from "./schemas.js";
import { count, isoDateTime } from "./views.js";

// Endpoint statistics and the organization-wide delivery search (docs/statistics.md): their
// query strings and the statistics' response. The search answers a DeliveryList.

/** Buckets one stats request may cover: a day of minutes, two months of hours, four years of days. */
const MAX_STATS_BUCKETS = 1_500;
/** The range a stats request covers when it names no `from`, by interval. */
const DEFAULT_RANGE_MS: Record<StatsInterval, number> = { minute: 3_600_000, hour: 86_400_000, day: 30 * 86_400_000 };

export const statsQuerySchema = z
  .object({
    interval: z
      .enum(STATS_INTERVALS, `must be one of ${STATS_INTERVALS.join(", ")}`)
      .default("hour")
      .meta({ description: "bucket size" }),
    from: isoTime.optional().meta({ description: "the first bucket is the one holding this time; default: `to` less an hour (minute), a day (hour) or 30 days (day)" }),
    to: isoTime.optional().meta({ description: "buckets starting before this time; default: now" }),
  })
  .refine(fromBeforeTo, { message: "must be before to", path: ["from"] });

/** The stats query with its defaults filled from `now`; a range of more than MAX_STATS_BUCKETS buckets is a 422. */
export function parseStatsQuery(query: Record<string, string | string[] | undefined>, now: Date): { interval: StatsInterval; from: Date; to: Date } {
  const parsed = parseQuery(statsQuerySchema, query);
  const to = parsed.to ?? now;
  const from = parsed.from ?? new Date(to.getTime() - DEFAULT_RANGE_MS[parsed.interval]);
  if (from >= to) throw validationFailed([{ field: "query.from", message: `must be before to (${to.toISOString()})` }]);
  const size = INTERVAL_MS[parsed.interval];
  const buckets = Math.ceil((to.getTime() - Math.floor(from.getTime() / size) * size) / size);
  if (buckets > MAX_STATS_BUCKETS) {
    throw validationFailed([{ field: "query.from", message: `the range holds ${buckets} ${parsed.interval}s; at most ${MAX_STATS_BUCKETS} per request: use a shorter range or a longer interval` }]);
  }
  return { interval: parsed.interval, from: new Date(Math.floor(from.getTime() / size) * size), to };
}

export const deliverySearchQuerySchema = z
  .object({
    eventId: z.string().min(1).max(200, "must be at most 200 characters").optional().meta({ description: "the deliveries of this event, one per webhook it went to" }),
    deliveryId: idSchema.optional().meta({ description: "this delivery" }),
  })
  .refine((q) => q.eventId !== undefined || q.deliveryId !== undefined, { message: "give eventId or deliveryId (or both)", path: ["eventId"] });

const byOutcomeSchema = z.strictObject(Object.fromEntries(OUTCOME_CLASSES.map((c) => [c, count])) as Record<(typeof OUTCOME_CLASSES)[number], typeof count>);
const statsBucketSchema = z
  .strictObject({
    start: isoDateTime,
    attempts: count,
    succeeded: count.meta({ description: "attempts answered 2xx" }),
    failed: count,
    byOutcome: byOutcomeSchema.meta({ description: "attempts by how they ended: the answer's status class, a timeout, or no answer (connection, DNS or address refused)" }),
    latencyMs: z
      .strictObject({ p50: z.number(), p95: z.number(), p99: z.number() })
      .meta({ description: "attempt duration percentiles, estimated from a fixed histogram (docs/statistics.md): accurate to its bucket bounds" }),
  })
  .meta({ id: "StatsBucket" });
export const endpointStatsSchema = z.strictObject({ items: z.array(statsBucketSchema).meta({ description: "oldest first; buckets without an attempt are left out" }) }).meta({ id: "EndpointStats" });
export type EndpointStatsView = z.output<typeof endpointStatsSchema>;

export function statsBucketView(doc: StatsDoc): z.output<typeof statsBucketSchema> {
  const tally = tallyOf(doc);
  return {
    start: doc.start.toISOString(),
    attempts: tally.attempts,
    succeeded: tally.succeeded,
    failed: tally.attempts - tally.succeeded,
    byOutcome: tally.byOutcome,
    latencyMs: latencyPercentiles(tally.latency, tally.maxMs),
  };
}
