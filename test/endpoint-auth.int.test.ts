// Endpoint headers and authentication (docs/endpoint-authentication.md) end to end, against
// real peers on loopback: oidc-provider as the OAuth 2.0 authorization server, an https
// receiver that requires a client certificate made at test time, and Ed25519 signatures
// checked with node:crypto from the published key. Every test ends by looking for the
// secrets it configured in every API answer, every recorded attempt and every log line.
import { verify } from "node:crypto";
import { createRequire } from "node:module";
import { deliveriesCollection, generateEncryptionKey, loadAttempts, publicKeyFromPublished, REDACTED, webhooksCollection, type AttemptRecord, type Logger } from "@agiletune/shared";
import { capturingLogger, domainEvent, makeTestCertificates, pipelineTest, startMtlsReceiver, startOAuthServer } from "@agiletune/testing";
import { startTestApi, type TestApi } from "@agiletune/testing/harness";
import type { Db } from "mongodb";
import { transformSync } from "esbuild";
import { expect } from "vitest";
import { VERIFY_ED25519_SNIPPET } from "../packages/console/src/snippets.js";
import { verifySignature } from "../packages/shared/src/fixtures/user-guide-verify-signature.js";

type Fixtures = { logLines: string[]; api: TestApi; encryptionKey: string };

const test = pipelineTest.extend<Fixtures & { logger: Logger }>({
  // eslint-disable-next-line no-empty-pattern
  logLines: async ({}, use) => {
    await use([]);
  },
  // Every line the services log, at debug level and unredacted.
  logger: async ({ logLines }, use) => {
    await use(capturingLogger("debug", logLines).logger);
  },
  // Shared by the admin API that seals and the dispatcher that opens.
  // eslint-disable-next-line no-empty-pattern
  encryptionKey: async ({}, use) => {
    await use(generateEncryptionKey());
  },
  // Closing it fails the test if an answer broke the OpenAPI document or showed a secret.
  api: async ({ mongo, kafka, topics, encryptionKey }, use) => {
    const api = await startTestApi({ db: mongo.db, kafka, topics, encryptionKey, allowPrivateUrls: true });
    await use(api);
    await api.close();
  },
});

const ORG = "org_1";
const hooks = `/v1/organizations/${ORG}/webhooks`;

type VerifyEd25519 = (headers: Record<string, string>, payload: string, publicKey: string) => boolean;
/** The guide page's snippet, as a receiver would paste it (compiled from TypeScript). */
function guideVerifyEd25519(): VerifyEd25519 {
  const { code } = transformSync(VERIFY_ED25519_SNIPPET, { loader: "ts", format: "cjs" });
  return new Function("require", `${code}\nreturn verifyEd25519;`)(createRequire(import.meta.url)) as VerifyEd25519;
}

async function attemptsOf(db: Db): Promise<AttemptRecord[]> {
  const entries = await deliveriesCollection(db).find().toArray();
  return (await Promise.all(entries.map((e) => loadAttempts(db, e)))).flat();
}

