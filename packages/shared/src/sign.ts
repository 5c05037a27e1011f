import { createHmac, createPublicKey, generateKeyPairSync, sign as signWith, type KeyObject } from "node:crypto";

/**
 * `X-AgileTune-Signature`: lowercase hex HMAC-SHA256 of the exact body bytes, keyed with
 * the secret string, so the user guide's `verifySignature` accepts it unchanged.
 */
export function agileTuneSignature(body: string | Buffer, secret: string): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}

/**
 * One Standard Webhooks v1 signature (`v1,<base64>`) over `id.timestamp.body`.
 * Our secrets are plain strings, so the HMAC key is the secret's UTF-8 bytes; a receiver
 * using a Standard Webhooks library passes `whsec_` + base64(secret) as its key.
 */
export function standardWebhookSignature(id: string, timestampSeconds: number, body: string | Buffer, secret: string): string {
  const mac = createHmac("sha256", secret).update(`${id}.${timestampSeconds}.`).update(body).digest("base64");
  return `v1,${mac}`;
}

export type SignatureHeaders = {
  "x-agiletune-signature": string;
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
};

/**
 * The signature headers of docs/delivery.md#the-request. During a rotation `previousSecret` is given and
 * `webhook-signature` carries both signatures, space-separated, as Standard Webhooks allows.
 */
export function signatureHeaders(opts: {
  deliveryId: string;
  body: string | Buffer;
  secret: string;
  previousSecret?: string | undefined;
  /** Ed25519 private keys (the current one first, then the previous one during a rotation): each adds a `v1a,` signature. */
  signingKeys?: readonly KeyObject[] | undefined;
  nowSeconds: number;
}): SignatureHeaders {
  const { deliveryId, body, secret, previousSecret, nowSeconds } = opts;
  const signatures = [standardWebhookSignature(deliveryId, nowSeconds, body, secret)];
  if (previousSecret) signatures.push(standardWebhookSignature(deliveryId, nowSeconds, body, previousSecret));
  for (const key of opts.signingKeys ?? []) signatures.push(ed25519Signature(deliveryId, nowSeconds, body, key));
  return {
    "x-agiletune-signature": agileTuneSignature(body, secret),
    "webhook-id": deliveryId,
    "webhook-timestamp": String(nowSeconds),
    "webhook-signature": signatures.join(" "),
  };
}

/** Standard Webhooks' asymmetric signature (`v1a,<base64>`): Ed25519 over `id.timestamp.body`. */
export function ed25519Signature(id: string, timestampSeconds: number, body: string | Buffer, privateKey: KeyObject): string {
  const content = Buffer.concat([Buffer.from(`${id}.${timestampSeconds}.`, "utf8"), typeof body === "string" ? Buffer.from(body, "utf8") : body]);
  return `v1a,${signWith(null, content, privateKey).toString("base64")}`;
}

/** Prefix of a published Ed25519 public key: `whpk_` + base64 of its 32 raw bytes, as Standard Webhooks writes it. */
const PUBLIC_KEY_PREFIX = "whpk_";

/** A fresh Ed25519 pair: the private key as PKCS#8 PEM (to be sealed), the public key as `whpk_…`. */
export function generateSigningKeyPair(): { privateKeyPem: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), publicKey: publishedPublicKey(publicKey) };
}

function publishedPublicKey(key: KeyObject): string {
  const jwk = key.export({ format: "jwk" });
  return PUBLIC_KEY_PREFIX + Buffer.from(jwk.x!, "base64url").toString("base64");
}

/** The KeyObject of a published `whpk_…` key, for verifying `v1a,` signatures with node:crypto's `verify(null, …)`. */
export function publicKeyFromPublished(published: string): KeyObject {
  if (!published.startsWith(PUBLIC_KEY_PREFIX)) throw new Error(`a published public key starts with ${PUBLIC_KEY_PREFIX}`);
  const x = Buffer.from(published.slice(PUBLIC_KEY_PREFIX.length), "base64").toString("base64url");
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
}
