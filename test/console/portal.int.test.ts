// The settings page opened by a portal link, as AgileTune's backend opens it for an admin:
// Debian's Chromium against the admin API (serving the built page) on the real database,
// directly and framed by a page of another loopback origin. No pipeline runs: nothing here
// is delivered.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createKafka, connectMongo, ensureIndexes, prefixedTopicNames, type Mongo } from "@agiletune/shared";
import { startTestApi, type TestApi } from "@agiletune/testing/harness";
import { pino } from "pino";
import type { Browser, Frame, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { ensureConsoleBuilt } from "../../scripts/build.js";
import { expectAccessible, expectFitsNarrowScreen, launchChromium, newUser, screenshot, type User } from "./browser.js";

// Callbacks given to page.evaluate run in the page; this Node program's types have no DOM.
declare const sessionStorage: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const HOOK = { url: "https://hooks.example.com/portal", contentType: "json", events: ["task.created"] };

let api: TestApi;
let mongo: Mongo;
let browser: Browser;
/** AgileTune's own page, on another origin (localhost rather than 127.0.0.1): it frames ours. */
let embedder: Server;
let embedderOrigin: string;
let frameSrc = "";
const users: User[] = [];
/** Every link secret made; none may reach a URL the browser asked for. */
const linkSecrets: string[] = [];

beforeAll(async () => {
  const testId = `portal${Date.now().toString(36)}${randomBytes(3).toString("hex")}`;
  embedder = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(
      `<!doctype html><html lang="en"><title>AgileTune · Organization Settings</title><h1>Organization Settings</h1><iframe title="Webhooks" src="${frameSrc}" width="1200" height="800"></iframe></html>`,
    );
  });
  embedder.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => embedder.once("listening", () => resolve()));
  embedderOrigin = `http://localhost:${(embedder.address() as AddressInfo).port}`;

  const mongoUrl = new URL(inject("mongoUrl"));
  mongoUrl.pathname = `/${testId}`;
  mongo = await connectMongo(mongoUrl.toString());
  await ensureIndexes(mongo.db);
  await ensureConsoleBuilt();
  const kafka = createKafka({ brokers: inject("kafkaBrokers").split(","), clientId: testId, logger: pino({ level: "silent" }) });
  api = await startTestApi({ db: mongo.db, kafka, topics: prefixedTopicNames(`${testId}.`), frameAncestors: [embedderOrigin] });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => embedder?.close(() => resolve()));
  try {
    const urls = users.flatMap((u) => u.urls);
    for (const secret of linkSecrets)
      expect(
        urls.filter((url) => url.includes(secret)),
        "a link secret in a URL the browser asked for",
      ).toEqual([]);
    for (const u of users) expect(u.urls.length).toBeGreaterThan(0);
    // Also fails on a secret in a log line or a response other than the one that issued it.
    await api?.close();
  } finally {
    await mongo?.db.dropDatabase().catch(() => undefined);
    await mongo?.client.close();
  }
});

async function user(baseURL = api.baseUrl): Promise<User> {
  const u = await newUser(browser, baseURL);
  users.push(u);
  return u;
}

/** What AgileTune's backend does: one call with the operator token. */
async function portalLink(orgId: string, body: Record<string, unknown>): Promise<{ id: string; url: string }> {
  const res = await api.request("POST", `/v1/organizations/${orgId}/portal-sessions`, { body });
  expect(res.status, res.text).toBe(201);
  linkSecrets.push((res.json.url as string).split("#")[1]!);
  return { id: res.json.id, url: res.json.url };
}

async function webhookOf(orgId: string): Promise<string> {
  const res = await api.request("POST", `/v1/organizations/${orgId}/webhooks`, { body: HOOK });
  expect(res.status, res.text).toBe(201);
  return res.json.id as string;
}

/** The token this tab holds: read from sessionStorage as any script of the page could. */
const heldToken = (page: Page | Frame) => page.evaluate(() => JSON.parse(sessionStorage.getItem("agiletune.console.session") ?? "{}").token as string | undefined);

