import { addAttempt, addToStats, bucketStart, emptyTally, mergeTally, outcomeClassOf, STATS_INTERVALS, type Clock, type Logger, type StatsEntry, type StatsKey } from "@agiletune/shared";
import type { Db } from "mongodb";
import type { AttemptResult } from "./attempt.js";

/** What the recorder tells the statistics: each attempt made, as it takes it up for recording. */
export type AttemptCounter = { count: (result: AttemptResult) => void };

/** Statistics switched off (ENDPOINT_STATS=false): nothing is counted or written. */
export const NOT_COUNTED: AttemptCounter = { count: () => {} };

function idOf(key: StatsKey): string {
  return `${key.webhookId}|${key.interval}|${key.start}`;
}

/**
 * Endpoint statistics (docs/statistics.md), tallied in memory per webhook and minute, hour
 * and day, and added to `endpoint_stats` every `flushIntervalMs` in a few `$inc` upserts.
 * A delivery never waits for them: counting is a few additions, and the database sees one
 * write per bucket and flush, whatever the delivery rate. What a flush could not write is
 * added to the next; what is tallied and not yet written is lost if the process is killed
 * (at most a flush interval's worth), while `stop` writes it.
 */
export class StatsBook implements AttemptCounter {
  private pending = new Map<string, StatsEntry>();
  /**
   * Per webhook, the entries its last attempt went into, while they are still pending and in
   * the same minute: the next attempt of that minute (nearly all of them) adds to them at
   * once, without three keys built and looked up. Same minute means same hour and day.
   */
  private current = new Map<string, { minute: number; entries: StatsEntry[] }>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly opts: { db: Db; flushIntervalMs: number; clock: Clock; logger: Logger; onFlush?: (seconds: number) => void }) {
    this.log = opts.logger.child({ component: "endpoint-stats" });
  }

  count({ job, http, startedAt }: AttemptResult): void {
    const outcome = outcomeClassOf({ status: http.status, errorCode: http.error?.code ?? null });
    if (outcome === null) return;
    const attempt = { outcome, durationMs: http.durationMs };
    const minute = bucketStart(startedAt, "minute");
    const last = this.current.get(job.webhookId);
    const entries = last !== undefined && last.minute === minute ? last.entries : this.entriesFor(job, startedAt, minute);
    for (const entry of entries) addAttempt(entry.tally, attempt);
  }

  private entriesFor(job: AttemptResult["job"], startedAt: number, minute: number): StatsEntry[] {
    const entries = STATS_INTERVALS.map((interval) => {
      const key = { webhookId: job.webhookId, organizationId: job.organizationId, interval, start: bucketStart(startedAt, interval) };
      const id = idOf(key);
      let entry = this.pending.get(id);
      if (!entry) {
        entry = { key, tally: emptyTally() };
        this.pending.set(id, entry);
      }
      return entry;
    });
    this.current.set(job.webhookId, { minute, entries });
    return entries;
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.flushIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is tallied (one try: if the database is away, the log says how many attempts go uncounted). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    const uncounted = [...this.pending.values()].filter((e) => e.key.interval === "minute").reduce((sum, e) => sum + e.tally.attempts, 0);
    if (uncounted > 0) this.log.warn({ attempts: uncounted }, "endpoint statistics not written at shutdown: these attempts go uncounted");
  }

  /** One flush at a time; a flush due while one runs follows it. */
  flush(): Promise<void> {
    // A flush that failed in an unforeseen way must not stop the ones after it.
    this.flushing = this.flushing.then(() => this.writePending()).catch((err: unknown) => this.log.error({ err }, "endpoint statistics flush failed"));
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    if (this.pending.size === 0) return;
    const entries = [...this.pending.values()];
    this.pending = new Map();
    this.current = new Map();
    const started = this.opts.clock.now();
    const { left, refused, error } = await addToStats(this.opts.db, entries);
    this.opts.onFlush?.((this.opts.clock.now() - started) / 1000);
    if (error === undefined) return;
    if (refused) this.log.error({ err: error, bucket: refused.key, attempts: refused.tally.attempts }, "endpoint statistics bucket refused by the database; its tally is dropped");
    else this.log.warn({ err: error, buckets: left.length }, "endpoint statistics not written; adding them to the next flush");
    for (const entry of left) {
      const newer = this.pending.get(idOf(entry.key));
      if (newer) mergeTally(entry.tally, newer.tally);
      this.pending.set(idOf(entry.key), entry);
    }
    // Entries taken back replace the newer ones they absorbed.
    this.current = new Map();
  }
}
