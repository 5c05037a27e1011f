import type { Message, Producer } from "kafkajs";
import { sendInChunks } from "./send-in-chunks.js";

type Pending = { topic: string; message: Message; resolve: () => void; reject: (err: unknown) => void };

/**
 * Collects sends from many concurrent callers into one `sendBatch` per tick, so a busy
 * service makes a few large produce requests instead of many small ones. Each caller's
 * promise settles when its own message is acknowledged (or failed) by the broker.
 */
export class BatchingProducer {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly producer: Pick<Producer, "sendBatch">,
    private readonly opts: { lingerMs?: number; maxBatch?: number; onBatch?: (batch: { messages: number; seconds: number }) => void } = {},
  ) {}

  send(topic: string, message: Message): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ topic, message, resolve, reject });
      if (this.queue.length >= (this.opts.maxBatch ?? 500)) void this.flush();
      else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.opts.lingerMs ?? 2);
    });
  }

  /** Sends everything queued so far; resolves when those sends have settled. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.flushing) await this.flushing;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.flushing = this.sendBatch(batch).finally(() => {
      this.flushing = null;
      if (this.queue.length && !this.timer) this.timer = setTimeout(() => void this.flush(), 0);
    });
    await this.flushing;
  }

  private async sendBatch(batch: Pending[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) {
      const list = byTopic.get(p.topic) ?? [];
      list.push(p.message);
      byTopic.set(p.topic, list);
    }
    try {
      const started = performance.now();
      // In size-bounded requests: retries of large events to one endpoint share a partition,
      // and one record batch over the broker's limit would be refused, and refused again.
      await sendInChunks(
        this.producer,
        [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      );
      this.opts.onBatch?.({ messages: batch.length, seconds: (performance.now() - started) / 1000 });
      for (const p of batch) p.resolve();
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
