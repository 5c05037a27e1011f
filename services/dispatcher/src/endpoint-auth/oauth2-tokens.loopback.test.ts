import { DeliveryError } from "@agiletune/shared";
import { startOAuthServer, type OAuthServer } from "@agiletune/testing/harness";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createDeliveryAgent } from "../http-delivery.js";
import type { OpenedAuth } from "./credentials.js";
import { OAuthTokens, TOKEN_REFRESH_BEFORE_EXPIRY_MS } from "./oauth2-tokens.js";

// The token client against oidc-provider on loopback, with a clock the test moves.
const TTL_S = 120;
let server: OAuthServer;
const agent = createDeliveryAgent({ allowPrivate: true, connectionsPerOrigin: 8 });
const strictAgent = createDeliveryAgent({ allowPrivate: false, connectionsPerOrigin: 8 });
let nowMs = 1_000_000;
const clock = { now: () => nowMs };
let auth: Extract<OpenedAuth, { type: "oauth2" }>;

beforeAll(async () => {
  server = await startOAuthServer({ clients: [{ clientId: "c1", clientSecret: "secret-with-:-and-%-0123" }], scope: "hooks", tokenTtlSeconds: TTL_S });
  auth = { type: "oauth2", tokenUrl: server.tokenUrl, clientId: "c1", clientSecret: "secret-with-:-and-%-0123", scope: "hooks", audience: null, fingerprint: "f1" };
});
afterAll(async () => {
  await Promise.all([server.close(), agent.close(), strictAgent.close()]);
});

it("asks once for concurrent deliveries, again only 30 s before expiry, and after a 401 to the cached token", async () => {
  const tokens = new OAuthTokens({ agent, allowPrivate: true, timeoutMs: 5_000, clock });
  const before = server.tokenRequests();
  const first = await Promise.all(Array.from({ length: 20 }, () => tokens.get("wh_1", auth)));
  expect(new Set(first).size).toBe(1);
  expect(server.tokenRequests() - before).toBe(1);
  expect(await server.issued(first[0] as string, "c1")).toBe(true);

  nowMs += TTL_S * 1000 - TOKEN_REFRESH_BEFORE_EXPIRY_MS - 1;
  expect(await tokens.get("wh_1", auth)).toBe(first[0]);
  expect(server.tokenRequests() - before).toBe(1);
  nowMs += 2;
  const refreshed = await tokens.get("wh_1", auth);
  expect(refreshed).not.toBe(first[0]);
  expect(server.tokenRequests() - before).toBe(2);

  // A 401 to a token no longer cached changes nothing; to the cached one, it is dropped.
  tokens.rejected("wh_1", first[0] as string);
  expect(await tokens.get("wh_1", auth)).toBe(refreshed);
  tokens.rejected("wh_1", refreshed as string);
  expect(await tokens.get("wh_1", auth)).not.toBe(refreshed);
  expect(server.tokenRequests() - before).toBe(3);

  // Changed credentials are another client: a new token.
  await tokens.get("wh_1", { ...auth, scope: null, fingerprint: "f2" });
  expect(server.tokenRequests() - before).toBe(4);
});

it("names the token endpoint's refusal, and refuses a private token endpoint at request time", async () => {
  const refused = await new OAuthTokens({ agent, allowPrivate: true, timeoutMs: 5_000, clock }).get("wh_2", { ...auth, clientSecret: "wrong", fingerprint: "f3" });
  expect(refused).toBeInstanceOf(DeliveryError);
  expect((refused as DeliveryError).message).toBe(`the token endpoint ${server.tokenUrl} answered 401 invalid_client: client authentication failed`);

  const requestsBefore = server.tokenRequests();
  const guarded = await new OAuthTokens({ agent: strictAgent, allowPrivate: false, timeoutMs: 5_000, clock }).get("wh_3", auth);
  expect((guarded as DeliveryError).code).toBe("token_request_failed");
  expect((guarded as DeliveryError).message).toMatch(/could not be reached: private_address: 127\.0\.0\.1 is a private address/);
  expect(server.tokenRequests()).toBe(requestsBefore);
});
