import type { AnyBulkWriteOperation, Db, Document } from "mongodb";

type Pending = { collection: string; op: AnyBulkWriteOperation<Document>; resolve: () => void; reject: (err: unknown) => void };

/**
 * Batches the delivery log's writes: many concurrent attempts become one unordered
 * `bulkWrite` per collection per tick. Each caller's promise settles when its own write
 * is acknowledged, and only then is the Kafka offset released for commit.
 */
export class LogWriter {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly opts: { lingerMs?: number; maxBatch?: number } = {},
  ) {}

  write<T extends Document>(collection: string, op: AnyBulkWriteOperation<T>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ collection, op: op as AnyBulkWriteOperation<Document>, resolve, reject });
      if (this.queue.length >= (this.opts.maxBatch ?? 500)) this.flush();
      else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.opts.lingerMs ?? 5);
    });
  }

  /** Sends what is queued; resolves when every write sent so far has settled. */
  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const byCollection = new Map<string, Pending[]>();
    for (const p of batch) {
      const list = byCollection.get(p.collection);
      if (list) list.push(p);
      else byCollection.set(p.collection, [p]);
    }
    for (const [collection, pending] of byCollection) {
      const sending = this.db
        .collection(collection)
        .bulkWrite(
          pending.map((p) => p.op),
          { ordered: false },
        )
        .then(
          () => pending.forEach((p) => p.resolve()),
          (err: unknown) => settlePartialFailure(pending, err),
        );
      this.inFlight.add(sending);
      void sending.finally(() => this.inFlight.delete(sending));
    }
  }
}

/**
 * An unordered bulk write applies every operation it can; only the ones named in
 * `writeErrors` failed. Anything else (network, server down) failed them all.
 */
function settlePartialFailure(pending: Pending[], err: unknown): void {
  const writeErrors = (err as { writeErrors?: Array<{ index: number; code?: number; errmsg?: string }> }).writeErrors;
  if (!Array.isArray(writeErrors) || writeErrors.length === 0) {
    pending.forEach((p) => p.reject(err));
    return;
  }
  const failed = new Map(writeErrors.map((e) => [e.index, e]));
  pending.forEach((p, index) => {
    const writeError = failed.get(index);
    if (writeError) p.reject(Object.assign(new Error(writeError.errmsg ?? "write failed"), { code: writeError.code }));
    else p.resolve();
  });
}
