// The admin API process owns the delivery log's retention, as the store profile says: it
// sweeps, or leaves it to the TTL indexes, and SIGTERM stops the sweeper with the rest.
import { deliveriesCollection, generateEncryptionKey, newDeliveryEntry } from "@agiletune/shared";
import { integrationTest as test, waitFor } from "@agiletune/testing";
import { expect } from "vitest";

test("the admin API expires the delivery log at DELIVERY_LOG_RETENTION and stops cleanly on SIGTERM", async ({ mongo, serviceProcess }) => {
  const entry = (id: string, at: Date) => newDeliveryEntry({ deliveryId: id, webhookId: "wh_1", organizationId: "org_1", eventId: `evt_${id}`, event: "task.created" }, at, { status: "succeeded" });
  await deliveriesCollection(mongo.db).insertMany([entry("old_1", new Date(Date.now() - 3_600_000)), entry("old_2", new Date(Date.now() - 60_000)), entry("new_1", new Date(Date.now() + 3_600_000))]);
  const api = serviceProcess("admin-api", { ADMIN_API_PORT: "0", ADMIN_TOKEN: "t".repeat(32), SECRETS_ENCRYPTION_KEY: generateEncryptionKey(), DELIVERY_LOG_RETENTION: "10s" });
  await api.start();
  // Retention starts once the API listens, in the mode of the server's store profile (from its buildInfo).
  const mode = await waitFor(() => /delivery log retention by (TTL indexes|a paced sweeper)/.exec(api.output)?.[1], { message: "retention started" });
  if (mode === "a paced sweeper") {
    await waitFor(async () => (await deliveriesCollection(mongo.db).countDocuments()) === 1, { timeout: 20_000, message: "the old entries deleted" });
    expect((await deliveriesCollection(mongo.db).find().toArray()).map((d) => d._id)).toEqual(["new_1"]);
    // The admin API serves /metrics on its own port, logged with "admin API listening".
    const port = /"port":(\d+)[^\n]*"msg":"admin API listening"/.exec(api.output)?.[1];
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/webhook_log_expired_total\{[^}]*collection="deliveries"[^}]*\} 2\n/);
  }
  expect(await api.stop()).toBe(0);
  expect(api.output).toMatch(/"msg":"stopped"/);
});
