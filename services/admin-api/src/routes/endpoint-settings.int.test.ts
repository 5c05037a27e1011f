import { decryptSecret, webhooksCollection } from "@agiletune/shared";
import { makeTestCertificates, apiTest as test } from "@agiletune/testing";
import { expect } from "vitest";

// CONTRACT §11: custom headers, endpoint auth and ed25519 through the API. The harness fails a
// test whose answers show any value sent as a header or auth secret (api-harness.ts secretsSent).

const ORG = "/v1/organizations/org_a/webhooks";
const hook = { url: "https://hooks.example.com/in", contentType: "json", events: ["task.created"] };

test("headers: hinted in answers, sealed at rest, PATCH sets, removes with null and keeps the rest", async ({ api, mongo }) => {
  const created = await api.request("POST", ORG, { body: { ...hook, headers: { "X-Api-Key": "key-0123456789-WXYZ", "X-Short": "tiny" } } });
  expect(created.status).toBe(201);
  // A value under 8 characters shows none of them.
  expect(created.json.headers).toEqual({ "X-Api-Key": "…WXYZ", "X-Short": "…" });
  const id = created.json.id as string;
  const stored = (await webhooksCollection(mongo.db).findOne({ _id: id }))!;
  expect(stored.headers!.map((h) => [h.name, decryptSecret(h.valueSealed, api.encryptionKey)])).toEqual([
    ["X-Api-Key", "key-0123456789-WXYZ"],
    ["X-Short", "tiny"],
  ]);

  const patched = await api.request("PATCH", `${ORG}/${id}`, { body: { headers: { "x-short": null, "X-Tenant": "tenant-000000000042" } } });
  expect(patched.json.headers).toEqual({ "X-Api-Key": "…WXYZ", "X-Tenant": "…0042" });
  const other = await api.request("PATCH", `${ORG}/${id}`, { body: { description: "kept" } });
  expect(other.json.headers).toEqual({ "X-Api-Key": "…WXYZ", "X-Tenant": "…0042" });

  const many = Object.fromEntries(Array.from({ length: 19 }, (_, i) => [`X-H${i}`, "v"]));
  const tooMany = await api.request("PATCH", `${ORG}/${id}`, { body: { headers: many } });
  expect([tooMany.status, tooMany.json.error.details]).toEqual([422, [{ field: "headers", message: "must leave at most 20 headers (this change leaves 21)" }]]);
  const createdTooMany = await api.request("POST", ORG, { body: { ...hook, headers: { ...many, a: "1", b: "2" } } });
  expect(createdTooMany.json.error.details).toEqual([{ field: "headers", message: "must have at most 20 headers" }]);
});

test("headers: reserved, malformed and duplicate names and bad values are 422s naming the header", async ({ api }) => {
  for (const name of ["Authorization", "content-type", "Host", "traceparent", "X-AgileTune-Event", "webhook-signature", "Transfer-Encoding"]) {
    const res = await api.request("POST", ORG, { body: { ...hook, headers: { [name]: "x" } } });
    expect([res.status, res.json.error.details]).toEqual([422, [{ field: `headers.${name}`, message: "is reserved: deliveries set it themselves (use auth for Authorization)" }]]);
  }
  const badName = await api.request("POST", ORG, { body: { ...hook, headers: { "X Api": "x" } } });
  expect(badName.json.error.details[0].field).toBe("headers.X Api");
  const twice = await api.request("POST", ORG, { body: { ...hook, headers: { "X-A": "1", "x-a": "2" } } });
  expect(twice.json.error.details).toEqual([{ field: "headers.x-a", message: "is given twice (header names ignore case)" }]);
  const badValue = await api.request("POST", ORG, { body: { ...hook, headers: { "X-A": "line\nbreak" } } });
  expect(badValue.json.error.details).toEqual([{ field: "headers.X-A", message: "must be printable ASCII" }]);
  const long = await api.request("POST", ORG, { body: { ...hook, headers: { "X-A": "v".repeat(1025) } } });
  expect(long.json.error.details).toEqual([{ field: "headers.X-A", message: "must be at most 1024 characters" }]);
});

