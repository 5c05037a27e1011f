import { createHash, createPrivateKey, type KeyObject } from "node:crypto";
import { decryptSecret, type WebhookDoc } from "@agiletune/shared";

/** A webhook's endpoint authentication, opened for use. `fingerprint` changes whenever any of its fields does. */
export type OpenedAuth =
  | { type: "authorization"; value: string }
  | { type: "oauth2"; tokenUrl: string; clientId: string; clientSecret: string; scope: string | null; audience: string | null; fingerprint: string }
  | { type: "mtls"; certificate: string; privateKey: string; fingerprint: string };

/** What a delivery adds to its request beyond our own headers and HMAC signatures. */
export type EndpointCredentials = {
  headers: Record<string, string>;
  auth: OpenedAuth | null;
  /** Ed25519 keys signing `v1a,`: the current one, then the previous one until the previous secret expires. */
  signingKeys: KeyObject[];
};

const NONE: EndpointCredentials = { headers: {}, auth: null, signingKeys: [] };

function fingerprint(...parts: Array<string | null>): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("base64url");
}

/** Opens a webhook's sealed headers, auth and signing keys as of `nowMs`. Throws when one cannot be decrypted. */
export function openEndpointCredentials(doc: WebhookDoc, encryptionKey: string, nowMs: number): EndpointCredentials {
  if (!doc.headers?.length && !doc.auth && !doc.signingKey) return NONE;
  const open = (sealed: string) => decryptSecret(sealed, encryptionKey);
  const headers = Object.fromEntries((doc.headers ?? []).map((h) => [h.name, open(h.valueSealed)]));
  const signingKeys: KeyObject[] = [];
  if (doc.signingKey) {
    signingKeys.push(createPrivateKey(open(doc.signingKey.privateKeySealed)));
    // The previous key signs as long as the previous secret does.
    const previousValid = doc.previousSecretExpiresAt !== null && doc.previousSecretExpiresAt.getTime() > nowMs;
    if (previousValid && doc.signingKey.previousPrivateKeySealed) signingKeys.push(createPrivateKey(open(doc.signingKey.previousPrivateKeySealed)));
  }
  return { headers, auth: openAuth(doc.auth ?? null, open), signingKeys };
}

function openAuth(auth: WebhookDoc["auth"], open: (sealed: string) => string): OpenedAuth | null {
  switch (auth?.type) {
    case undefined:
      return null;
    case "basic":
      return { type: "authorization", value: `Basic ${Buffer.from(`${auth.username}:${open(auth.passwordSealed)}`, "utf8").toString("base64")}` };
    case "bearer":
      return { type: "authorization", value: `Bearer ${open(auth.tokenSealed)}` };
    case "oauth2": {
      const clientSecret = open(auth.clientSecretSealed);
      return { ...auth, clientSecret, fingerprint: fingerprint(auth.tokenUrl, auth.clientId, clientSecret, auth.scope, auth.audience) };
    }
    case "mtls": {
      const privateKey = open(auth.privateKeySealed);
      return { type: "mtls", certificate: auth.certificate, privateKey, fingerprint: fingerprint(auth.certificate, privateKey) };
    }
  }
}
