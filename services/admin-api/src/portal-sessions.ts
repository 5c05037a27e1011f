import { COLLECTIONS } from "@agiletune/shared";
import type { Collection, Db } from "mongodb";
import { generatePortalSecret, hashToken, newId } from "./credentials.js";

/** The AgileTune user a portal session signs in, as AgileTune's backend named them. */
export type PortalUser = { id: string; name?: string | undefined; email?: string | undefined };

/**
 * A portal session as stored: never its link or token, only their SHA-256. `linkHash` is
 * there until the page exchanges the link (once), `tokenHash` from then on. Ending a
 * session deletes it; an expired one is refused at once and deleted by the retention
 * (a TTL index on `expiresAt`, or the sweeper).
 */
export type PortalSessionDoc = {
  _id: string;
  organizationId: string;
  user: PortalUser;
  readOnly: boolean;
  linkHash?: string;
  tokenHash?: string;
  createdAt: Date;
  expiresAt: Date;
};

export function portalSessionsCollection(db: Db): Collection<PortalSessionDoc> {
  return db.collection<PortalSessionDoc>(COLLECTIONS.portalSessions);
}

/** Creates a session; the link secret is returned here only, to be put in the link's fragment. */
export async function createPortalSession(
  db: Db,
  opts: { organizationId: string; user: PortalUser; readOnly: boolean; ttlSeconds: number; now: Date },
): Promise<{ doc: PortalSessionDoc; linkSecret: string }> {
  const linkSecret = generatePortalSecret("link");
  const doc: PortalSessionDoc = {
    _id: newId("ps"),
    organizationId: opts.organizationId,
    user: opts.user,
    readOnly: opts.readOnly,
    linkHash: hashToken(linkSecret),
    createdAt: opts.now,
    expiresAt: new Date(opts.now.getTime() + opts.ttlSeconds * 1000),
  };
  await portalSessionsCollection(db).insertOne(doc);
  return { doc, linkSecret };
}

/**
 * Trades a link secret for the page's session token, once: one conditional update removes
 * the link hash and sets the token's, so two pages opening the same link cannot both win.
 * Null for an unknown, used, ended or expired link.
 */
export async function exchangePortalLink(db: Db, linkSecret: string, now: Date): Promise<{ doc: PortalSessionDoc; token: string } | null> {
  const token = generatePortalSecret("token");
  const doc = await portalSessionsCollection(db).findOneAndUpdate(
    { linkHash: hashToken(linkSecret), expiresAt: { $gt: now } },
    { $unset: { linkHash: "" }, $set: { tokenHash: hashToken(token) } },
    { returnDocument: "after" },
  );
  return doc ? { doc, token } : null;
}

/** The live session a page token belongs to, or null (unknown, ended or expired). */
export function findPortalSessionByToken(db: Db, token: string, now: Date): Promise<PortalSessionDoc | null> {
  return portalSessionsCollection(db).findOne({ tokenHash: hashToken(token), expiresAt: { $gt: now } });
}

/** Ends a session at once: its link and its token stop working with the next request. */
export async function endPortalSession(db: Db, organizationId: string, id: string): Promise<boolean> {
  const { deletedCount } = await portalSessionsCollection(db).deleteOne({ _id: id, organizationId });
  return deletedCount > 0;
}
