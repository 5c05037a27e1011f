import { decryptSecret, webhooksCollection, type WebhookDoc } from "@agiletune/shared";
import type { Db } from "mongodb";

export type ResolvedWebhook = {
  doc: WebhookDoc;
  /** null when the stored secret cannot be decrypted (see `secretError`). */
  secret: string | null;
  secretError: string | null;
  /** The pre-rotation secret while it still signs `webhook-signature`. */
  previousSecret: string | undefined;
};

type Entry = { webhook: ResolvedWebhook | null; fetchedAt: number };

/**
 * Webhooks by id with their secrets decrypted, cached for at most `ttlMs` so that a change
 * made through the admin API reaches deliveries well within the contract's 2 s.
 */
export class WebhookCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly encryptionKey: string,
    private readonly opts: { ttlMs: number; now?: () => number } = { ttlMs: 1_000 },
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /**
   * Loads every id not fresh in the cache with one query. Ids already being loaded are
   * awaited, not queried again: under a backlog every message of a batch asks at once,
   * and one query per message was what held the dispatcher back.
   */
  async prefetch(ids: Iterable<string>): Promise<void> {
    const now = this.now();
    const waits = new Set<Promise<void>>();
    const stale: string[] = [];
    for (const id of new Set(ids)) {
      const loading = this.loading.get(id);
      if (loading) waits.add(loading);
      else if (!this.isFresh(id, now)) stale.push(id);
    }
    if (stale.length) waits.add(this.load(stale, now));
    if (waits.size) await Promise.all(waits);
  }

  private isFresh(id: string, now: number): boolean {
    const entry = this.entries.get(id);
    return entry !== undefined && now - entry.fetchedAt <= this.opts.ttlMs;
  }

  private load(ids: string[], now: number): Promise<void> {
    const loaded = (async () => {
      const docs = await webhooksCollection(this.db).find({ _id: { $in: ids } }).toArray();
      const found = new Map(docs.map((d) => [d._id, d]));
      for (const id of ids) {
        const doc = found.get(id);
        this.entries.set(id, { webhook: doc ? this.resolve(doc, now) : null, fetchedAt: now });
      }
      if (this.entries.size > 100_000) this.evictOlderThan(now - this.opts.ttlMs);
    })().finally(() => {
      for (const id of ids) if (this.loading.get(id) === loaded) this.loading.delete(id);
    });
    for (const id of ids) this.loading.set(id, loaded);
    return loaded;
  }

  /** null when the webhook does not exist (deleted). */
  async get(id: string): Promise<ResolvedWebhook | null> {
    if (!this.isFresh(id, this.now())) await this.prefetch([id]);
    return this.entries.get(id)?.webhook ?? null;
  }

  /** Keeps the cached health in step with what we just wrote. */
  noteHealth(id: string, health: WebhookDoc["health"]): void {
    const entry = this.entries.get(id);
    if (entry?.webhook) entry.webhook.doc.health = health;
  }

  /**
   * One webhook whose secret cannot be opened (sealed with another SECRETS_ENCRYPTION_KEY,
   * or damaged) must not stop the others: it is resolved with the error instead.
   */
  private resolve(doc: WebhookDoc, now: number): ResolvedWebhook {
    const previousValid = doc.previousSecretSealed && doc.previousSecretExpiresAt && doc.previousSecretExpiresAt.getTime() > now;
    try {
      return {
        doc,
        secret: decryptSecret(doc.secretSealed, this.encryptionKey),
        secretError: null,
        previousSecret: previousValid ? decryptSecret(doc.previousSecretSealed!, this.encryptionKey) : undefined,
      };
    } catch (err) {
      return { doc, secret: null, secretError: `the webhook's secret cannot be decrypted with SECRETS_ENCRYPTION_KEY (${(err as Error).message})`, previousSecret: undefined };
    }
  }

  private evictOlderThan(cutoff: number): void {
    for (const [id, entry] of this.entries) if (entry.fetchedAt < cutoff) this.entries.delete(id);
  }
}
