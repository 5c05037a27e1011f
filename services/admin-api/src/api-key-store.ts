import type { Collection, Db } from "mongodb";
import { COLLECTIONS } from "@agiletune/shared";

/** An organization API key as stored: never the token, only its SHA-256. */
export type ApiKeyDoc = { _id: string; organizationId: string; tokenHash: string; createdAt: Date };

export function apiKeysCollection(db: Db): Collection<ApiKeyDoc> {
  return db.collection<ApiKeyDoc>(COLLECTIONS.apiKeys);
}
