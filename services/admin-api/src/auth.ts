import type { Db } from "mongodb";
import { apiKeysCollection } from "./api-key-store.js";
import { constantTimeEqual, hashToken } from "./credentials.js";
import { ApiError } from "./errors.js";
import { findPortalSessionByToken, type PortalUser } from "./portal-sessions.js";

/**
 * Who is calling: the platform operator, one organization through its API key, or one
 * AgileTune user of one organization through a portal session (docs/portal-and-audit.md).
 */
export type Principal =
  | { kind: "operator" }
  | { kind: "organization"; organizationId: string; keyId: string }
  | { kind: "portal"; organizationId: string; sessionId: string; user: PortalUser; readOnly: boolean; expiresAt: Date };

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/i;

const unauthorized = (message: string) => new ApiError("unauthorized", message);

/**
 * Resolves an `Authorization` header to a principal, or throws 401. The operator token is
 * compared in constant time; organization keys and portal session tokens are found by the
 * SHA-256 of the token (an index) and the stored hash is compared in constant time again.
 * A portal session is looked up on every request, so one ended or expired is refused at once.
 */
export function createAuthenticator(opts: { db: Db; adminToken: string; clock: () => Date }): (header: string | undefined) => Promise<Principal> {
  const keys = apiKeysCollection(opts.db);
  return async (header) => {
    if (header === undefined || header === "") throw unauthorized("an Authorization: Bearer <token> header is required");
    const match = BEARER.exec(header);
    if (!match) throw unauthorized("the Authorization header must be Bearer <token>");
    const token = match[1]!;
    if (constantTimeEqual(token, opts.adminToken)) return { kind: "operator" };
    const tokenHash = hashToken(token);
    if (token.startsWith("pst_")) {
      const session = await findPortalSessionByToken(opts.db, token, opts.clock());
      if (!session?.tokenHash || !constantTimeEqual(session.tokenHash, tokenHash)) throw unauthorized("this portal session has ended or expired");
      const { _id: sessionId, organizationId, user, readOnly, expiresAt } = session;
      return { kind: "portal", organizationId, sessionId, user, readOnly, expiresAt };
    }
    const key = await keys.findOne({ tokenHash });
    if (!key || !constantTimeEqual(key.tokenHash, tokenHash)) throw unauthorized("the token is not valid");
    return { kind: "organization", organizationId: key.organizationId, keyId: key._id };
  };
}

/** 403 unless the operator. */
export function assertOperator(principal: Principal): void {
  if (principal.kind !== "operator") throw new ApiError("forbidden", "only the platform operator may do this");
}

/** 403 when an organization key or portal session reaches for another organization's path. */
export function assertOrganization(principal: Principal, organizationId: string): void {
  if (principal.kind !== "operator" && principal.organizationId !== organizationId) {
    throw new ApiError("forbidden", principal.kind === "portal" ? "this portal session belongs to another organization" : "this API key belongs to another organization");
  }
}

/** 403 for a portal session: publishing is for services, with an organization key or the operator token. */
export function assertPublisher(principal: Principal): void {
  if (principal.kind === "portal") throw new ApiError("forbidden", "a portal session cannot publish events: services publish with an organization API key");
}

const READING = new Set(["GET", "HEAD", "OPTIONS"]);

/** 403 for any write by a read-only portal session: it sees everything and changes nothing. */
export function assertMayWrite(principal: Principal, method: string): void {
  if (principal.kind === "portal" && principal.readOnly && !READING.has(method)) {
    throw new ApiError("forbidden", "this portal session is read-only: it can look but not change anything");
  }
}
