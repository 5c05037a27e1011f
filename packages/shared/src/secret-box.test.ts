import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret, generateEncryptionKey } from "./secret-box.js";

describe("secrets at rest", () => {
  const key = generateEncryptionKey();

  it("round-trips and never stores the plaintext", () => {
    const sealed = encryptSecret("my-webhook-secret-123", key);
    expect(sealed).not.toContain("my-webhook-secret-123");
    expect(decryptSecret(sealed, key)).toBe("my-webhook-secret-123");
    expect(encryptSecret("my-webhook-secret-123", key)).not.toBe(sealed);
  });

  it("refuses another key and tampered ciphertext", () => {
    const sealed = encryptSecret("my-webhook-secret-123", key);
    expect(() => decryptSecret(sealed, generateEncryptionKey())).toThrow();
    const parts = sealed.split(".");
    parts[3] = Buffer.from("tampered!").toString("base64url");
    expect(() => decryptSecret(parts.join("."), key)).toThrow();
  });
});
