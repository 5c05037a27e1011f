import type { Db } from "mongodb";
import { apiKeysCollection } from "./api-key-store.js";
import { constantTimeEqual, hashToken } from "./credentials.js";
import { ApiError } from "./errors.js";

/** Who is calling: the platform operator, or one organization through its API key. */
export type Principal = { kind: "operator" } | { kind: "organization"; organizationId: string; keyId: string };

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/i;

const unauthorized = (message: string) => new ApiError("unauthorized", message);

/**
 * Resolves an `Authorization` header to a principal, or throws 401. The operator token is
 * compared in constant time; organization keys are found by the SHA-256 of the token
 * (unique index) and the stored hash is compared in constant time again.
 */
export function createAuthenticator(db: Db, adminToken: string): (header: string | undefined) => Promise<Principal> {
  const keys = apiKeysCollection(db);
  return async (header) => {
    if (header === undefined || header === "") throw unauthorized("an Authorization: Bearer <token> header is required");
    const match = BEARER.exec(header);
    if (!match) throw unauthorized("the Authorization header must be Bearer <token>");
    const token = match[1]!;
    if (constantTimeEqual(token, adminToken)) return { kind: "operator" };
    const tokenHash = hashToken(token);
    const key = await keys.findOne({ tokenHash });
    if (!key || !constantTimeEqual(key.tokenHash, tokenHash)) throw unauthorized("the token is not valid");
    return { kind: "organization", organizationId: key.organizationId, keyId: key._id };
  };
}

/** 403 unless the operator. */
export function assertOperator(principal: Principal): void {
  if (principal.kind !== "operator") throw new ApiError("forbidden", "only the platform operator may do this");
}

/** 403 when an organization key reaches for another organization's path. */
export function assertOrganization(principal: Principal, organizationId: string): void {
  if (principal.kind === "organization" && principal.organizationId !== organizationId) {
    throw new ApiError("forbidden", "this API key belongs to another organization");
  }
}
