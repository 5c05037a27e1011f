import { decryptSecret, findActiveWebhooks, subscribes, webhooksCollection, type WebhookDoc } from "@agiletune/shared";
import { expect } from "vitest";
import { apiTest as test } from "@agiletune/testing";

const ORG = "/v1/organizations/org_a/webhooks";
const valid = { url: "https://hooks.example.com/in", contentType: "json", events: ["task.created", "task.updated"] };

test("create, read, list, update, rotate and delete a webhook", async ({ api, mongo }) => {
  const t0 = new Date("2026-03-20T12:00:00.000Z");
  api.clockAt(t0);
  const created = await api.request("POST", ORG, { body: { ...valid, description: "CI — déploiements 🚀" } });
  expect(created.status).toBe(201);
  const id = created.json.id as string;
  expect(id).toMatch(/^wh_[0-9a-f]{24}$/);
  const secret = created.json.secret as string;
  expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
  expect(created.json).toEqual({
    id,
    organizationId: "org_a",
    url: valid.url,
    contentType: "json",
    events: valid.events,
    active: true,
    health: "healthy",
    healthReason: null,
    failingSince: null,
    rateLimitPerSecond: null,
    description: "CI — déploiements 🚀",
    createdAt: t0.toISOString(),
    updatedAt: t0.toISOString(),
    secretHint: secret.slice(-4),
    secret,
  });
  expect(created.headers.location).toBe(`${ORG}/${id}`);
  expect(created.headers["cache-control"]).toBe("no-store");

  // Stored sealed, never in clear.
  const stored = await webhooksCollection(mongo.db).findOne({ _id: id });
  expect(JSON.stringify(stored)).not.toContain(secret);
  expect(decryptSecret(stored!.secretSealed, api.encryptionKey)).toBe(secret);

  const read = await api.request("GET", `${ORG}/${id}`);
  expect(read.status).toBe(200);
  const { secret: _s, ...withoutSecret } = created.json;
  expect(read.json).toEqual(withoutSecret);

  // A chosen secret, form content type, all events.
  api.clockAt(new Date(t0.getTime() + 1000));
  const chosen = await api.request("POST", ORG, { body: { url: "http://other.example.com/x", contentType: "form", events: ["*"], secret: "my-own-secret-0123456789", active: false } });
  expect(chosen.status).toBe(201);
  expect(chosen.json).toMatchObject({ secret: "my-own-secret-0123456789", secretHint: "6789", events: ["*"], contentType: "form", active: false, description: "" });

  // Update: partial, validated, applied at once to what fan-out reads.
  api.clockAt(new Date(t0.getTime() + 5000));
  const patched = await api.request("PATCH", `${ORG}/${id}`, { body: { events: ["member.added"], description: "" } });
  expect(patched.status).toBe(200);
  expect(patched.json).toEqual({ ...withoutSecret, events: ["member.added"], description: "", updatedAt: new Date(t0.getTime() + 5000).toISOString() });
  const subscribed = async (event: string) => (await findActiveWebhooks(mongo.db, ["org_a"])).filter((w) => subscribes(w, "org_a", event)).map((w) => w._id);
  expect(await subscribed("member.added")).toEqual([id]);
  expect(await subscribed("task.created")).toEqual([]);
  const deactivated = await api.request("PATCH", `${ORG}/${id}`, { body: { active: false } });
  expect(deactivated.json.active).toBe(false);
  expect(await subscribed("member.added")).toEqual([]);

  // Rotate: new secret once, previous kept sealed for 24 h.
  const tRotate = new Date(t0.getTime() + 60_000);
  api.clockAt(tRotate);
  const rotated = await api.request("POST", `${ORG}/${id}/secret/rotate`);
  expect(rotated.status).toBe(200);
  const newSecret = rotated.json.secret as string;
  expect(newSecret).not.toBe(secret);
  expect(rotated.json).toMatchObject({ id, secretHint: newSecret.slice(-4), previousSecretExpiresAt: new Date(tRotate.getTime() + 24 * 3600_000).toISOString() });
  const afterRotate = await webhooksCollection(mongo.db).findOne({ _id: id });
  expect(decryptSecret(afterRotate!.secretSealed, api.encryptionKey)).toBe(newSecret);
  expect(decryptSecret(afterRotate!.previousSecretSealed!, api.encryptionKey)).toBe(secret);
  expect(afterRotate!.previousSecretExpiresAt).toEqual(new Date(tRotate.getTime() + 24 * 3600_000));
  const rotatedChosen = await api.request("POST", `${ORG}/${id}/secret/rotate`, { body: { secret: "another-chosen-secret-42" } });
  expect(rotatedChosen.json).toMatchObject({ secret: "another-chosen-secret-42", secretHint: "t-42" });
  expect((await api.request("GET", `${ORG}/${id}`)).json.secretHint).toBe("t-42");

  // Delete, then it is gone.
  const deleted = await api.request("DELETE", `${ORG}/${id}`);
  expect(deleted.status).toBe(204);
  expect(deleted.text).toBe("");
  expect((await api.request("GET", `${ORG}/${id}`)).status).toBe(404);
  expect((await api.request("DELETE", `${ORG}/${id}`)).json).toEqual({ error: { code: "not_found", message: "webhook not found", details: [] } });
  expect(await webhooksCollection(mongo.db).countDocuments({ _id: id })).toBe(0);
});