/** No secret in an API answer (but the one create/rotate answer that issues the webhook secret), a recorded attempt or a log line. */
async function expectNoSecretAnywhere(secrets: string[], where: { api: TestApi; db: Db; logLines: string[] }): Promise<void> {
  const answers = where.api.captured.map((c) => c.response.text.replace(/"secret":"[^"]*"/, ""));
  const attempts = JSON.stringify(await attemptsOf(where.db));
  const logs = [...where.logLines, ...where.api.logLines];
  for (const secret of secrets) {
    expect(
      answers.filter((a) => a.includes(secret)),
      `API answers showing ${secret.slice(0, 6)}…`,
    ).toEqual([]);
    expect(attempts.includes(secret), `recorded attempts showing ${secret.slice(0, 6)}…`).toBe(false);
    expect(
      logs.filter((l) => l.includes(secret)),
      `log lines showing ${secret.slice(0, 6)}…`,
    ).toEqual([]);
  }
}

test("oauth2: one token for 100 deliveries and one more after a 401, sent beside a custom header, neither recorded", async ({ api, mongo, logLines, encryptionKey, startPipeline, startReceiver }) => {
  const client = { clientId: "agiletune-deliveries", clientSecret: "client-secret-0123456789-abcdef" };
  const oauth = await startOAuthServer({ clients: [client], scope: "webhooks", tokenTtlSeconds: 3600 });
  try {
    // Deliveries with a token the receiver revoked are refused; the 50th request revokes its token.
    const revoked = new Set<string>();
    const receiver = await startReceiver((req, count) => {
      const token = String(req.headers.authorization ?? "");
      if (count === 50) revoked.add(token);
      return revoked.has(token) ? { status: 401 } : { status: 200 };
    });
    const pipeline = await startPipeline({ encryptionKey });
    const apiKey = "api-key-value-abcdefghijklmnop";
    const created = await api.request("POST", hooks, {
      body: {
        url: receiver.url("/oauth"),
        contentType: "json",
        events: ["*"],
        headers: { "X-Api-Key": apiKey },
        auth: { type: "oauth2", tokenUrl: oauth.tokenUrl, clientId: client.clientId, clientSecret: client.clientSecret, scope: "webhooks" },
      },
    });
    expect(created.status).toBe(201);
    expect(created.json.headers).toEqual({ "X-Api-Key": "…mnop" });
    expect(created.json.auth).toEqual({ type: "oauth2", tokenUrl: oauth.tokenUrl, clientId: client.clientId, scope: "webhooks", audience: null });
    await new Promise((r) => setTimeout(r, 100));

    await pipeline.produceEvents(Array.from({ length: 100 }, () => domainEvent({ organizationId: ORG })));
    await expect.poll(() => deliveriesCollection(mongo.db).countDocuments({ status: "succeeded" }), { timeout: 30_000 }).toBe(100);
    await pipeline.waitUntilIdle();

    // One token before the 401, one after it, whatever the concurrency of the deliveries.
    expect(oauth.tokenRequests()).toBe(2);
    const tokens = new Set(receiver.requests.map((r) => String(r.headers.authorization)));
    expect(tokens.size).toBe(2);
    for (const header of tokens) {
      expect(header).toMatch(/^Bearer /);
      expect(await oauth.issued(header.slice("Bearer ".length), client.clientId)).toBe(true);
    }
    expect(receiver.requests.every((r) => r.headers["x-api-key"] === apiKey)).toBe(true);
    // The refused ones went on the ladder and arrived with the new token.
    expect(receiver.requests.filter((r) => revoked.has(String(r.headers.authorization))).length).toBeGreaterThanOrEqual(1);

    const attempts = await attemptsOf(mongo.db);
    expect(attempts.length).toBe(receiver.requests.length);
    for (const a of attempts) expect(a.request.headers).toMatchObject({ authorization: REDACTED, "X-Api-Key": REDACTED });
    await expectNoSecretAnywhere([apiKey, client.clientSecret, ...[...tokens].map((t) => t.slice("Bearer ".length))], { api, db: mongo.db, logLines });
  } finally {
    await oauth.close();
  }
});

test("oauth2: a token endpoint refusing the client is a failed attempt naming its answer, retried on the ladder, and opens the circuit", async ({
  api,
  mongo,
  logLines,
  encryptionKey,
  startPipeline,
  startReceiver,
}) => {
  const oauth = await startOAuthServer({ clients: [{ clientId: "known", clientSecret: "the-right-secret-0123456789" }], scope: "webhooks", tokenTtlSeconds: 3600 });
  try {
    const receiver = await startReceiver();
    const pipeline = await startPipeline({ encryptionKey, retryDelaysMs: [500, 500, 500, 500, 500], health: { failureThreshold: 3 } });
    const wrongSecret = "a-wrong-client-secret-9876543210";
    const created = await api.request("POST", hooks, {
      body: { url: receiver.url("/refused"), contentType: "json", events: ["*"], auth: { type: "oauth2", tokenUrl: oauth.tokenUrl, clientId: "known", clientSecret: wrongSecret } },
    });
    expect(created.status).toBe(201);
    await new Promise((r) => setTimeout(r, 100));
    await pipeline.produceEvents([1, 2, 3].map(() => domainEvent({ organizationId: ORG })));
    await expect.poll(async () => (await attemptsOf(mongo.db)).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);

    const [first] = await attemptsOf(mongo.db);
    expect(first!.error).toEqual({ code: "token_request_failed", message: `the token endpoint ${oauth.tokenUrl} answered 401 invalid_client: client authentication failed` });
    expect(first!.response).toBeNull();
    // Nothing reached the endpoint; attempts waiting for one token request share its failure.
    expect(receiver.requests).toHaveLength(0);
    expect((await attemptsOf(mongo.db)).every((a) => a.error?.code === "token_request_failed")).toBe(true);
    expect(oauth.tokenRequests()).toBeGreaterThanOrEqual(1);
    // On the ladder (or parked once the circuit opened), never given up.
    const statuses = (await deliveriesCollection(mongo.db).find().toArray()).map((d) => d.status);
    expect(statuses.every((status) => status === "retrying" || status === "parked")).toBe(true);
    // Counted toward the circuit like any failed attempt: three in a row open it.
    await expect.poll(async () => (await webhooksCollection(mongo.db).findOne({ _id: created.json.id }))?.circuit?.state, { timeout: 20_000 }).toBe("open");
    await expectNoSecretAnywhere([wrongSecret], { api, db: mongo.db, logLines });
  } finally {
    await oauth.close();
  }
});

test("mtls: without the certificate the handshake fails and the delivery is retried; with it, it arrives", async ({ api, mongo, logLines, encryptionKey, startPipeline }) => {
  const certs = await makeTestCertificates("agiletune-webhooks");
  const receiver = await startMtlsReceiver(certs);
  try {
    const pipeline = await startPipeline({ encryptionKey, extraCaCertificates: [certs.ca], retryDelaysMs: [1000, 2000, 4000, 8000, 16000] });
    const mismatched = await api.request("POST", hooks, {
      body: { url: receiver.url("/m"), contentType: "json", events: ["*"], auth: { type: "mtls", certificate: certs.client.certificate, privateKey: certs.strayPrivateKey } },
    });
    expect(mismatched.status).toBe(422);
    expect(mismatched.json.error.details).toEqual([{ field: "auth.privateKey", message: "does not match the certificate" }]);

    const created = await api.request("POST", hooks, { body: { url: receiver.url("/m"), contentType: "json", events: ["*"] } });
    await new Promise((r) => setTimeout(r, 100));
    await pipeline.produceEvents([domainEvent({ organizationId: ORG })]);
    await expect.poll(async () => (await attemptsOf(mongo.db)).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    const [refused] = await attemptsOf(mongo.db);
    expect(refused!.error?.code).toBe("connection_failed");
    expect(refused!.error?.message).toMatch(/certificate required|ECONNRESET|socket hang up|other side closed/i);
    expect(receiver.failedHandshakes()).toBeGreaterThanOrEqual(1);
    expect(receiver.requests).toHaveLength(0);

    const patched = await api.request("PATCH", `${hooks}/${created.json.id}`, { body: { auth: { type: "mtls", certificate: certs.client.certificate, privateKey: certs.client.privateKey } } });
    expect(patched.status).toBe(200);
    expect(patched.json.auth).toMatchObject({ type: "mtls", certificateSubject: "CN=agiletune-webhooks" });
    // The ladder leaves room for the PATCH and the webhook cache's expiry before it runs out, even on a loaded machine.
    await expect.poll(() => deliveriesCollection(mongo.db).countDocuments({ status: "succeeded" }), { timeout: 40_000 }).toBe(1);
    expect(receiver.requests.map((r) => r.clientName)).toEqual(["agiletune-webhooks"]);
    // It arrived as a retry of the refused attempt, the same delivery.
    const attempts = await attemptsOf(mongo.db);
    expect(attempts.at(-1)).toMatchObject({ outcome: "succeeded", attempt: expect.any(Number) });
    expect(attempts.at(-1)!.attempt).toBeGreaterThanOrEqual(1);
    await expectNoSecretAnywhere([certs.client.privateKey, certs.strayPrivateKey], { api, db: mongo.db, logLines });
  } finally {
    await receiver.close();
  }
});

test("ed25519: v1a verifies with the published key beside v1 and the guide's HMAC; rotation signs with both keys; basic and bearer send Authorization", async ({
  api,
  mongo,
  logLines,
  encryptionKey,
  startPipeline,
  startReceiver,
}) => {
  const receiver = await startReceiver();
  const pipeline = await startPipeline({ encryptionKey });
  const password = "basic-password-0123456789";
  const bearer = "bearer-token-abcdefghijklmnop";
  const signed = await api.request("POST", hooks, { body: { url: receiver.url("/signed"), contentType: "json", events: ["*"], ed25519: true, auth: { type: "basic", username: "hooks", password } } });
  const tokenHook = await api.request("POST", hooks, { body: { url: receiver.url("/bearer"), contentType: "json", events: ["*"], auth: { type: "bearer", token: bearer } } });
  expect(signed.json.signingPublicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
  expect(tokenHook.json.signingPublicKey).toBeNull();
  await new Promise((r) => setTimeout(r, 100));
  await pipeline.produceEvents([domainEvent({ organizationId: ORG })]);
  await receiver.waitFor((all) => all.length >= 2);

  const [delivery] = receiver.forPath("/signed");
  const id = String(delivery!.headers["webhook-id"]);
  const timestamp = String(delivery!.headers["webhook-timestamp"]);
  const signatures = String(delivery!.headers["webhook-signature"]).split(" ");
  expect(signatures.map((s) => s.split(",")[0])).toEqual(["v1", "v1a"]);
  const publicKey = publicKeyFromPublished(signed.json.signingPublicKey);
  const v1a = Buffer.from(signatures[1]!.slice("v1a,".length), "base64");
  expect(verify(null, Buffer.from(`${id}.${timestamp}.${delivery!.body}`), publicKey, v1a)).toBe(true);
  expect(verify(null, Buffer.from(`${id}.${timestamp}.${delivery!.body}x`), publicKey, v1a)).toBe(false);
  expect(verifySignature(delivery!.body, String(delivery!.headers["x-agiletune-signature"]), signed.json.secret)).toBe(true);
  expect(delivery!.headers.authorization).toBe(`Basic ${Buffer.from(`hooks:${password}`).toString("base64")}`);
  expect(receiver.forPath("/bearer")[0]!.headers.authorization).toBe(`Bearer ${bearer}`);

  const rotated = await api.request("POST", `${hooks}/${signed.json.id}/secret/rotate`);
  expect(rotated.json.signingPublicKey).toMatch(/^whpk_/);
  expect(rotated.json.signingPublicKey).not.toBe(signed.json.signingPublicKey);
  // The dispatcher's webhook cache holds a webhook for a second.
  await new Promise((r) => setTimeout(r, 1_200));
  await pipeline.produceEvents([domainEvent({ organizationId: ORG })]);
  await receiver.waitFor(() => receiver.forPath("/signed").length >= 2);
  const after = receiver.forPath("/signed")[1]!;
  const content = Buffer.from(`${after.headers["webhook-id"]}.${after.headers["webhook-timestamp"]}.${after.body}`);
  const afterSignatures = String(after.headers["webhook-signature"]).split(" ");
  expect(afterSignatures.map((s) => s.split(",")[0])).toEqual(["v1", "v1", "v1a", "v1a"]);
  const [newV1a, oldV1a] = afterSignatures.slice(2).map((s) => Buffer.from(s.slice("v1a,".length), "base64"));
  expect(verify(null, content, publicKeyFromPublished(rotated.json.signingPublicKey), newV1a!)).toBe(true);
  expect(verify(null, content, publicKey, oldV1a!)).toBe(true);
  expect(verifySignature(after.body, String(after.headers["x-agiletune-signature"]), rotated.json.secret)).toBe(true);
  // The guide's snippet accepts both, with either key, and refuses a changed body.
  const verifyEd25519 = guideVerifyEd25519();
  const asReceived = (r: typeof after) => Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)]));
  expect(verifyEd25519(asReceived(delivery!), delivery!.body, signed.json.signingPublicKey)).toBe(true);
  expect(verifyEd25519(asReceived(after), after.body, signed.json.signingPublicKey)).toBe(true);
  expect(verifyEd25519(asReceived(after), after.body, rotated.json.signingPublicKey)).toBe(true);
  expect(verifyEd25519(asReceived(after), `${after.body} `, rotated.json.signingPublicKey)).toBe(false);

  for (const a of await attemptsOf(mongo.db)) expect(a.request.headers.authorization).toBe(REDACTED);
  await expectNoSecretAnywhere([password, bearer, Buffer.from(`hooks:${password}`).toString("base64")], { api, db: mongo.db, logLines });
});
