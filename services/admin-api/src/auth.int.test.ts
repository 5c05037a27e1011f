import { expect } from "vitest";
import { apiKeysCollection } from "./api-key-store.js";
import { hashToken } from "./credentials.js";
import { deliveriesCollection, storedPayloadOf } from "@agiletune/shared";
import { apiTest as test } from "@agiletune/testing";

const hook = { url: "https://hooks.example.com/in", contentType: "json", events: ["*"] };

test("the operator creates and revokes organization keys, stored only as hashes; bad tokens get 401", async ({ api, mongo }) => {
  const created = await api.request("POST", "/v1/organizations/org_a/api-keys");
  expect(created.status).toBe(201);
  expect(created.json).toEqual({ id: expect.stringMatching(/^key_[0-9a-f]{24}$/), organizationId: "org_a", token: expect.stringMatching(/^atk_[A-Za-z0-9_-]{43}$/), createdAt: expect.any(String) });
  const token = created.json.token as string;
  const stored = await apiKeysCollection(mongo.db).findOne({ _id: created.json.id });
  expect(stored).toEqual({ _id: created.json.id, organizationId: "org_a", tokenHash: hashToken(token), createdAt: new Date(created.json.createdAt) });
  expect(JSON.stringify(await apiKeysCollection(mongo.db).find().toArray())).not.toContain(token);

  // The key works for its organization, with or without a body on key creation refused for it.
  expect((await api.request("GET", "/v1/organizations/org_a/webhooks", { token })).status).toBe(200);
  expect((await api.request("GET", "/v1/event-types", { token })).status).toBe(200);
  // Whose token it is: how the settings page learns a pasted key's organization.
  expect((await api.request("GET", "/v1/me", { token })).json).toEqual({ kind: "organization", organizationId: "org_a" });
  expect((await api.request("GET", "/v1/me")).json).toEqual({ kind: "operator" });
  expect((await api.request("GET", "/v1/me", { token: null })).status).toBe(401);
  expect((await api.request("POST", "/v1/organizations/org_a/api-keys", { body: { name: "x" } })).json.error.details).toEqual([{ field: "name", message: "is not a known field" }]);

  const unauthorized = { error: { code: "unauthorized", message: expect.any(String), details: [] } };
  for (const [headers, message] of [
    [{}, "an Authorization: Bearer <token> header is required"],
    [{ authorization: "Basic dXNlcjpwYXNz" }, "the Authorization header must be Bearer <token>"],
    [{ authorization: "Bearer" }, "the Authorization header must be Bearer <token>"],
    [{ authorization: `Bearer ${token}x` }, "the token is not valid"],
    [{ authorization: `Bearer ${api.adminToken.slice(0, -1)}` }, "the token is not valid"],
    [{ authorization: `Bearer ${"a".repeat(600)}` }, "the Authorization header must be Bearer <token>"],
  ] as const) {
    const res = await api.request("GET", "/v1/organizations/org_a/webhooks", { token: null, headers });
    expect(res.status).toBe(401);
    expect(res.json).toEqual(unauthorized);
    expect(res.json.error.message).toBe(message);
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="agiletune"');
  }
  expect((await api.request("GET", "/v1/event-types", { token: null })).status).toBe(401);
  expect((await api.request("GET", "/v1/admin/dlq", { token: null })).status).toBe(401);
  // Case-insensitive scheme, as RFC 7235 says.
  expect((await api.request("GET", "/v1/organizations/org_a/webhooks", { token: null, headers: { authorization: `bearer ${token}` } })).status).toBe(200);

  // Operator only: keys and dead letters.
  const forbidden = { error: { code: "forbidden", message: "only the platform operator may do this", details: [] } };
  expect(await api.request("POST", "/v1/organizations/org_a/api-keys", { token }).then((r) => [r.status, r.json])).toEqual([403, forbidden]);
  expect(await api.request("GET", "/v1/admin/dlq", { token }).then((r) => [r.status, r.json])).toEqual([403, forbidden]);
  expect(await api.request("POST", "/v1/admin/dlq/replay", { token, body: { dryRun: true } }).then((r) => [r.status, r.json])).toEqual([403, forbidden]);
  expect((await api.request("DELETE", `/v1/organizations/org_a/api-keys/${created.json.id}`, { token })).status).toBe(403);

  // Revoked: 401 from then on.
  expect((await api.request("DELETE", `/v1/organizations/org_b/api-keys/${created.json.id}`)).status).toBe(404);
  expect((await api.request("DELETE", `/v1/organizations/org_a/api-keys/${created.json.id}`)).status).toBe(204);
  expect((await api.request("DELETE", `/v1/organizations/org_a/api-keys/${created.json.id}`)).status).toBe(404);
  expect((await api.request("GET", "/v1/organizations/org_a/webhooks", { token })).status).toBe(401);
});

