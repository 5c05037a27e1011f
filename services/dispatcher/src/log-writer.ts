import type { AnyBulkWriteOperation, Db, Document } from "mongodb";

type Op = AnyBulkWriteOperation<Document>;
type Pending = { op: Op; fallback: Op | undefined; resolve: () => void; reject: (err: unknown) => void };

const DUPLICATE_KEY = 11000;

/**
 * Batches the delivery log's writes: many concurrent attempts become one unordered
 * `bulkWrite` per collection, with at most one in flight per collection so batches grow
 * under load instead of contending. Each caller's promise settles when its own write is
 * acknowledged, and only then is the Kafka offset released for commit.
 *
 * An insert may carry a `fallback` update, applied when the document already exists:
 * inserts are far cheaper than upserts (on FerretDB about 30 times), and most deliveries
 * are logged once, by a first attempt that succeeds.
 */
export class LogWriter {
  private readonly queues = new Map<string, Pending[]>();
  private readonly sending = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly opts: { lingerMs?: number; maxBatch?: number } = {},
  ) {}

  write<T extends Document>(collection: string, op: AnyBulkWriteOperation<T>, fallback?: AnyBulkWriteOperation<T>): Promise<void> {
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(collection) ?? [];
      queue.push({ op: op as Op, fallback: fallback as Op | undefined, resolve, reject });
      this.queues.set(collection, queue);
      if (queue.length >= (this.opts.maxBatch ?? 1000)) this.flush(collection);
      else if (!this.timer) this.timer = setTimeout(() => this.flushAll(), this.opts.lingerMs ?? 5);
    });
  }

  /** Resolves when every write queued so far has settled. */
  async drain(): Promise<void> {
    while (this.sending.size || [...this.queues.values()].some((q) => q.length)) {
      this.flushAll();
      await Promise.allSettled([...this.sending.values()]);
    }
  }

  private flushAll(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    for (const collection of this.queues.keys()) this.flush(collection);
  }

  private flush(collection: string): void {
    if (this.sending.has(collection)) return;
    const batch = this.queues.get(collection);
    if (!batch?.length) return;
    this.queues.set(collection, []);
    const sending = this.send(collection, batch).finally(() => {
      this.sending.delete(collection);
      // What queued meanwhile goes out at once, as one larger batch.
      if (this.queues.get(collection)?.length) this.flush(collection);
    });
    this.sending.set(collection, sending);
  }

  private async send(collection: string, batch: Pending[]): Promise<void> {
    for (const chunk of chunksForFerretDb(batch)) await this.sendChunk(collection, chunk);
  }

  private async sendChunk(collection: string, batch: Pending[]): Promise<void> {
    const failures = await bulkWrite(this.db, collection, batch.map((p) => p.op));
    const retry: Pending[] = [];
    batch.forEach((p, index) => {
      const failure = failures.get(index);
      if (!failure) p.resolve();
      else if (failure.code === DUPLICATE_KEY && p.fallback) retry.push({ ...p, op: p.fallback, fallback: undefined });
      else p.reject(failure.error);
    });
    if (retry.length) await this.send(collection, retry);
  }
}

/** FerretDB v1 never answers an update command of 100 statements or more. */
const MAX_UPDATES_PER_COMMAND = 90;

/** Splits a batch so no command carries too many updates; inserts ride along freely. */
function chunksForFerretDb(batch: Pending[]): Pending[][] {
  const chunks: Pending[][] = [];
  let chunk: Pending[] = [];
  let updates = 0;
  for (const p of batch) {
    const isUpdate = !("insertOne" in p.op);
    if (isUpdate && updates >= MAX_UPDATES_PER_COMMAND) {
      chunks.push(chunk);
      chunk = [];
      updates = 0;
    }
    chunk.push(p);
    if (isUpdate) updates++;
  }
  if (chunk.length) chunks.push(chunk);
  return chunks;
}

/**
 * An unordered bulk write applies every operation it can; only the ones named in
 * `writeErrors` failed. Any other error (network, server down) failed them all.
 */
async function bulkWrite(db: Db, collection: string, ops: Op[]): Promise<Map<number, { code: number | undefined; error: unknown }>> {
  try {
    await db.collection(collection).bulkWrite(ops, { ordered: false });
    return new Map();
  } catch (err) {
    const writeErrors = (err as { writeErrors?: Array<{ index: number; code?: number; errmsg?: string }> }).writeErrors;
    if (!Array.isArray(writeErrors) || writeErrors.length === 0) return new Map(ops.map((_, i) => [i, { code: undefined, error: err }]));
    return new Map(writeErrors.map((e) => [e.index, { code: e.code, error: Object.assign(new Error(e.errmsg ?? "write failed"), { code: e.code }) }]));
  }
}
