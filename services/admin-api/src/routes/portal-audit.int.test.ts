import { deliveriesCollection, storedPayloadOf } from "@agiletune/shared";
import { expect } from "vitest";
import { apiTest as test, type TestApi } from "@agiletune/testing";
import { portalSessionsCollection } from "../portal-sessions.js";
import { hashToken } from "../credentials.js";

const ORG = "/v1/organizations/org_p";
const hook = { url: "https://hooks.example.com/in", contentType: "json", events: ["task.created"] };

/** Creates a portal session and trades its link for the page's token, as the page does. */
async function portalSignIn(api: TestApi, body: Record<string, unknown>): Promise<{ id: string; url: string; token: string; link: string }> {
  const created = await api.request("POST", `${ORG}/portal-sessions`, { body });
  expect(created.status, created.text).toBe(201);
  const url = created.json.url as string;
  const link = url.split("#")[1]!;
  const exchanged = await api.request("POST", "/v1/portal-sessions/exchange", { token: null, body: { link } });
  expect(exchanged.status, exchanged.text).toBe(200);
  return { id: created.json.id as string, url, token: exchanged.json.token as string, link };
}

test("a portal session: a link built on PUBLIC_URL with its secret in the fragment, exchanged once, for one organization, read-only when asked, ended at once, expired by its time", async ({
  api,
  mongo,
}) => {
  const t0 = new Date("2026-12-07T10:00:00.000Z");
  api.clockAt(t0);
  const created = await api.request("POST", `${ORG}/portal-sessions`, { body: { user: { id: "u_1", name: "Ada Admin", email: "ada@example.com" } } });
  expect(created.status).toBe(201);
  expect(created.json).toEqual({
    id: expect.stringMatching(/^ps_[0-9a-f]{24}$/),
    url: expect.stringMatching(new RegExp(`^${api.baseUrl}/ui/portal#psl_[A-Za-z0-9_-]{43}$`)),
    expiresAt: "2026-12-07T11:00:00.000Z",
  });
  const link = (created.json.url as string).split("#")[1]!;
  // Stored as a hash only.
  const stored = await portalSessionsCollection(mongo.db).findOne({ _id: created.json.id });
  expect(stored).toMatchObject({ organizationId: "org_p", user: { id: "u_1", name: "Ada Admin", email: "ada@example.com" }, readOnly: false, linkHash: hashToken(link) });
  expect(JSON.stringify(stored)).not.toContain(link);

  // Only the operator opens sessions; an organization key cannot.
  const key = await api.createOrgKey("org_p");
  expect((await api.request("POST", `${ORG}/portal-sessions`, { token: key, body: { user: { id: "u" } } })).status).toBe(403);
  for (const [body, field] of [
    [{ user: { id: "u" }, ttlSeconds: 59 }, "ttlSeconds"],
    [{ user: { id: "u" }, ttlSeconds: 86_401 }, "ttlSeconds"],
    [{ user: {} }, "user.id"],
    [{ user: { id: "u", email: "not-an-email" } }, "user.email"],
    [{ user: { id: "u" }, admin: true }, "admin"],
  ] as const) {
    const refused = await api.request("POST", `${ORG}/portal-sessions`, { body });
    expect([refused.status, refused.json.error.details[0].field]).toEqual([422, field]);
  }

  // The link is good once.
  const exchanged = await api.request("POST", "/v1/portal-sessions/exchange", { token: null, body: { link } });
  expect(exchanged.json).toEqual({
    token: expect.stringMatching(/^pst_/),
    organizationId: "org_p",
    user: { id: "u_1", name: "Ada Admin", email: "ada@example.com" },
    readOnly: false,
    expiresAt: "2026-12-07T11:00:00.000Z",
  });
  expect((await api.request("POST", "/v1/portal-sessions/exchange", { token: null, body: { link } })).status).toBe(401);
  const token = exchanged.json.token as string;
  expect((await api.request("GET", "/v1/me", { token })).json).toEqual({
    kind: "portal",
    organizationId: "org_p",
    user: { id: "u_1", name: "Ada Admin", email: "ada@example.com" },
    readOnly: false,
    expiresAt: "2026-12-07T11:00:00.000Z",
  });

  // Its own organization only, never the operator's routes; it may change things.
  expect((await api.request("POST", `${ORG}/webhooks`, { token, body: hook })).status).toBe(201);
  expect((await api.request("GET", "/v1/organizations/org_other/webhooks", { token })).status).toBe(403);
  expect((await api.request("GET", "/v1/admin/dlq", { token })).status).toBe(403);
  expect((await api.request("POST", `${ORG}/api-keys`, { token })).status).toBe(403);
  expect((await api.request("GET", "/v1/admin/audit-log", { token })).status).toBe(403);

  // A read-only session reads everything and changes nothing.
  const readOnly = await portalSignIn(api, { user: { id: "u_2" }, readOnly: true });
  const webhookId = (await api.request("GET", `${ORG}/webhooks`, { token: readOnly.token })).json.items[0].id as string;
  expect((await api.request("GET", `${ORG}/webhooks/${webhookId}`, { token: readOnly.token })).status).toBe(200);
  expect((await api.request("GET", `${ORG}/audit-log`, { token: readOnly.token })).status).toBe(200);
  for (const [method, path] of [
    ["POST", `${ORG}/webhooks`],
    ["PATCH", `${ORG}/webhooks/${webhookId}`],
    ["DELETE", `${ORG}/webhooks/${webhookId}`],
    ["POST", `${ORG}/webhooks/${webhookId}/ping`],
    ["POST", `${ORG}/webhooks/${webhookId}/secret/rotate`],
  ] as const) {
    const refused = await api.request(method, path, { token: readOnly.token, body: method === "PATCH" ? { active: false } : method === "POST" && path.endsWith("webhooks") ? hook : undefined });
    expect([method, path, refused.status, refused.json.error.code]).toEqual([method, path, 403, "forbidden"]);
  }
  expect((await api.request("GET", `${ORG}/webhooks/${webhookId}`)).json.active).toBe(true);

  // Ended: the token stops working with the next request.
  expect((await api.request("DELETE", `${ORG}/portal-sessions/${created.json.id}`)).status).toBe(204);
  expect((await api.request("GET", `${ORG}/webhooks`, { token })).status).toBe(401);
  expect((await api.request("DELETE", `${ORG}/portal-sessions/${created.json.id}`)).status).toBe(404);
  expect((await api.request("DELETE", `/v1/organizations/org_other/portal-sessions/${readOnly.id}`)).status).toBe(404);

  // Expired: refused by its time, before retention deletes it; an unused link too.
  const unused = await api.request("POST", `${ORG}/portal-sessions`, { body: { user: { id: "u_3" }, ttlSeconds: 60 } });
  api.clockAt(new Date(t0.getTime() + 3_600_000));
  expect((await api.request("GET", `${ORG}/webhooks`, { token: readOnly.token })).status).toBe(401);
  expect((await api.request("POST", "/v1/portal-sessions/exchange", { token: null, body: { link: (unused.json.url as string).split("#")[1] } })).status).toBe(401);
});

