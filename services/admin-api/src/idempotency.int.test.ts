import { PendingWrites } from "@agiletune/shared";
import { integrationTest as test } from "@agiletune/testing";
import { expect } from "vitest";
import { ApiError } from "./errors.js";
import { createIdempotencyStore, IDEMPOTENCY_DEFAULTS } from "./idempotency.js";

const scope = { organizationId: "org_a", key: "k", fingerprint: "f1" };
const answer = (id: string) => ({ status: 202, body: { id } });

test("one batch of claims with the same key on the real database: the work runs once, every caller gets the first answer", async ({ mongo, logger }) => {
  const store = createIdempotencyStore({ db: mongo.db, clock: () => new Date(), options: IDEMPOTENCY_DEFAULTS, background: new PendingWrites(), logger });
  let runs = 0;
  const work = async () => {
    runs++;
    await new Promise((resolve) => setTimeout(resolve, 50));
  };
  // Submitted in one tick: the claims go to the database in one insert, duplicates inside it.
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.runOnce(scope, answer(`evt_${i}`), work)));
  expect(runs).toBe(1);
  const first = results.find((r) => !r.replayed)!;
  expect(results.filter((r) => !r.replayed)).toHaveLength(1);
  expect(results.map((r) => r.body)).toEqual(Array(8).fill(first.body));
});

test("a failed first request releases its key; a claim left undone is waited for, then taken over after its lease", async ({ mongo, logger }) => {
  let now = Date.parse("2026-03-20T12:00:00Z");
  const store = createIdempotencyStore({ db: mongo.db, clock: () => new Date(now), options: { ...IDEMPOTENCY_DEFAULTS, waitMs: 300, leaseMs: 60_000 }, background: new PendingWrites(), logger });
  await expect(
    store.runOnce(scope, answer("evt_1"), async () => {
      throw new Error("broker away");
    }),
  ).rejects.toThrow("broker away");
  expect(await store.runOnce(scope, answer("evt_2"), async () => undefined)).toEqual({ ...answer("evt_2"), replayed: false });

  // A request that died between its claim and its answer: repeats wait, then are told to try again.
  const other = { ...scope, key: "died" };
  const never = new Promise<void>(() => undefined);
  void store.runOnce(other, answer("evt_3"), () => never);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const waited = await store.runOnce(other, answer("evt_4"), async () => undefined).catch((e: unknown) => e);
  expect(waited).toBeInstanceOf(ApiError);
  expect(waited).toMatchObject({ code: "conflict", status: 409 });
  now += 60_000;
  expect(await store.runOnce(other, answer("evt_5"), async () => undefined)).toEqual({ ...answer("evt_5"), replayed: false });
});
