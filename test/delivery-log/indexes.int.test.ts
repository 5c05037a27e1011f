// ensureIndexes on the real database server: what a start creates and what it retires.
import { COLLECTIONS, ensureIndexes, INDEXES } from "@agiletune/shared";
import { integrationTest as test } from "@agiletune/testing";
import { expect } from "vitest";

test("a start creates every missing index, drops a retired one, and a second start changes nothing", async ({ mongo }) => {
  const deliveries = mongo.db.collection(COLLECTIONS.deliveries);
  // A log from before `org_webhook` was retired.
  await deliveries.createIndexes([{ key: { organizationId: 1, webhookId: 1 }, name: "org_webhook" }]);
  const names = async () => (await deliveries.listIndexes().toArray()).map((i) => String(i.name)).sort();

  await ensureIndexes(mongo.db);
  const wanted = ["_id_", ...INDEXES[COLLECTIONS.deliveries]!.map((i) => i.name!)].sort();
  expect(await names()).toEqual(wanted);

  await ensureIndexes(mongo.db);
  expect(await names()).toEqual(wanted);
});