describe("a portal link", () => {
  test("opens the organization's webhooks with no key, says who is signed in, and the Activity tab shows what they changed", async () => {
    await webhookOf("org_open");
    const { url } = await portalLink("org_open", { user: { id: "u_ada", name: "Ada Admin", email: "ada@example.com" } });
    const u = await user();
    const { page } = u;
    await page.goto(url);
    await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
    // No sign-in form was shown; the secret left the address bar; the tab holds a session token, not the link.
    expect(await page.getByLabel("API key or operator token").count()).toBe(0);
    expect(page.url()).not.toContain("#");
    expect(await heldToken(page)).toMatch(/^pst_/);
    await expect.poll(() => page.getByText("Signed in as Ada Admin").count()).toBe(1);
    await expect.poll(() => page.getByText("org_open").count()).toBeGreaterThan(0);
    await page.getByRole("link", { name: HOOK.url }).click();
    await page.getByRole("button", { name: "Deactivate" }).click();
    await page.getByText("Webhook deactivated").waitFor();

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Activity" }).click();
    await page.getByRole("heading", { level: 1, name: "Activity" }).waitFor();
    const changed = page.getByRole("row").filter({ hasText: "Changed the webhook" });
    await changed.waitFor();
    expect(await changed.textContent()).toContain("Ada Admin (user u_ada)");
    expect(await changed.textContent()).toContain("active: true → false");
    expect(await page.getByRole("row").filter({ hasText: "Created the webhook" }).textContent()).toContain("AgileTune operator");
    await expectAccessible(page, "Activity");
    await expectFitsNarrowScreen(page, "Activity");
    await screenshot(page, "activity");
    // A top-level tab keeps its session in sessionStorage: a reload stays signed in.
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Activity" }).waitFor();
    await page.getByText("Signed in as Ada Admin").waitFor();

    // The link is good once: another browser opening it again is not signed in.
    const other = await user();
    await other.page.goto(url);
    await other.page.getByText(/Not signed in\. This link has been used already/).waitFor();
    expect(await heldToken(other.page)).toBeUndefined();
    expect(u.problems).toEqual([]);
  });

  test("works inside an iframe of another origin allowed by PORTAL_FRAME_ANCESTORS: the framed page signs in and adds a webhook", async () => {
    const { url } = await portalLink("org_framed", { user: { id: "u_grace", name: "Grace" } });
    frameSrc = url;
    const u = await user(embedderOrigin);
    await u.page.goto("/");
    await u.page.getByRole("heading", { name: "Organization Settings" }).waitFor();
    const frame = u.page.frameLocator('iframe[title="Webhooks"]');
    await frame.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
    await frame.getByText("Signed in as Grace").waitFor();
    await frame.getByRole("button", { name: "Add Webhook" }).first().click();
    await frame.getByLabel("Payload URL").fill("https://hooks.example.com/framed");
    await frame.getByRole("checkbox", { name: "task.created" }).check();
    await frame.getByRole("button", { name: "Create Webhook" }).click();
    await frame.getByRole("heading", { level: 1, name: "Webhook created" }).waitFor();
    // Moving on inside the frame keeps the session (held in memory where the browser refuses a framed page its storage).
    await frame.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Activity" }).click();
    await frame.getByRole("row").filter({ hasText: "Created the webhook" }).filter({ hasText: "Grace (user u_grace)" }).waitFor();
    await screenshot(u.page, "portal-framed");

    const listed = await api.request("GET", "/v1/organizations/org_framed/webhooks");
    expect(listed.json.items.map((w: { url: string }) => w.url)).toEqual(["https://hooks.example.com/framed"]);
    const audit = await api.request("GET", "/v1/organizations/org_framed/audit-log");
    expect(audit.json.items.find((e: { action: string }) => e.action === "webhook.created").actor).toEqual({ type: "portal-user", id: "u_grace", name: "Grace" });
    expect(u.problems).toEqual([]);
  });

  test("read-only: the page offers no control that changes anything, and the API refuses a ping with the session's token", async () => {
    const webhookId = await webhookOf("org_readonly");
    const { url } = await portalLink("org_readonly", { user: { id: "u_viewer", name: "Viv Viewer" }, readOnly: true });
    const u = await user();
    const { page } = u;
    await page.goto(url);
    await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
    await page.getByText("Signed in as Viv Viewer (read-only)").waitFor();
    expect(await page.getByRole("button", { name: "Add Webhook" }).count()).toBe(0);
    await page.getByRole("link", { name: HOOK.url }).click();
    await page.getByText("Read-only: you can see this webhook and its deliveries, but not change them.").waitFor();
    for (const name of ["Send test event", "Deactivate", "Recover", "Rotate secret", "Delete", "Redeliver"]) expect(await page.getByRole("button", { name }).count(), name).toBe(0);
    expect(await page.getByText("Edit settings").count()).toBe(0);
    await page.getByRole("heading", { name: "Recent Deliveries" }).waitFor();
    await expectAccessible(page, "a webhook, read-only");

    const token = await heldToken(page);
    const ping = await api.request("POST", `/v1/organizations/org_readonly/webhooks/${webhookId}/ping`, { token });
    expect([ping.status, ping.json.error.code]).toEqual([403, "forbidden"]);
    expect((await api.request("GET", `/v1/organizations/org_readonly/webhooks/${webhookId}/deliveries`)).json.items).toEqual([]);
    expect(u.problems).toEqual([]);
  });

  test("ending the session signs out a page that is open", async () => {
    await webhookOf("org_ended");
    const { id, url } = await portalLink("org_ended", { user: { id: "u_leaving" } });
    const u = await user();
    const { page } = u;
    await page.goto(url);
    await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
    const token = await heldToken(page);

    expect((await api.request("DELETE", `/v1/organizations/org_ended/portal-sessions/${id}`)).status).toBe(204);
    // The page asks every few seconds; nobody touches it meanwhile.
    await page.getByRole("heading", { level: 1, name: "Signed out" }).waitFor({ timeout: 20_000 });
    await page.getByText("AgileTune ended this session, or it expired.").waitFor();
    expect(await heldToken(page)).toBeUndefined();
    expect(await page.getByRole("navigation", { name: "Main" }).count()).toBe(0);
    expect((await api.request("GET", "/v1/organizations/org_ended/webhooks", { token })).status).toBe(401);
    expect(u.problems).toEqual([]);
  });
});