test("lists newest first with an opaque cursor, stable across inserts", async ({ api }) => {
  const base = Date.parse("2026-03-20T12:00:00.000Z");
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    // Two share a creation time: the id breaks the tie.
    api.clockAt(new Date(base + Math.min(i, 3) * 1000));
    ids.push((await api.request("POST", ORG, { body: valid })).json.id);
  }
  await api.request("POST", "/v1/organizations/org_b/webhooks", { body: valid });
  const expected = [...ids.slice(3).sort().reverse(), ids[2], ids[1], ids[0]];
  const first = await api.request("GET", `${ORG}?limit=2`);
  expect(first.status).toBe(200);
  expect(first.json.items.map((w: { id: string }) => w.id)).toEqual(expected.slice(0, 2));
  expect(first.json.items[0]).not.toHaveProperty("secret");
  // A webhook created between pages does not shift the next page.
  api.clockAt(new Date(base + 10_000));
  await api.request("POST", ORG, { body: valid });
  const second = await api.request("GET", `${ORG}?limit=2&cursor=${first.json.nextCursor}`);
  expect(second.json.items.map((w: { id: string }) => w.id)).toEqual(expected.slice(2, 4));
  const third = await api.request("GET", `${ORG}?limit=2&cursor=${second.json.nextCursor}`);
  expect(third.json).toEqual({ items: [expect.objectContaining({ id: expected[4] })], nextCursor: null });
  expect((await api.request("GET", ORG)).json.items).toHaveLength(6);
  expect((await api.request("GET", "/v1/organizations/org_none/webhooks")).json).toEqual({ items: [], nextCursor: null });

  expect((await api.request("GET", `${ORG}?limit=0`)).json.error.details).toEqual([{ field: "query.limit", message: "must be a whole number from 1 to 100" }]);
  expect((await api.request("GET", `${ORG}?cursor=garbage!`)).json.error.details).toEqual([{ field: "query.cursor", message: "is not a cursor returned by this API" }]);
  expect((await api.request("GET", `${ORG}?limit=1&limit=2`)).status).toBe(422);
});

