// ensureIndexes on the real database server: what a start creates and what it retires.
import { COLLECTIONS, ensureIndexes, INDEXES } from "@agiletune/shared";
import { integrationTest as test } from "@agiletune/testing";
import { expect } from "vitest";

test("a start creates every missing index, drops the retired ones, and a second start changes nothing", async ({ mongo }) => {
  // A log from before `org_webhook` and `org_webhook_time` were retired.
  await mongo.db.collection(COLLECTIONS.deliveries).createIndexes([{ key: { organizationId: 1, webhookId: 1 }, name: "org_webhook" }]);
  await mongo.db.collection(COLLECTIONS.deadLetters).createIndexes([{ key: { organizationId: 1, webhookId: 1, deadLetteredAt: -1 }, name: "org_webhook_time" }]);
  const collections = [COLLECTIONS.deliveries, COLLECTIONS.deadLetters];
  const names = async () => Object.fromEntries(await Promise.all(collections.map(async (c) => [c, (await mongo.db.collection(c).listIndexes().toArray()).map((i) => String(i.name)).sort()] as const)));
  const wanted = Object.fromEntries(collections.map((c) => [c, ["_id_", ...INDEXES[c]!.map((i) => i.name!)].sort()]));

  await ensureIndexes(mongo.db);
  expect(await names()).toEqual(wanted);

  await ensureIndexes(mongo.db);
  expect(await names()).toEqual(wanted);
});
