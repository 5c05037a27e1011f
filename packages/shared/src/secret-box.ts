import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Webhook secrets at rest: AES-256-GCM with a random 96-bit IV per value, stored as
 * `v1.<iv>.<tag>.<ciphertext>` (base64url). The version prefix leaves room for key rotation.
 */
export function encryptSecret(plaintext: string, keyBase64: string): string {
  const key = decodeKey(keyBase64);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), ciphertext].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
}

export function decryptSecret(sealed: string, keyBase64: string): string {
  const [version, iv, tag, ciphertext] = sealed.split(".");
  if (version !== "v1" || iv === undefined || tag === undefined || ciphertext === undefined) {
    throw new Error("sealed secret has an unknown format");
  }
  const decipher = createDecipheriv("aes-256-gcm", decodeKey(keyBase64), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
}

function decodeKey(keyBase64: string): Buffer {
  const key = Buffer.from(keyBase64, "base64");
  if (key.length !== 32) throw new Error("encryption key must be 32 bytes");
  return key;
}

/** A fresh key in the format `SECRETS_ENCRYPTION_KEY` expects. */
export function generateEncryptionKey(): string {
  return randomBytes(32).toString("base64");
}
