/** The guide's check of a `v1a` (Ed25519) signature; test/endpoint-auth.int.test.ts runs it against a real delivery. */
export const VERIFY_ED25519_SNIPPET = `import crypto from "crypto";

function verifyEd25519(headers: Record<string, string>, payload: string, publicKey: string) {
  const key = crypto.createPublicKey({
    key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(publicKey.slice("whpk_".length), "base64").toString("base64url") },
    format: "jwk",
  });
  const signed = Buffer.from(\`\${headers["webhook-id"]}.\${headers["webhook-timestamp"]}.\${payload}\`);
  return headers["webhook-signature"]
    .split(" ")
    .filter((s) => s.startsWith("v1a,"))
    .some((s) => crypto.verify(null, signed, key, Buffer.from(s.slice(4), "base64")));
}`;
