/**
 * Gathers the calls of concurrent requests into batches, one batch at work at a time: while
 * one is at the database, the next gathers. The store has one writer (FerretDB on SQLite),
 * so one statement of fifty documents costs about what one of one does, and a batch grows
 * with the load instead of the requests queueing one by one.
 */
export class SerialBatcher<In, Out> {
  private queue: Array<{ item: In; resolve: (out: Out) => void; reject: (err: unknown) => void }> = [];
  private draining = false;

  /** `run` answers each item, in order, with its result or an Error for that item alone; throwing fails the whole batch. */
  constructor(
    private readonly run: (items: In[]) => Promise<Array<Out | Error>>,
    private readonly maxBatch: number,
  ) {}

  submit(item: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.draining) return;
      this.draining = true;
      // After the current I/O phase, so the requests that arrived with this one join its batch.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const results = await this.run(batch.map((b) => b.item));
        batch.forEach((b, i) => {
          const result = results[i] as Out | Error;
          if (result instanceof Error) b.reject(result);
          else b.resolve(result);
        });
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.draining = false;
  }
}
