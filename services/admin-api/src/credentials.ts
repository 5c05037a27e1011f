import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Ids of our own documents: a type prefix and 96 random bits (`wh_3f2a…`). */
export function newId(prefix: "wh" | "key" | "ping" | "evt" | "ps" | "aud"): string {
  return `${prefix}_${randomBytes(12).toString("hex")}`;
}

/** A webhook secret when the caller gives none: 256 bits from the CSPRNG. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64url")}`;
}

/** An organization API key: 256 bits from the CSPRNG, shown once, stored only as its hash. */
export function generateApiToken(): string {
  return `atk_${randomBytes(32).toString("base64url")}`;
}

/** A portal link's secret (in the URL fragment, exchanged once) and the page's session token it buys: 256 bits each, stored only as hashes. */
export function generatePortalSecret(kind: "link" | "token"): string {
  return `${kind === "link" ? "psl" : "pst"}_${randomBytes(32).toString("base64url")}`;
}

/** SHA-256 of a token, hex. High-entropy tokens need no slow hash; the hash is the lookup key. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Constant-time string equality (hashes both first, so lengths never leak). */
export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a, "utf8").digest(), createHash("sha256").update(b, "utf8").digest());
}

/** What a webhook shows of its secret: the last four characters. */
export function secretHint(secret: string): string {
  return secret.slice(-4);
}
