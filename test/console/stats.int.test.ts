// The page's endpoint statistics and "Find a delivery" (docs/statistics.md) in a real
// browser against the real stack: deliveries to a receiver answering 204 on one webhook and
// 500 on the other, counted by the dispatcher, charted from GET .../stats, searched with
// GET /v1/organizations/:orgId/deliveries.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { expectAccessible, expectFitsNarrowScreen, launchChromium, newUser, screenshot, type User } from "./browser.js";
import { startConsoleStack, type ConsoleStack } from "./stack.js";

let stack: ConsoleStack;
let browser: Browser;
let user: User | undefined;

beforeAll(async () => {
  // Retries well after the test: each delivery's first attempt is all it counts.
  stack = await startConsoleStack({ retryDelaysMs: [600_000, 600_000, 600_000, 600_000, 600_000] });
  browser = await launchChromium();
});

afterAll(async () => {
  await user?.context.close();
  await browser?.close();
  await stack?.stop();
});

/** A latency chart's name: durations in ms, or in s from 1 s up. */
const LATENCY_DAY = /^Latency, last day: p50 [\d.]+ m?s, p95 up to [\d.]+ m?s$/;

/** The card of one webhook in the list, by its URL. */
const card = (page: Page, url: string) => page.getByRole("listitem").filter({ has: page.getByRole("link", { name: url, exact: true }) });

test("charts each webhook's success rate and latency for the last hour, day and week, and finds deliveries by event id and delivery id", { timeout: 90_000 }, async () => {
  const org = "org_stats_page";
  const key = await stack.api.createOrgKey(org);
  const create = async (path: string) => {
    const res = await stack.api.request("POST", `/v1/organizations/${org}/webhooks`, { token: key, body: { url: stack.receiver.url(path), contentType: "json", events: ["*"] } });
    expect(res.status, res.text).toBe(201);
    return { id: res.json.id as string, url: stack.receiver.url(path) };
  };
  const ok = await create("/stats-ok");
  const failing = await create("/stats-failing");
  stack.answer("/stats-failing", { status: 500, body: "down" });
  const events = [];
  for (let i = 0; i < 3; i++) events.push(await stack.produceEvent(org, "task.created", { id: `tsk_${i}`, title: `Task ${i}` }));
  // Counted once the dispatcher has written its tallies (every 300 ms in this stack).
  for (const hook of [ok, failing]) {
    await expect
      .poll(async () => (await stack.api.request("GET", `/v1/organizations/${org}/webhooks/${hook.id}/stats?interval=day`, { token: key })).json.items[0]?.attempts ?? 0, { timeout: 30_000 })
      .toBe(3);
  }

  user = await newUser(browser, stack.api.baseUrl);
  const { page } = user;
  await page.goto("/");
  await page.getByLabel("API key or operator token").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/ui\/webhooks$/);

  // The list: the last day by default, for each webhook.
  await card(page, ok.url).getByRole("img", { name: "Success rate, last day: 100 % of 3 attempts succeeded" }).waitFor();
  await card(page, failing.url).getByRole("img", { name: "Success rate, last day: 0 % of 3 attempts succeeded" }).waitFor();
  await card(page, ok.url).getByRole("img", { name: LATENCY_DAY }).waitFor();
  await expectAccessible(page, "the webhook list with statistics");
  await expectFitsNarrowScreen(page, "the webhook list with statistics");
  await screenshot(page, "statistics");
  for (const [radio, label] of [
    ["Last hour", "last hour"],
    ["Last week", "last week"],
  ] as const) {
    await page.getByRole("radio", { name: radio }).check();
    await card(page, failing.url)
      .getByRole("img", { name: `Success rate, ${label}: 0 % of 3 attempts succeeded` })
      .waitFor();
  }

  // Find a delivery: an event id finds its delivery to each webhook; each links to the delivery.
  const box = page.getByLabel("Event id or delivery id");
  await box.fill(events[1]!.id);
  await page.getByRole("button", { name: "Find", exact: true }).click();
  const found = page.getByRole("list", { name: "Deliveries found" });
  await found.waitFor();
  const links = found.getByRole("link", { name: /^dlv_/ });
  await expect.poll(() => links.count()).toBe(2);
  const deliveryId = (await links.first().textContent())!;
  // A delivery id finds that one delivery.
  await box.fill(deliveryId);
  await page.getByRole("button", { name: "Find", exact: true }).click();
  await expect.poll(() => found.getByRole("link", { name: /^dlv_/ }).allTextContents()).toEqual([deliveryId]);
  // Nothing found says so, the text as typed.
  await box.fill("evt_<b>nothing</b>");
  await page.getByRole("button", { name: "Find", exact: true }).click();
  await page.getByText("No delivery found for evt_<b>nothing</b>.").waitFor();
  await box.fill(deliveryId);
  await page.getByRole("button", { name: "Find", exact: true }).click();
  await found.getByRole("link", { name: deliveryId }).click();
  await page.waitForURL(new RegExp(`/deliveries/${deliveryId}$`));

  // A webhook's own page: the last hour by default.
  await page.goto(`/ui/webhooks/${failing.id}`);
  await page.getByRole("heading", { name: "Statistics" }).waitFor();
  await page.getByRole("img", { name: "Success rate, last hour: 0 % of 3 attempts succeeded" }).waitFor();
  await page.getByRole("radio", { name: "Last day" }).check();
  await page.getByRole("img", { name: LATENCY_DAY }).waitFor();
  await expectAccessible(page, "a webhook's statistics");
  expect(user.problems, "browser errors").toEqual([]);
});