test("an organization key gets 403 on every route of another organization and 404 for its ids", async ({ api, mongo }) => {
  const keyA = await api.createOrgKey("org_a");
  const keyB = await api.createOrgKey("org_b");
  const hookB = (await api.request("POST", "/v1/organizations/org_b/webhooks", { token: keyB, body: hook })).json;
  const hookA = (await api.request("POST", "/v1/organizations/org_a/webhooks", { token: keyA, body: hook })).json;
  expect([hookA.organizationId, hookB.organizationId]).toEqual(["org_a", "org_b"]);
  const deliveryB = "dlv_0123456789abcdef0123456789abcdef";
  const now = new Date();
  await deliveriesCollection(mongo.db).insertOne({
    _id: deliveryB,
    webhookId: hookB.id,
    organizationId: "org_b",
    eventId: "evt_1",
    event: "task.created",
    status: "failed",
    attemptIds: [],
    nextAttemptAt: null,
    statusReason: null,
    createdAt: now,
    updatedAt: now,
    payload: storedPayloadOf({ event: "task.created", timestamp: now.toISOString(), data: {} }),
  });

  const routes = (org: string, wh: string, dlv: string): Array<[string, string, unknown?]> => [
    ["POST", `/v1/organizations/${org}/webhooks`, hook],
    ["GET", `/v1/organizations/${org}/webhooks`],
    ["GET", `/v1/organizations/${org}/webhooks/${wh}`],
    ["PATCH", `/v1/organizations/${org}/webhooks/${wh}`, { active: false }],
    ["DELETE", `/v1/organizations/${org}/webhooks/${wh}`],
    ["POST", `/v1/organizations/${org}/webhooks/${wh}/secret/rotate`],
    ["POST", `/v1/organizations/${org}/webhooks/${wh}/ping`],
    ["GET", `/v1/organizations/${org}/webhooks/${wh}/deliveries`],
    ["GET", `/v1/organizations/${org}/webhooks/${wh}/deliveries/${dlv}`],
    ["POST", `/v1/organizations/${org}/webhooks/${wh}/deliveries/${dlv}/redeliver`],
    ["POST", `/v1/organizations/${org}/webhooks/${wh}/recover`, { since: new Date(now.getTime() - 3_600_000).toISOString() }],
  ];
  // Another organization's path: 403, whatever the ids.
  for (const [method, path, body] of [...routes("org_b", hookB.id, deliveryB), ["POST", "/v1/organizations/org_b/api-keys"] as [string, string]]) {
    const res = await api.request(method, path, { token: keyA, body });
    expect([method, path, res.status, res.json?.error?.code]).toEqual([method, path, 403, "forbidden"]);
  }
  // Its own path with another organization's webhook or delivery id: 404, as if absent.
  for (const [method, path, body] of routes("org_a", hookB.id, deliveryB).filter(([, p]) => p.includes(hookB.id))) {
    const res = await api.request(method, path, { token: keyA, body });
    expect([method, path, res.status, res.json?.error]).toEqual([method, path, 404, { code: "not_found", message: "webhook not found", details: [] }]);
  }
  for (const [method, path] of routes("org_a", hookA.id, deliveryB).filter(([, p]) => p.includes(deliveryB))) {
    const res = await api.request(method, path, { token: keyA });
    expect([method, path, res.status, res.json?.error?.message]).toEqual([method, path, 404, "delivery not found"]);
  }
  // Nothing of org_b changed.
  const stillB = await api.request("GET", `/v1/organizations/org_b/webhooks/${hookB.id}`, { token: keyB });
  const { secret: _s, ...viewB } = hookB;
  expect(stillB.json).toEqual(viewB);
  const stillFailed = await api.request("GET", `/v1/organizations/org_b/webhooks/${hookB.id}/deliveries/${deliveryB}`, { token: keyB });
  expect([stillFailed.status, stillFailed.json.status]).toEqual([200, "failed"]);
  // The operator sees both.
  expect((await api.request("GET", `/v1/organizations/org_b/webhooks/${hookB.id}`)).status).toBe(200);
  expect((await api.request("GET", `/v1/organizations/org_a/webhooks/${hookA.id}`)).status).toBe(200);
});

test("unknown routes are 404, known paths with the wrong method 405 with Allow, all in the error shape", async ({ api }) => {
  const notFound = await api.request("GET", "/v1/nope");
  expect(notFound.status).toBe(404);
  expect(notFound.json).toEqual({ error: { code: "not_found", message: "no route GET /v1/nope", details: [] } });
  // `/` is the settings page's (it redirects to /ui/), not an API route.
  const root = await fetch(`${api.baseUrl}/`, { redirect: "manual" });
  expect([root.status, root.headers.get("location")]).toEqual([302, "/ui/"]);
  expect((await api.request("GET", "/v1/organizations/bad%20org/webhooks")).json).toEqual({ error: { code: "not_found", message: "organization not found", details: [] } });

  const wrong = await api.request("PUT", "/v1/organizations/org_a/webhooks/wh_1", { body: hook });
  expect(wrong.status).toBe(405);
  expect(wrong.json).toEqual({ error: { code: "method_not_allowed", message: "PUT is not allowed on this path", details: [] } });
  expect(wrong.headers.allow?.split(", ").sort()).toEqual(["DELETE", "GET", "HEAD", "PATCH"]);
  expect((await api.request("DELETE", "/v1/event-types")).status).toBe(405);
  expect((await api.request("POST", "/healthz", { token: null })).status).toBe(405);
  expect((await api.request("GET", "/v1/admin/dlq/replay")).headers.allow).toBe("POST");
});
