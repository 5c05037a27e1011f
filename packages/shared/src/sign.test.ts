import { createHmac, createPrivateKey, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildDeliveryBody } from "./delivery-job.js";
import { verifySignature } from "./fixtures/user-guide-verify-signature.js";
import { agileTuneSignature, generateSigningKeyPair, publicKeyFromPublished, signatureHeaders, standardWebhookSignature } from "./sign.js";

/** The guide's function throws (RangeError) when lengths differ; a receiver treats that as a rejection. */
function guideAccepts(payload: string, signature: string, secret: string): boolean {
  try {
    return verifySignature(payload, signature, secret);
  } catch {
    return false;
  }
}

const secret = "whsec-test-0123456789abcdef";
const { body } = buildDeliveryBody({ event: "task.updated", timestamp: "2026-03-20T12:00:00Z", data: { id: "tsk_abc123", title: "Implement login page ✓", status: "in_progress" } }, "json");

describe("X-AgileTune-Signature", () => {
  it("is accepted by the user guide's verifySignature", () => {
    expect(guideAccepts(body, agileTuneSignature(body, secret), secret)).toBe(true);
  });

  it("is lowercase hex of HMAC-SHA256 over the exact body", () => {
    const signature = agileTuneSignature(body, secret);
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    expect(signature).toBe(createHmac("sha256", Buffer.from(secret, "utf8")).update(Buffer.from(body, "utf8")).digest("hex"));
  });

  it("is rejected for a changed body, a changed secret and a truncated signature", () => {
    const signature = agileTuneSignature(body, secret);
    expect(guideAccepts(body.replace("in_progress", "done"), signature, secret)).toBe(false);
    expect(guideAccepts(body, signature, `${secret}x`)).toBe(false);
    expect(guideAccepts(body, signature.slice(0, 63), secret)).toBe(false);
    expect(guideAccepts(body, signature.slice(0, 32), secret)).toBe(false);
  });

  it("signs form bodies as sent", () => {
    const form = buildDeliveryBody({ event: "task.created", timestamp: "2026-03-20T12:00:00Z", data: { title: "a&b=c" } }, "form");
    expect(form.body.startsWith("payload=")).toBe(true);
    expect(JSON.parse(decodeURIComponent(form.body.slice("payload=".length)))).toEqual({ event: "task.created", timestamp: "2026-03-20T12:00:00Z", data: { title: "a&b=c" } });
    expect(guideAccepts(form.body, agileTuneSignature(form.body, secret), secret)).toBe(true);
  });
});

describe("Standard Webhooks headers", () => {
  it("sign id.timestamp.body with the secret's bytes, v1 base64", () => {
    const headers = signatureHeaders({ deliveryId: "dlv_1", body, secret, nowSeconds: 1_700_000_000 });
    const expected = createHmac("sha256", secret).update(`dlv_1.1700000000.${body}`).digest("base64");
    expect(headers["webhook-signature"]).toBe(`v1,${expected}`);
    expect(headers["webhook-id"]).toBe("dlv_1");
    expect(headers["webhook-timestamp"]).toBe("1700000000");
    expect(headers["x-agiletune-signature"]).toBe(agileTuneSignature(body, secret));
  });

  it("carry both signatures during a rotation, the new one first", () => {
    const headers = signatureHeaders({ deliveryId: "dlv_1", body, secret: "new-secret-0123456789", previousSecret: secret, nowSeconds: 5 });
    expect(headers["webhook-signature"].split(" ")).toEqual([standardWebhookSignature("dlv_1", 5, body, "new-secret-0123456789"), standardWebhookSignature("dlv_1", 5, body, secret)]);
    // X-AgileTune-Signature has room for one signature: the current secret's.
    expect(headers["x-agiletune-signature"]).toBe(agileTuneSignature(body, "new-secret-0123456789"));
  });
});

describe("v1a (Ed25519)", () => {
  it("verifies with node:crypto from the published whpk_ key, follows the v1 signatures, and fails for another body", () => {
    const pair = generateSigningKeyPair();
    const privateKey = createPrivateKey(pair.privateKeyPem);
    const headers = signatureHeaders({ deliveryId: "dlv_1", body, secret, previousSecret: "an-older-secret-0123", signingKeys: [privateKey], nowSeconds: 1_700_000_000 });
    const parts = headers["webhook-signature"].split(" ");
    expect(parts.map((p) => p.split(",")[0])).toEqual(["v1", "v1", "v1a"]);
    const signature = Buffer.from(parts[2]!.slice("v1a,".length), "base64");
    const publicKey = publicKeyFromPublished(pair.publicKey);
    expect(verify(null, Buffer.from(`dlv_1.1700000000.${body}`), publicKey, signature)).toBe(true);
    expect(verify(null, Buffer.from(`dlv_1.1700000000.${body} `), publicKey, signature)).toBe(false);
    expect(headers["x-agiletune-signature"]).toBe(agileTuneSignature(body, secret));
  });
});
