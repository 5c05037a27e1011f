// The settings page's custom headers, Authentication section and Ed25519 public key, in
// Debian's Chromium against the real stack (stack.ts): what a person types is saved, sent
// with the next delivery, and never shown again.
import { verify } from "node:crypto";
import { publicKeyFromPublished, webhooksCollection } from "@agiletune/shared";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { expectAccessible, expectFitsNarrowScreen, launchChromium, newUser, screenshot, type User } from "./browser.js";
import { startConsoleStack, type ConsoleStack } from "./stack.js";

let stack: ConsoleStack;
let browser: Browser;
let user: User | undefined;

beforeAll(async () => {
  stack = await startConsoleStack({ retryDelaysMs: [1_000, 1_000, 1_000, 1_000, 1_000] });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const fact = (page: Page, term: string): Locator =>
  page
    .getByRole("term")
    .filter({ hasText: new RegExp(`^${term}$`) })
    .locator("xpath=..")
    .getByRole("definition");

test("headers, bearer auth and Ed25519 are edited on the page, hidden once saved, and sent; the public key is copied and verifies v1a", async () => {
  const orgId = "org_gateway";
  const key = await stack.api.createOrgKey(orgId);
  const url = stack.receiver.url("/gateway");
  const created = await stack.api.request("POST", `/v1/organizations/${orgId}/webhooks`, { token: key, body: { url, contentType: "json", events: ["*"] } });
  const hookId = created.json.id as string;
  const apiKey = "gateway-key-0123456789abcdef";
  const bearer = "bearer-from-the-page-0123456789";

  user = await newUser(browser, stack.api.baseUrl);
  const { page } = user;
  await page.goto("/");
  await page.getByLabel("API key or operator token").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/ui\/webhooks$/);
  await page.goto(`/ui/webhooks/${hookId}`);
  await page.getByRole("heading", { level: 1, name: `Webhook ${url}` }).waitFor();
  expect(await fact(page, "Custom headers").textContent()).toBe("None");
  expect(await fact(page, "Authentication").textContent()).toBe("None");

  await page.getByText("Edit settings").click();
  await page.getByRole("button", { name: "Add header" }).click();
  const row = page.getByRole("group", { name: "Header 1" });
  await row.getByLabel("Header name").fill("X-Api-Key");
  await row.getByLabel("Header value").fill(apiKey);
  await page.getByLabel("Authentication type").selectOption({ label: "Bearer token" });
  await page.getByLabel("Token", { exact: true }).fill(bearer);
  await page.getByRole("checkbox", { name: "Sign with Ed25519" }).check();
  await expectAccessible(page, "the settings form with a header and bearer auth");
  await screenshot(page, "endpoint-settings-form");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText("Settings saved. They apply to events produced from now on.").waitFor();

  // Saved: the facts show the header's hint, the auth type and the public key; the form holds no value any more.
  await expect.poll(() => fact(page, "Custom headers").textContent()).toBe("X-Api-Key: …cdef");
  expect(await fact(page, "Authentication").textContent()).toBe("Bearer token");
  const stored = (await webhooksCollection(stack.db).findOne({ _id: hookId }))!;
  const publicKey = stored.signingKey!.publicKey;
  await page.getByRole("button", { name: "Copy public key" }).click();
  await page.getByText("Public key copied to the clipboard.").waitFor();
  expect(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())).toBe(publicKey);
  expect(await fact(page, "Ed25519 public key").textContent()).toContain(publicKey);
  await screenshot(page, "endpoint-settings-saved");
  await expectAccessible(page, "the webhook with its saved header, auth and public key");
  await expectFitsNarrowScreen(page, "the webhook with its saved header, auth and public key");
  const savedRow = page.getByRole("group", { name: "Header 1" });
  expect(await savedRow.getByLabel("Header value").inputValue()).toBe("");
  expect(await savedRow.getByLabel("Header value").getAttribute("placeholder")).toBe("Saved (…cdef); type to replace");
  expect(await page.getByLabel("Token", { exact: true }).inputValue()).toBe("");
  const html = await page.content();
  expect(html.includes(apiKey) || html.includes(bearer)).toBe(false);

  // The next delivery carries both, and its v1a verifies with the key the page showed.
  await new Promise((r) => setTimeout(r, 2_000));
  await stack.produceEvent(orgId, "task.created", { id: "tsk_gateway" });
  await expect.poll(() => stack.receiver.requests.filter((r) => r.path === "/gateway").length, { timeout: 15_000 }).toBe(1);
  const delivery = stack.receiver.requests.find((r) => r.path === "/gateway")!;
  expect(delivery.headers["x-api-key"]).toBe(apiKey);
  expect(delivery.headers.authorization).toBe(`Bearer ${bearer}`);
  const v1a = String(delivery.headers["webhook-signature"])
    .split(" ")
    .find((s) => s.startsWith("v1a,"))!;
  const signed = Buffer.from(`${delivery.headers["webhook-id"]}.${delivery.headers["webhook-timestamp"]}.${delivery.body}`);
  expect(verify(null, signed, publicKeyFromPublished(publicKey), Buffer.from(v1a.slice(4), "base64"))).toBe(true);

  // Another type without its secret is refused next to the section; the header is removed.
  await page.getByLabel("Authentication type").selectOption({ label: "Basic (user name and password)" });
  await page.getByLabel("User name").fill("hooks");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText("Authentication: password is required").waitFor();
  await page.getByLabel("Authentication type").selectOption({ label: "None" });
  await page.getByRole("button", { name: "Remove header X-Api-Key" }).click();
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText("Settings saved. They apply to events produced from now on.").waitFor();
  await expect.poll(() => fact(page, "Custom headers").textContent()).toBe("None");
  expect(await fact(page, "Authentication").textContent()).toBe("None");
  const after = (await webhooksCollection(stack.db).findOne({ _id: hookId }))!;
  expect([after.headers, after.auth]).toEqual([[], null]);

  // Nothing typed reached a URL or a log line.
  const lines = [...stack.logLines, ...stack.api.logLines];
  for (const secret of [apiKey, bearer, key]) {
    expect(user.urls.filter((u) => u.includes(secret))).toEqual([]);
    expect(lines.filter((l) => l.includes(secret))).toEqual([]);
  }
  expect(user.problems).toEqual([]);
});