test("refuses bad input with a clear 4xx naming the field, and writes nothing", async ({ api, mongo }) => {
  const expectError = async (res: Promise<{ status: number; json: any }>, status: number, code: string, details?: unknown) => {
    const r = await res;
    expect(r.status, JSON.stringify(r.json)).toBe(status);
    expect(r.json.error.code).toBe(code);
    if (details !== undefined) expect(r.json.error.details).toEqual(details);
  };
  const post = (body: unknown) => api.request("POST", ORG, { body });

  await expectError(post({ ...valid, url: "http://127.0.0.1:8080/hook" }), 422, "validation_failed", [
    { field: "url", message: "resolves to a non-public address (loopback); set ALLOW_PRIVATE_URLS=true to allow it" },
  ]);
  await expectError(post({ ...valid, url: "http://[::ffff:7f00:1]/" }), 422, "validation_failed", [
    { field: "url", message: "resolves to a non-public address (loopback); set ALLOW_PRIVATE_URLS=true to allow it" },
  ]);
  await expectError(post({ ...valid, url: "http://169.254.169.254/latest/meta-data/" }), 422, "validation_failed", [
    { field: "url", message: "resolves to a non-public address (linkLocal); set ALLOW_PRIVATE_URLS=true to allow it" },
  ]);
  await expectError(post({ ...valid, url: "https://internal.example.com/" }), 422, "validation_failed", [
    { field: "url", message: "resolves to a non-public address (private); set ALLOW_PRIVATE_URLS=true to allow it" },
  ]);
  await expectError(post({ ...valid, url: "https://rebind.example.com/" }), 422, "validation_failed", [
    { field: "url", message: "resolves to a non-public address (loopback); set ALLOW_PRIVATE_URLS=true to allow it" },
  ]);
  await expectError(post({ ...valid, url: "https://nowhere.example.com/" }), 422, "validation_failed", [{ field: "url", message: "host name does not resolve (ENOTFOUND)" }]);
  await expectError(post({ ...valid, url: "ftp://hooks.example.com/" }), 422, "validation_failed", [{ field: "url", message: "must use http or https" }]);
  await expectError(post({ ...valid, url: `https://hooks.example.com/${"a".repeat(2100)}` }), 422, "validation_failed", [{ field: "url", message: "must be at most 2048 characters" }]);
  await expectError(post({ ...valid, url: "https://hooks.example.com/\u0000\u001b[31m" }), 422, "validation_failed", [{ field: "url", message: "must not contain spaces or control characters" }]);
  await expectError(post({ ...valid, events: ["task.created", "task.exploded"] }), 422, "validation_failed", [{ field: "events.1", message: "is not a known event type (see GET /v1/event-types)" }]);
  await expectError(post({ ...valid, events: [] }), 422, "validation_failed");
  await expectError(post({ ...valid, contentType: "xml" }), 422, "validation_failed", [{ field: "contentType", message: 'must be "json" or "form"' }]);
  await expectError(post({ ...valid, secret: "too-short" }), 422, "validation_failed", [{ field: "secret", message: "must be at least 16 characters" }]);
  await expectError(post({ ...valid, secretz: "x" }), 422, "validation_failed", [{ field: "secretz", message: "is not a known field" }]);
  await expectError(post({ ...valid, active: "true", description: 7 }), 422, "validation_failed", [
    { field: "active", message: "must be true or false" },
    { field: "description", message: "Invalid input: expected string, received number" },
  ]);
  await expectError(post({ ...valid, description: "tab\there" }), 422, "validation_failed", [{ field: "description", message: "must not contain control characters" }]);
  await expectError(post({ ...valid, description: "\u202e\u0085" }), 422, "validation_failed", [{ field: "description", message: "must not contain control characters" }]);
  // A lone surrogate can only be sent as a JSON escape.
  await expectError(api.request("POST", ORG, { rawBody: `{"url":"https://hooks.example.com/","contentType":"json","events":["*"],"description":"\\ud800"}` }), 422, "validation_failed", [
    { field: "description", message: "must be valid Unicode (no unpaired surrogates)" },
  ]);
  // Huge arrays and deep nesting under the 1 MB limit.
  await expectError(post({ ...valid, events: Array(60_000).fill("task.created") }), 422, "validation_failed", [{ field: "events", message: "must list at most 50 event types" }]);
  await expectError(api.request("POST", ORG, { rawBody: "[".repeat(500_000) + "]".repeat(500_000) }), 422, "validation_failed");
  await expectError(post([valid]), 422, "validation_failed", [{ field: "(body)", message: "Invalid input: expected object, received array" }]);
  await expectError(post(null), 422, "validation_failed");
  await expectError(post("a string"), 422, "validation_failed");
  await expectError(api.request("POST", ORG), 422, "validation_failed", [{ field: "(body)", message: "a JSON object body is required" }]);

  // Malformed, oversize, not JSON, not UTF-8.
  await expectError(api.request("POST", ORG, { rawBody: '{"url": "https://hooks.example.com/", secret: "abcdefabcdefabcdef"' }), 400, "malformed_request", []);
  const malformed = await api.request("POST", ORG, { rawBody: '{"url": oops-my-secret-value}' });
  expect(malformed.json.error.message).toBe("the body is not valid JSON");
  expect(malformed.text).not.toContain("oops-my-secret-value");
  await expectError(api.request("POST", ORG, { rawBody: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }), 400, "malformed_request", []);
  const big = await api.request("POST", ORG, { body: { ...valid, description: "x".repeat(1024 * 1024) } });
  expect(big.status).toBe(413);
  expect(big.json).toEqual({ error: { code: "payload_too_large", message: "the body must be at most 1048576 bytes", details: [] } });
  // Chunked, no Content-Length: cut off at the limit all the same.
  const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < 40) controller.enqueue(chunk);
      else controller.close();
    },
  });
  const chunked = await fetch(`${api.baseUrl}${ORG}`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.adminToken}`, "content-type": "application/json" },
    body: stream,
    duplex: "half",
  } as RequestInit);
  expect(chunked.status).toBe(413);
  expect(await chunked.json()).toEqual({ error: { code: "payload_too_large", message: "the body must be at most 1048576 bytes", details: [] } });
  await expectError(api.request("POST", ORG, { rawBody: "url=x", headers: { "content-type": "application/x-www-form-urlencoded" } }), 415, "unsupported_media_type");
  await expectError(api.request("POST", ORG, { rawBody: JSON.stringify(valid), headers: { "content-type": "text/plain" } }), 415, "unsupported_media_type");
  await expectError(api.request("POST", ORG, { rawBody: JSON.stringify(valid), headers: { "content-encoding": "gzip" } }), 415, "unsupported_media_type");
  await expectError(api.request("POST", ORG, { rawBody: JSON.stringify(valid), headers: { "content-type": "application/json; charset=latin1" } }), 415, "unsupported_media_type");

  expect(await webhooksCollection(mongo.db).countDocuments()).toBe(0);

  // Updates: same rules, nothing changed on refusal.
  const created = (await post(valid)).json;
  const path = `${ORG}/${created.id}`;
  await expectError(api.request("PATCH", path, { body: { url: "http://localhost/" } }), 422, "validation_failed", [
    { field: "url", message: "resolves to a non-public address (loopback); set ALLOW_PRIVATE_URLS=true to allow it" },
  ]);
  await expectError(api.request("PATCH", path, { body: { events: ["*"], secret: "0123456789abcdefgh" } }), 422, "validation_failed", [
    { field: "secret", message: "cannot be changed here; use POST .../secret/rotate" },
  ]);
  await expectError(api.request("PATCH", path, { body: {} }), 422, "validation_failed", [
    { field: "(body)", message: "must change at least one of url, contentType, events, active, description, rateLimitPerSecond" },
  ]);
  await expectError(api.request("PATCH", path, { body: { active: null } }), 422, "validation_failed");
  await expectError(api.request("POST", `${path}/secret/rotate`, { body: { secret: "short" } }), 422, "validation_failed", [{ field: "secret", message: "must be at least 16 characters" }]);
  await expectError(api.request("PATCH", `${ORG}/wh_000000000000000000000000`, { body: { active: false } }), 404, "not_found");
  await expectError(api.request("POST", `${ORG}/wh_000000000000000000000000/secret/rotate`), 404, "not_found");
  await expectError(api.request("GET", `${ORG}/${encodeURIComponent("wh_$ne")}`), 404, "not_found");
  const unchanged = await api.request("GET", path);
  const { secret: _secret, ...createdView } = created;
  expect(unchanged.json).toEqual(createdView);
  expect(await webhooksCollection(mongo.db).countDocuments()).toBe(1);
});

test("accepts private URLs when ALLOW_PRIVATE_URLS=true", async ({ startApi }) => {
  const api = await startApi({ allowPrivateUrls: true });
  const res = await api.request("POST", ORG, { body: { ...valid, url: "http://127.0.0.1:9999/hook" } });
  expect(res.status).toBe(201);
  expect(res.json.url).toBe("http://127.0.0.1:9999/hook");
  expect((await api.request("POST", ORG, { body: { ...valid, url: "file:///etc/passwd" } })).status).toBe(422);
});

test("rate limit: set at creation, changed and removed by PATCH, validated; stored as given", async ({ api, mongo }) => {
  const created = await api.request("POST", ORG, { body: { ...valid, rateLimitPerSecond: 50 } });
  expect(created.status).toBe(201);
  expect(created.json).toMatchObject({ health: "healthy", healthReason: null, failingSince: null, rateLimitPerSecond: 50 });
  const path = `${ORG}/${created.json.id}`;
  // New webhooks start healthy with every endpoint-health field stored (null), the circuit closed.
  expect(await webhooksCollection(mongo.db).findOne({ _id: created.json.id })).toMatchObject({ health: "healthy", healthReason: null, failingSince: null, rateLimitPerSecond: 50, circuit: null });
  expect((await api.request("GET", path)).json.rateLimitPerSecond).toBe(50);

  expect((await api.request("PATCH", path, { body: { rateLimitPerSecond: 10_000 } })).json.rateLimitPerSecond).toBe(10_000);
  expect((await api.request("GET", path)).json.rateLimitPerSecond).toBe(10_000);
  const removed = await api.request("PATCH", path, { body: { rateLimitPerSecond: null } });
  expect([removed.status, removed.json.rateLimitPerSecond]).toEqual([200, null]);
  expect((await webhooksCollection(mongo.db).findOne({ _id: created.json.id }))!.rateLimitPerSecond).toBeNull();
  expect((await api.request("PATCH", path, { body: { rateLimitPerSecond: 1 } })).json.rateLimitPerSecond).toBe(1);

  const patchMessage = "must be a whole number from 1 to 10000, or null to remove the limit";
  for (const rateLimitPerSecond of [0, 10_001, 2.5, "10", -3, true]) {
    const res = await api.request("PATCH", path, { body: { rateLimitPerSecond } });
    expect([res.status, res.json.error.details]).toEqual([422, [{ field: "rateLimitPerSecond", message: patchMessage }]]);
  }
  for (const rateLimitPerSecond of [0, 10_001, 1.5, null, "5"]) {
    const res = await api.request("POST", ORG, { body: { ...valid, rateLimitPerSecond } });
    expect([res.status, res.json.error.details]).toEqual([422, [{ field: "rateLimitPerSecond", message: "must be a whole number from 1 to 10000" }]]);
  }
  expect((await api.request("GET", path)).json.rateLimitPerSecond).toBe(1);
  expect(await webhooksCollection(mongo.db).countDocuments()).toBe(1);
  expect((await api.request("POST", ORG, { body: valid })).json.rateLimitPerSecond).toBeNull();
});

test("health (docs/endpoint-health.md): the view shows what the dispatcher stored; active:true revives an inactive webhook healthy with a closed circuit, and only an inactive one", async ({
  api,
  mongo,
}) => {
  const t0 = new Date("2026-03-20T12:00:00.000Z");
  api.clockAt(t0);
  const webhooks = webhooksCollection(mongo.db);
  const create = async () => (await api.request("POST", ORG, { body: valid })).json.id as string;
  const circuit = { state: "open" as const, openedAt: new Date(t0.getTime() - 3_600_000), nextProbeAt: new Date(t0.getTime() + 30_000), probeIntervalMs: 60_000 };
  const failingSince = new Date(t0.getTime() - 5 * 86_400_000);

  // Disabled by the dispatcher after a long failure (as it writes it).
  const disabled = await create();
  await webhooks.updateOne({ _id: disabled }, { $set: { active: false, health: "disabled", healthReason: "failing-too-long", failingSince, circuit } });
  expect((await api.request("GET", `${ORG}/${disabled}`)).json).toMatchObject({ active: false, health: "disabled", healthReason: "failing-too-long", failingSince: failingSince.toISOString() });
  // Changing something else leaves it disabled.
  expect((await api.request("PATCH", `${ORG}/${disabled}`, { body: { description: "still off" } })).json).toMatchObject({ active: false, health: "disabled", healthReason: "failing-too-long" });
  api.clockAt(new Date(t0.getTime() + 1000));
  const revived = await api.request("PATCH", `${ORG}/${disabled}`, { body: { active: true, rateLimitPerSecond: 5 } });
  expect(revived.status).toBe(200);
  expect(revived.json).toMatchObject({
    active: true,
    health: "healthy",
    healthReason: null,
    failingSince: null,
    rateLimitPerSecond: 5,
    description: "still off",
    updatedAt: new Date(t0.getTime() + 1000).toISOString(),
  });
  expect(await webhooks.findOne({ _id: disabled })).toMatchObject({ active: true, health: "healthy", healthReason: null, failingSince: null, circuit: null });

  // Gone (410): the same.
  const gone = await create();
  await webhooks.updateOne({ _id: gone }, { $set: { active: false, health: "disabled", healthReason: "gone", failingSince: null } });
  expect((await api.request("PATCH", `${ORG}/${gone}`, { body: { active: true } })).json).toMatchObject({ active: true, health: "healthy", healthReason: null });

  // Active and failing, circuit open: active:true changes nothing of its health, nor does active:false.
  const failing = await create();
  await webhooks.updateOne({ _id: failing }, { $set: { health: "failing", healthReason: "HTTP 503", failingSince, circuit } });
  const stillFailing = { health: "failing", healthReason: "HTTP 503", failingSince: failingSince.toISOString() };
  expect((await api.request("PATCH", `${ORG}/${failing}`, { body: { active: true } })).json).toMatchObject({ active: true, ...stillFailing });
  expect((await webhooks.findOne({ _id: failing }))!.circuit).toEqual(circuit);
  expect((await api.request("PATCH", `${ORG}/${failing}`, { body: { active: false } })).json).toMatchObject({ active: false, ...stillFailing });
  expect((await webhooks.findOne({ _id: failing }))!.circuit).toEqual(circuit);
  // ...until it is inactive: then active:true revives it.
  expect((await api.request("PATCH", `${ORG}/${failing}`, { body: { active: true } })).json).toMatchObject({ active: true, health: "healthy", healthReason: null, failingSince: null });

  // Stored without endpoint-health fields: shown as null, revived all the same.
  const legacy: WebhookDoc = { ...(await webhooks.findOne({ _id: await create() }))!, _id: "wh_legacy000000000000000000", active: false };
  for (const field of ["healthReason", "failingSince", "rateLimitPerSecond", "circuit"] as const) delete legacy[field];
  await webhooks.insertOne(legacy);
  const legacyView = await api.request("GET", `${ORG}/wh_legacy000000000000000000`);
  expect(legacyView.json).toMatchObject({ active: false, health: "healthy", healthReason: null, failingSince: null, rateLimitPerSecond: null });
  expect((await api.request("PATCH", `${ORG}/wh_legacy000000000000000000`, { body: { active: true } })).json).toMatchObject({ active: true, health: "healthy", healthReason: null });
  expect(await webhooks.findOne({ _id: "wh_legacy000000000000000000" })).toMatchObject({ circuit: null, failingSince: null });

  // Another organization's webhook cannot be revived through this path.
  const other = (await api.request("POST", "/v1/organizations/org_b/webhooks", { body: valid })).json.id as string;
  await webhooks.updateOne({ _id: other }, { $set: { active: false, health: "disabled", healthReason: "gone" } });
  expect((await api.request("PATCH", `${ORG}/${other}`, { body: { active: true } })).status).toBe(404);
  expect(await webhooks.findOne({ _id: other })).toMatchObject({ active: false, health: "disabled" });
  expect((await api.request("PATCH", `${ORG}/wh_000000000000000000000000`, { body: { active: true } })).status).toBe(404);
});