test("the audit log records each kind of change with its actor, never a secret, and pages through the organization's and the operator's listings", async ({ api, mongo }) => {
  const key = await api.createOrgKey("org_p");
  const keyId = (await api.request("GET", `${ORG}/audit-log`)).json.items[0].target.id as string;
  const chosenSecret = "my-own-secret-0123456789abcdef";

  // As the organization's API key: create, change, rotate, ping, delete.
  const created = await api.request("POST", `${ORG}/webhooks`, { token: key, body: { ...hook, secret: chosenSecret, description: "CI" } });
  const webhookId = created.json.id as string;
  expect((await api.request("PATCH", `${ORG}/webhooks/${webhookId}`, { token: key, body: { description: "CI builds", events: ["task.created", "task.moved"] } })).status).toBe(200);
  const rotated = await api.request("POST", `${ORG}/webhooks/${webhookId}/secret/rotate`, { token: key });
  expect((await api.request("POST", `${ORG}/webhooks/${webhookId}/ping`, { token: key })).status).toBe(202);

  // As a portal user: redeliver the ping once it is logged with a payload, recover, then delete.
  const portal = await portalSignIn(api, { user: { id: "u_9", name: "Grace" } });
  const ping = await deliveriesCollection(mongo.db).findOne({ webhookId });
  await deliveriesCollection(mongo.db).updateOne(
    { _id: ping!._id },
    { $set: { status: "failed", payload: storedPayloadOf({ event: "ping", timestamp: new Date().toISOString(), data: { id: "ping" } }) } },
  );
  const redelivered = await api.request("POST", `${ORG}/webhooks/${webhookId}/deliveries/${ping!._id}/redeliver`, { token: portal.token });
  expect(redelivered.status, redelivered.text).toBe(202);
  expect((await api.request("POST", `${ORG}/webhooks/${webhookId}/recover`, { token: portal.token, body: { since: new Date(Date.now() - 60_000).toISOString() } })).status).toBe(202);
  expect((await api.request("DELETE", `${ORG}/webhooks/${webhookId}`, { token: portal.token })).status).toBe(204);

  // As the operator: replay dead letters (a dry run changes nothing and is not recorded), end the session.
  expect((await api.request("POST", "/v1/admin/dlq/replay", { body: { organizationId: "org_p", dryRun: true } })).status).toBe(200);
  expect((await api.request("POST", "/v1/admin/dlq/replay", { body: { organizationId: "org_p" } })).status).toBe(200);
  expect((await api.request("DELETE", `${ORG}/portal-sessions/${portal.id}`)).status).toBe(204);

  const all: Array<Record<string, any>> = [];
  let cursor: string | null | undefined;
  do {
    const page = await api.request("GET", `${ORG}/audit-log?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
    expect(page.status).toBe(200);
    expect(page.json.items.length).toBeLessThanOrEqual(3);
    all.push(...page.json.items);
    cursor = page.json.nextCursor;
  } while (cursor);
  const operator = { type: "operator", id: "operator" };
  const apiKey = { type: "api-key", id: keyId };
  const grace = { type: "portal-user", id: "u_9", name: "Grace" };
  const webhook = { type: "webhook", id: webhookId };
  expect(all.reverse().map((e) => [e.action, e.actor, e.target])).toEqual([
    ["api_key.created", operator, { type: "api-key", id: keyId }],
    ["webhook.created", apiKey, webhook],
    ["webhook.updated", apiKey, webhook],
    ["webhook.secret_rotated", apiKey, webhook],
    ["webhook.pinged", apiKey, webhook],
    ["portal_session.created", operator, { type: "portal-session", id: portal.id }],
    ["delivery.redelivered", grace, { type: "delivery", id: ping!._id }],
    ["webhook.recovered", grace, webhook],
    ["webhook.deleted", grace, webhook],
    ["dead_letters.replayed", operator, { type: "dead-letters", id: "org_p" }],
    ["portal_session.ended", operator, { type: "portal-session", id: portal.id }],
  ]);
  expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
  const byAction = (action: string) => all.find((e) => e.action === action)!;
  expect(byAction("webhook.created").changes).toMatchObject({ url: { to: hook.url }, secret: { to: "[redacted]" }, description: { to: "CI" } });
  expect(byAction("webhook.updated").changes).toEqual({ description: { from: "CI", to: "CI builds" }, events: { from: ["task.created"], to: ["task.created", "task.moved"] } });
  expect(byAction("webhook.secret_rotated").changes).toEqual({ secret: { from: "[redacted]", to: "[redacted]" } });
  expect(byAction("portal_session.created").changes).toMatchObject({ user: { to: { id: "u_9", name: "Grace" } }, readOnly: { to: false } });
  // No secret anywhere in the log, as listed or as stored.
  const stored = JSON.stringify(await mongo.db.collection("audit_log").find().toArray());
  for (const secret of [chosenSecret, rotated.json.secret, key, portal.token, portal.link]) {
    expect(JSON.stringify(all)).not.toContain(secret);
    expect(stored).not.toContain(secret);
  }

  // The operator's listing: every organization's, or one; another organization's entries stay apart.
  await api.createOrgKey("org_q");
  const everything = await api.request("GET", "/v1/admin/audit-log?limit=100");
  expect(everything.json.items.map((e: { organizationId: string }) => e.organizationId)).toContain("org_q");
  expect((await api.request("GET", "/v1/admin/audit-log?organizationId=org_q")).json.items).toHaveLength(1);
  expect((await api.request("GET", `${ORG}/audit-log?limit=100`, { token: key })).json.items).toHaveLength(all.length);
  expect((await api.request("GET", "/v1/organizations/org_q/audit-log", { token: key })).status).toBe(403);
  expect((await api.request("GET", `${ORG}/audit-log?cursor=nope`)).status).toBe(422);
});
