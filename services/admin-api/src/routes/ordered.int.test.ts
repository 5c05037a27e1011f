import { deliveriesCollection, deliveryIdFor, newDeliveryEntry, storedPayloadOf, webhooksCollection } from "@agiletune/shared";
import { expect } from "vitest";
import { apiTest as test } from "@agiletune/testing";

// docs CONTRACT §10: a webhook's `ordered` flag, and the `held` status naming what it waits for.

const ORG = "/v1/organizations/org_a/webhooks";
const hook = { url: "https://hooks.example.com/in", contentType: "json", events: ["task.created", "task.updated"] };

test("ordered: false unless asked, set on create and PATCH, stored on the webhook, refused unless a boolean", async ({ api, mongo }) => {
  const plain = await api.request("POST", ORG, { body: hook });
  expect([plain.status, plain.json.ordered]).toEqual([201, false]);
  expect((await webhooksCollection(mongo.db).findOne({ _id: plain.json.id }))!.ordered).toBe(false);

  const ordered = await api.request("POST", ORG, { body: { ...hook, ordered: true } });
  expect([ordered.status, ordered.json.ordered]).toEqual([201, true]);
  const id = ordered.json.id as string;
  expect((await webhooksCollection(mongo.db).findOne({ _id: id }))!.ordered).toBe(true);
  expect((await api.request("GET", `${ORG}/${id}`)).json.ordered).toBe(true);

  const off = await api.request("PATCH", `${ORG}/${id}`, { body: { ordered: false } });
  expect([off.status, off.json.ordered]).toEqual([200, false]);
  expect((await webhooksCollection(mongo.db).findOne({ _id: id }))!.ordered).toBe(false);
  // A PATCH of something else leaves it as it is.
  await api.request("PATCH", `${ORG}/${id}`, { body: { ordered: true } });
  const other = await api.request("PATCH", `${ORG}/${id}`, { body: { description: "orders" } });
  expect(other.json).toMatchObject({ ordered: true, description: "orders" });
  expect((await api.request("GET", ORG)).json.items.map((w: { id: string; ordered: boolean }) => [w.id, w.ordered])).toEqual([
    [id, true],
    [plain.json.id, false],
  ]);

  // Stored before ordered delivery existed: shown as unordered.
  await webhooksCollection(mongo.db).updateOne({ _id: plain.json.id }, { $unset: { ordered: "" } });
  expect((await api.request("GET", `${ORG}/${plain.json.id}`)).json.ordered).toBe(false);

  for (const bad of ["yes", 1, null]) {
    const created = await api.request("POST", ORG, { body: { ...hook, ordered: bad } });
    expect([created.status, created.json.error.details]).toEqual([422, [{ field: "ordered", message: "must be true or false" }]]);
    const patched = await api.request("PATCH", `${ORG}/${id}`, { body: { ordered: bad } });
    expect([patched.status, patched.json.error.details]).toEqual([422, [{ field: "ordered", message: "must be true or false" }]]);
  }
  expect(await webhooksCollection(mongo.db).countDocuments()).toBe(2);
  expect((await webhooksCollection(mongo.db).findOne({ _id: id }))!.ordered).toBe(true);
});

test("a held delivery: status held in the list, under ?status=held, and its detail names the delivery it waits for", async ({ api, mongo }) => {
  const webhook = (await api.request("POST", ORG, { body: { ...hook, ordered: true } })).json;
  const base = `${ORG}/${webhook.id}`;
  const t0 = new Date("2026-03-20T12:00:00.000Z");
  const job = (eventId: string) => ({ deliveryId: deliveryIdFor(eventId, webhook.id), webhookId: webhook.id, organizationId: "org_a", eventId, event: "task.updated" });
  const payload = storedPayloadOf({ event: "task.updated", timestamp: t0.toISOString(), data: { id: "tsk_1" } });
  const first = newDeliveryEntry(job("evt_1"), t0, { status: "retrying", payload, statusReason: "HTTP 503" });
  const reason = `waits for ${first._id}`;
  const held = newDeliveryEntry(job("evt_2"), new Date(t0.getTime() + 1000), { status: "held", heldBehind: first._id, statusReason: reason, payload });
  await deliveriesCollection(mongo.db).insertMany([first, held]);

  const all = await api.request("GET", `${base}/deliveries`);
  expect(all.status).toBe(200);
  expect(all.json.items.map((d: { id: string; status: string; heldBehind: string | null }) => [d.id, d.status, d.heldBehind])).toEqual([
    [held._id, "held", first._id],
    [first._id, "retrying", null],
  ]);

  const onlyHeld = await api.request("GET", `${base}/deliveries?status=held`);
  expect(onlyHeld.json).toEqual({ items: [expect.objectContaining({ id: held._id, status: "held", heldBehind: first._id })], nextCursor: null });

  const detail = await api.request("GET", `${base}/deliveries/${held._id}`);
  expect(detail.status).toBe(200);
  expect(detail.json).toMatchObject({ id: held._id, status: "held", heldBehind: first._id, statusReason: reason, attempts: [], requestBody: null });
  expect((await api.request("GET", `${base}/deliveries/${first._id}`)).json.heldBehind).toBeNull();
});
