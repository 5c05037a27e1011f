import { createHmac } from "node:crypto";

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
export function signatureHeaders(opts: { deliveryId: string; body: string | Buffer; secret: string; previousSecret?: string | undefined; nowSeconds: number }): SignatureHeaders {
  const { deliveryId, body, secret, previousSecret, nowSeconds } = opts;
  const signatures = [standardWebhookSignature(deliveryId, nowSeconds, body, secret)];
  if (previousSecret) signatures.push(standardWebhookSignature(deliveryId, nowSeconds, body, previousSecret));
  return {
    "x-agiletune-signature": agileTuneSignature(body, secret),
    "webhook-id": deliveryId,
    "webhook-timestamp": String(nowSeconds),
    "webhook-signature": signatures.join(" "),
  };
}
