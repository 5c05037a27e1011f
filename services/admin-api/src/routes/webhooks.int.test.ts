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
    ordered: false,
    description: "CI — déploiements 🚀",
    createdAt: t0.toISOString(),
    updatedAt: t0.toISOString(),
    secretHint: secret.slice(-4),
    headers: {},
    auth: null,
    ed25519: false,
    signingPublicKey: null,
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
