import { X509Certificate } from "node:crypto";
import { encryptSecret, generateSigningKeyPair, type StoredEndpointAuth, type StoredHeader, type StoredSigningKey, type WebhookDoc } from "@agiletune/shared";
import { z } from "zod";
import { validationFailed } from "./errors.js";
import { MAX_CUSTOM_HEADERS, type EndpointAuthInput, type EndpointAuthPatch } from "./endpoint-settings-schemas.js";
import { isoDateTime } from "./views.js";

/** Custom headers, endpoint auth and the Ed25519 key: sealed for storage, merged for a PATCH, shown without their secrets. */

/** Values shorter than this show no characters at all: their last four would give away too much. */
const HINTED_VALUE_MIN_LENGTH = 8;

function sealHeader(name: string, value: string, key: string): StoredHeader {
  return { name, valueSealed: encryptSecret(value, key), hint: value.length >= HINTED_VALUE_MIN_LENGTH ? value.slice(-4) : "" };
}

export function sealHeaders(headers: Record<string, string>, key: string): StoredHeader[] {
  return Object.entries(headers).map(([name, value]) => sealHeader(name, value, key));
}

/** A PATCH's headers over the stored ones: a string sets one, null removes it, names not given are kept (names ignore case). */
export function patchHeaders(stored: readonly StoredHeader[], patch: Record<string, string | null>, key: string): StoredHeader[] {
  const byName = new Map(stored.map((h) => [h.name.toLowerCase(), h]));
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) byName.delete(name.toLowerCase());
    else byName.set(name.toLowerCase(), sealHeader(name, value, key));
  }
  if (byName.size > MAX_CUSTOM_HEADERS) throw validationFailed([{ field: "headers", message: `must leave at most ${MAX_CUSTOM_HEADERS} headers (this change leaves ${byName.size})` }]);
  return [...byName.values()];
}

/**
 * The auth to store. In a PATCH a secret left out keeps the stored one of the same type;
 * with no such stored secret it is required (422).
 */
export function sealAuth(input: EndpointAuthInput | EndpointAuthPatch, stored: StoredEndpointAuth | null, key: string): StoredEndpointAuth | null {
  if (input === null) return null;
  const same = stored?.type === input.type ? stored : null;
  const seal = (field: string, value: string | undefined, kept: string | undefined): string => {
    if (value !== undefined) return encryptSecret(value, key);
    if (kept !== undefined) return kept;
    throw validationFailed([{ field: `auth.${field}`, message: "is required" }]);
  };
  switch (input.type) {
    case "basic":
      return { type: "basic", username: input.username, passwordSealed: seal("password", input.password, same?.type === "basic" ? same.passwordSealed : undefined) };
    case "bearer":
      return { type: "bearer", tokenSealed: seal("token", input.token, same?.type === "bearer" ? same.tokenSealed : undefined) };
    case "oauth2":
      return {
        type: "oauth2",
        tokenUrl: input.tokenUrl,
        clientId: input.clientId,
        clientSecretSealed: seal("clientSecret", input.clientSecret, same?.type === "oauth2" ? same.clientSecretSealed : undefined),
        scope: input.scope ?? null,
        audience: input.audience ?? null,
      };
    case "mtls": {
      const kept = same?.type === "mtls" ? same : undefined;
      // A kept key must still match the certificate given now.
      if (input.privateKey === undefined && kept && kept.certificate !== input.certificate) throw validationFailed([{ field: "auth.privateKey", message: "is required with a new certificate" }]);
      return { type: "mtls", certificate: input.certificate, privateKeySealed: seal("privateKey", input.privateKey, kept?.privateKeySealed) };
    }
  }
}

export function newSigningKey(key: string): StoredSigningKey {
  const pair = generateSigningKeyPair();
  return { publicKey: pair.publicKey, privateKeySealed: encryptSecret(pair.privateKeyPem, key), previousPrivateKeySealed: null };
}

/** At a secret rotation: a new pair, the old private key kept to sign beside it until the previous secret expires. */
export function rotatedSigningKey(current: StoredSigningKey, key: string): StoredSigningKey {
  return { ...newSigningKey(key), previousPrivateKeySealed: current.privateKeySealed };
}

const authViewSchema = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("basic"), username: z.string() }),
    z.strictObject({ type: z.literal("bearer") }),
    z.strictObject({ type: z.literal("oauth2"), tokenUrl: z.string(), clientId: z.string(), scope: z.string().nullable(), audience: z.string().nullable() }),
    z.strictObject({
      type: z.literal("mtls"),
      certificateSubject: z.string().meta({ description: "the client certificate's subject" }),
      certificateExpiresAt: isoDateTime.meta({ description: "the client certificate's notAfter" }),
    }),
  ])
  .nullable()
  .meta({ id: "EndpointAuth", description: "how deliveries authenticate to the endpoint, without its secret; null: not at all" });

/** The fields endpoint settings add to the webhook shape. */
export const endpointSettingsViewShape = {
  headers: z.record(z.string(), z.string()).meta({ description: 'custom header names, each value shown as "…" and its last four characters' }),
  auth: authViewSchema,
  ed25519: z.boolean().meta({ description: "deliveries also carry a v1a Ed25519 signature" }),
  signingPublicKey: z.string().nullable().meta({ description: "whpk_ and the base64 Ed25519 public key verifying v1a signatures; null unless ed25519" }),
};

type AuthView = z.output<typeof authViewSchema>;

function authView(auth: StoredEndpointAuth | null | undefined): AuthView {
  switch (auth?.type) {
    case undefined:
      return null;
    case "basic":
      return { type: "basic", username: auth.username };
    case "bearer":
      return { type: "bearer" };
    case "oauth2":
      return { type: "oauth2", tokenUrl: auth.tokenUrl, clientId: auth.clientId, scope: auth.scope, audience: auth.audience };
    case "mtls":
      return { type: "mtls", ...certificateFacts(auth.certificate) };
  }
}

/** Checked at creation; a stored certificate that no longer parses is shown as such rather than failing every read of its webhook. */
function certificateFacts(pem: string): { certificateSubject: string; certificateExpiresAt: string } {
  try {
    const cert = new X509Certificate(pem);
    return { certificateSubject: cert.subject.replaceAll("\n", ", "), certificateExpiresAt: new Date(cert.validTo).toISOString() };
  } catch {
    return { certificateSubject: "(unreadable certificate)", certificateExpiresAt: new Date(0).toISOString() };
  }
}

export function endpointSettingsView(doc: WebhookDoc) {
  return {
    headers: Object.fromEntries((doc.headers ?? []).map((h) => [h.name, `…${h.hint}`])),
    auth: authView(doc.auth),
    ed25519: Boolean(doc.signingKey),
    signingPublicKey: doc.signingKey?.publicKey ?? null,
  };
}