test("auth: shown without its secret; PATCH may leave a secret out to keep it; null removes it; a private tokenUrl is refused", async ({ api, mongo }) => {
  const oauth = { type: "oauth2", tokenUrl: "https://hooks.example.com/oauth/token", clientId: "client-1", clientSecret: "oauth-client-secret-123456" };
  const created = await api.request("POST", ORG, { body: { ...hook, auth: oauth } });
  expect(created.json.auth).toEqual({ type: "oauth2", tokenUrl: oauth.tokenUrl, clientId: "client-1", scope: null, audience: null });
  const id = created.json.id as string;
  const sealed = () => webhooksCollection(mongo.db).findOne({ _id: id });
  const before = (await sealed())!.auth;

  const scoped = await api.request("PATCH", `${ORG}/${id}`, { body: { auth: { type: "oauth2", tokenUrl: oauth.tokenUrl, clientId: "client-1", scope: "hooks" } } });
  expect(scoped.json.auth).toMatchObject({ scope: "hooks" });
  expect((await sealed())!.auth).toMatchObject({ clientSecretSealed: (before as { clientSecretSealed: string }).clientSecretSealed });
  // Another type needs its own secret.
  const noPassword = await api.request("PATCH", `${ORG}/${id}`, { body: { auth: { type: "basic", username: "u" } } });
  expect([noPassword.status, noPassword.json.error.details]).toEqual([422, [{ field: "auth.password", message: "is required" }]]);
  const basic = await api.request("PATCH", `${ORG}/${id}`, { body: { auth: { type: "basic", username: "u", password: "basic-password-0000" } } });
  expect(basic.json.auth).toEqual({ type: "basic", username: "u" });
  const bearer = await api.request("PATCH", `${ORG}/${id}`, { body: { auth: { type: "bearer", token: "bearer-token-00000000" } } });
  expect(bearer.json.auth).toEqual({ type: "bearer" });
  const none = await api.request("PATCH", `${ORG}/${id}`, { body: { auth: null } });
  expect(none.json.auth).toBeNull();
  expect((await sealed())!.auth).toBeNull();

  const privateToken = await api.request("POST", ORG, { body: { ...hook, auth: { ...oauth, tokenUrl: "http://10.0.0.5/token" } } });
  expect([privateToken.status, privateToken.json.error.details[0].field]).toEqual([422, "auth.tokenUrl"]);
  const patchedPrivate = await api.request("PATCH", `${ORG}/${id}`, { body: { auth: { ...oauth, tokenUrl: "https://internal.example.com/token" } } });
  expect([patchedPrivate.status, patchedPrivate.json.error.details[0].field]).toEqual([422, "auth.tokenUrl"]);
  const badType = await api.request("POST", ORG, { body: { ...hook, auth: { type: "digest" } } });
  expect(badType.json.error.details).toEqual([{ field: "auth.type", message: "must be an object whose type is one of basic, bearer, oauth2, mtls" }]);
});

test("mtls: a certificate and its key are accepted, a key of another pair or a non-PEM is a 422", async ({ api }) => {
  const certs = await makeTestCertificates("hooks-client");
  const ok = await api.request("POST", ORG, { body: { ...hook, auth: { type: "mtls", certificate: certs.client.certificate, privateKey: certs.client.privateKey } } });
  expect(ok.json.auth).toMatchObject({ type: "mtls", certificateSubject: "CN=hooks-client" });
  expect(Date.parse(ok.json.auth.certificateExpiresAt)).toBeGreaterThan(Date.now());
  const stray = await api.request("POST", ORG, { body: { ...hook, auth: { type: "mtls", certificate: certs.client.certificate, privateKey: certs.strayPrivateKey } } });
  expect(stray.json.error.details).toEqual([{ field: "auth.privateKey", message: "does not match the certificate" }]);
  const notPem = await api.request("POST", ORG, { body: { ...hook, auth: { type: "mtls", certificate: "not a certificate", privateKey: certs.client.privateKey } } });
  expect(notPem.json.error.details).toEqual([{ field: "auth.certificate", message: "is not a PEM certificate" }]);
  // A new certificate needs its key given again.
  const other = await makeTestCertificates("other-client");
  const newCert = await api.request("PATCH", `${ORG}/${ok.json.id}`, { body: { auth: { type: "mtls", certificate: other.client.certificate } } });
  expect(newCert.json.error.details).toEqual([{ field: "auth.privateKey", message: "is required with a new certificate" }]);
});

test("ed25519: a public key while on, a new one at each rotation, none once off", async ({ api, mongo }) => {
  const created = await api.request("POST", ORG, { body: { ...hook, ed25519: true } });
  expect(created.json).toMatchObject({ ed25519: true, signingPublicKey: expect.stringMatching(/^whpk_/) });
  const id = created.json.id as string;
  const rotated = await api.request("POST", `${ORG}/${id}/secret/rotate`);
  expect(rotated.json.signingPublicKey).not.toBe(created.json.signingPublicKey);
  const stored = (await webhooksCollection(mongo.db).findOne({ _id: id }))!.signingKey!;
  expect(stored.previousPrivateKeySealed).not.toBeNull();
  const off = await api.request("PATCH", `${ORG}/${id}`, { body: { ed25519: false } });
  expect(off.json).toMatchObject({ ed25519: false, signingPublicKey: null });
  const plain = await api.request("POST", ORG, { body: hook });
  expect(plain.json).toMatchObject({ ed25519: false, signingPublicKey: null, headers: {}, auth: null });
  const on = await api.request("PATCH", `${ORG}/${plain.json.id}`, { body: { ed25519: true } });
  expect(on.json.signingPublicKey).toMatch(/^whpk_/);
  // Turning it on again keeps the key receivers already have.
  const again = await api.request("PATCH", `${ORG}/${plain.json.id}`, { body: { ed25519: true } });
  expect(again.json.signingPublicKey).toBe(on.json.signingPublicKey);
});
