import { describe, expect, it } from "vitest";
import { constantTimeEqual, generateApiToken, generateWebhookSecret, hashToken, newId, secretHint } from "./credentials.js";

describe("credentials", () => {
  it("makes unique prefixed ids and high-entropy secrets and tokens", () => {
    expect(newId("wh")).toMatch(/^wh_[0-9a-f]{24}$/);
    expect(generateWebhookSecret()).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generateApiToken()).toMatch(/^atk_[A-Za-z0-9_-]{43}$/);
    const many = new Set(Array.from({ length: 200 }, () => generateApiToken()));
    expect(many.size).toBe(200);
  });

  it("hashes tokens to hex SHA-256 and compares in constant time whatever the lengths", () => {
    expect(hashToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(constantTimeEqual("same-token", "same-token")).toBe(true);
    expect(constantTimeEqual("same-token", "same-tokeN")).toBe(false);
    expect(constantTimeEqual("short", "a much longer value")).toBe(false);
  });

  it("hints the last four characters", () => {
    expect(secretHint("whsec_abcdefWXYZ")).toBe("WXYZ");
  });
});
