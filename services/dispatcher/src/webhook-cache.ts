import { BatchTtlCache, decryptSecret, webhooksCollection, type WebhookDoc } from "@agiletune/shared";
import type { Db } from "mongodb";
import { openEndpointCredentials, type EndpointCredentials } from "./endpoint-auth/credentials.js";

export type ResolvedWebhook = {
  doc: WebhookDoc;
  /** null when the stored secret cannot be decrypted (see `secretError`). */
  secret: string | null;
  secretError: string | null;
  /** The pre-rotation secret while it still signs `webhook-signature`. */
  previousSecret: string | undefined;
  /** Custom headers, endpoint auth and Ed25519 keys, opened (docs/endpoint-authentication.md). */
  credentials: EndpointCredentials;
};

/**
 * Webhooks by id with their secrets decrypted, at most `ttlMs` old (see BatchTtlCache):
 * one query for all the webhooks of a batch, and none per message.
 */
export class WebhookCache {
  private readonly cache: BatchTtlCache<ResolvedWebhook>;

  constructor(db: Db, encryptionKey: string, opts: { ttlMs: number; now?: () => number } = { ttlMs: 1_000 }) {
    this.cache = new BatchTtlCache(async (ids, now) => {
      const docs = await webhooksCollection(db)
        .find({ _id: { $in: ids } })
        .toArray();
      return new Map(docs.map((doc) => [doc._id, resolve(doc, encryptionKey, now)]));
    }, opts);
  }

  prefetch(ids: Iterable<string>): Promise<void> {
    return this.cache.prefetch(ids);
  }

  /** null when the webhook does not exist (deleted). */
  async get(id: string): Promise<ResolvedWebhook | null> {
    return (await this.cache.get(id)) ?? null;
  }
}

const NO_CREDENTIALS: EndpointCredentials = { headers: {}, auth: null, signingKeys: [] };

/**
 * One webhook whose secret cannot be opened (sealed with another SECRETS_ENCRYPTION_KEY,
 * or damaged) must not stop the others: it is resolved with the error instead.
 */
function resolve(doc: WebhookDoc, encryptionKey: string, now: number): ResolvedWebhook {
  const previousValid = doc.previousSecretSealed && doc.previousSecretExpiresAt && doc.previousSecretExpiresAt.getTime() > now;
  try {
    return {
      doc,
      secret: decryptSecret(doc.secretSealed, encryptionKey),
      secretError: null,
      previousSecret: previousValid ? decryptSecret(doc.previousSecretSealed!, encryptionKey) : undefined,
      credentials: openEndpointCredentials(doc, encryptionKey, now),
    };
  } catch (err) {
    // Its headers and auth are sealed like the secret: a delivery without them would be refused anyway.
    return {
      doc,
      secret: null,
      secretError: `the webhook's secret, headers or auth cannot be decrypted with SECRETS_ENCRYPTION_KEY (${(err as Error).message})`,
      previousSecret: undefined,
      credentials: NO_CREDENTIALS,
    };
  }
}
