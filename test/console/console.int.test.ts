// The webhook settings page in a real browser against the real stack: Debian's
// Chromium, the admin API serving the built page, fanout, dispatcher and retry on the real
// broker and database, and a receiver on loopback. One stack for the whole file; each test
// is one person's browser (its own context, so its own sessionStorage) in an organization of
// its own, with its own webhooks and events, so any test runs alone (`-t "<name>"`).
import { countByStatus, deliveriesCollection, deliveryIdFor, newDeliveryEntry, storedPayloadOf, webhooksCollection } from "@agiletune/shared";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { verifySignature } from "../../packages/shared/src/fixtures/user-guide-verify-signature.js";
import { expectAccessible, expectFitsNarrowScreen, launchChromium, newUser, screenshot, tabTo, type User } from "./browser.js";
import { startConsoleStack, type ConsoleStack } from "./stack.js";

// Callbacks given to page.evaluate run in the page; this Node program's types have no DOM.
declare const document: any, sessionStorage: any, localStorage: any, navigator: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const XSS = "<img src=x onerror=alert(1)>";
// Retry 1 after 3 s, so "retrying" stays on screen long enough to be seen; the rest short.
const RETRY_DELAYS_MS = [3_000, 1_000, 1_000, 1_000, 1_000];

let stack: ConsoleStack;
let browser: Browser;
const users: User[] = [];
/** Every secret and token the tests saw; none may reach a log line or a URL. */
const secrets = new Set<string>();

type Organization = { id: string; key: string };

/**
 * An organization of the calling test's own, with its API key. A webhook change applies to
 * events produced 2 s later or more (docs/openapi.json), as the services cache webhooks (fanout
 * by organization, the dispatcher by webhook id) for up to 1 s; a new organization and its
 * new webhooks are in no cache yet, so they are read afresh at its first event, and the
 * test produces that event without waiting.
 */
async function newOrganization(name: string): Promise<Organization> {
  const id = `org_${name}`;
  const key = await stack.api.createOrgKey(id);
  secrets.add(key);
  return { id, key };
}

/** A webhook made through the API, as a customer's script would; its secret is recorded among those that must not leak. */
async function createWebhook(org: Organization, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const created = await stack.api.request("POST", `/v1/organizations/${org.id}/webhooks`, { token: org.key, body: { contentType: "json", ...body } });
  expect(created.status, created.text).toBe(201);
  secrets.add(created.json.secret);
  return { id: created.json.id as string, secret: created.json.secret as string };
}

async function user(): Promise<User> {
  const u = await newUser(browser, stack.api.baseUrl);
  users.push(u);
  return u;
}

/** Signs in from the start page and waits for the page it leads to. */
async function signIn(page: Page, token: string): Promise<void> {
  await page.goto("/");
  await page.getByLabel("API key or operator token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/ui\/(webhooks|organization)$/);
}

/** The row of one delivery in Recent Deliveries. */
const deliveryRow = (page: Page, deliveryId: string) => page.getByRole("row").filter({ has: page.getByRole("link", { name: deliveryId }) });

/** The definition of one term of a webhook's facts (State, Health, Rate limit…), e.g. the health as the reader sees it. */
const fact = (scope: Page | Locator, term: string) =>
  scope
    .getByRole("term")
    .filter({ hasText: new RegExp(`^${term}$`) })
    .locator("xpath=..")
    .getByRole("definition");

/** A time as the page's datetime-local fields take it: the browser's local time, to the minute. */
function localTime(page: Page, ms: number): Promise<string> {
  return page.evaluate((at: number) => {
    const d = new Date(at);
    const pad = (n: number) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }, ms);
}

/** The texts an element's aria-describedby points at, joined with " | ". */
const descriptionOf = (locator: Locator) =>
  locator.evaluate((el) =>
    (el.getAttribute("aria-describedby") ?? "")
      .split(" ")
      .map((id: string) => document.getElementById(id)?.textContent ?? "")
      .join(" | "),
  );

/** Waits until the delivery log has the delivery in this status. */
async function loggedAs(deliveryId: string, status: string, timeout = 15_000): Promise<void> {
  await expect.poll(async () => (await deliveriesCollection(stack.db).findOne({ _id: deliveryId }))?.status, { timeout }).toBe(status);
}

function expectNoProblems(u: User): void {
  expect(u.problems, "browser errors").toEqual([]);
}

beforeAll(async () => {
  stack = await startConsoleStack({ retryDelaysMs: RETRY_DELAYS_MS });
  browser = await launchChromium();
  secrets.add(stack.api.adminToken);
});

afterAll(async () => {
  await browser?.close();
  if (!stack) return;
  try {
    // No token or secret in any URL the browser asked for, nor in any log line of any service.
    const urls = users.flatMap((u) => u.urls);
    const lines = [...stack.logLines, ...stack.api.logLines];
    for (const secret of secrets) {
      expect(
        urls.filter((url) => url.includes(secret) || url.includes(encodeURIComponent(secret))),
        "a secret in a URL",
      ).toEqual([]);
      expect(lines.filter((line) => line.includes(secret)).length, `a secret (${secret.slice(0, 6)}…) in a log line`).toBe(0);
    }
    // Each browser's requests were seen (a check of nothing would pass).
    for (const u of users) expect(u.urls.length).toBeGreaterThan(0);
  } finally {
    await stack.stop();
  }
});

describe("the webhook settings page", () => {
  test("is served at / with its security headers; API errors stay JSON", async () => {
    const base = stack.api.baseUrl;
    const root = await fetch(`${base}/`, { redirect: "manual" });
    expect([root.status, root.headers.get("location")]).toEqual([302, "/ui/"]);
    const page = await fetch(`${base}/ui/webhooks`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("cache-control")).toBe("no-store");
    // No inline script in the page: only the hashed bundle, with its integrity.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const script = /src="(\/ui\/assets\/main-[A-Z0-9]+\.js)" integrity="sha384-/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(base + script!);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(asset.headers.get("content-security-policy")).toBe(csp);
    expect(asset.headers.get("x-content-type-options")).toBe("nosniff");
    expect(asset.headers.get("referrer-policy")).toBe("no-referrer");
    const api = await fetch(`${base}/v1/nothing`);
    expect([api.status, ((await api.json()) as { error: { code: string } }).error.code]).toEqual([404, "not_found"]);
  });

  test("an organization key signs in; the empty list says what a webhook is and links to the guide's signature section", async () => {
    const org = await newOrganization("signin");
    const u = await user();
    const { page } = u;
    await page.goto("/");
    await expect.poll(() => page.url(), { timeout: 15_000 }).toMatch(/\/ui\/sign-in$/);
    await expectAccessible(page, "sign-in");
    await expectFitsNarrowScreen(page, "sign-in");

    // A wrong token: said in words, and still on sign-in.
    await page.getByLabel("API key or operator token").fill("atk_not-a-real-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent(), { timeout: 15_000 }).toContain("The token is not valid.");

    await page.getByLabel("API key or operator token").fill(org.key);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
    expect(page.url()).toBe(`${stack.api.baseUrl}/ui/webhooks`);
    const empty = page.getByRole("region", { name: "No webhooks yet" });
    await empty.waitFor();
    expect(await empty.textContent()).toContain("A webhook sends an HTTP POST request to a URL of yours");
    await expectAccessible(page, "empty webhook list");
    await expectFitsNarrowScreen(page, "empty webhook list");
    // Kept for this tab only.
    expect(await page.evaluate(() => ({ session: sessionStorage.length, local: localStorage.length, cookie: document.cookie }))).toEqual({ session: 1, local: 0, cookie: "" });

    await empty.getByRole("link", { name: "Signature Verification" }).click();
    const heading = page.getByRole("heading", { name: "Signature Verification" });
    await expect.poll(() => heading.evaluate((el) => el === document.activeElement), { timeout: 15_000 }).toBe(true);
    expect(page.url()).toMatch(/\/ui\/guide#signature-verification$/);
    expect(await page.getByRole("group", { name: "verifySignature" }).textContent()).toContain('.createHmac("sha256", secret)');
    // Each event type's schema and example, from GET /v1/event-types.
    const schema = page.getByRole("group", { name: "task.updated schema" });
    await schema.waitFor();
    expect(JSON.parse((await schema.textContent())!)).toMatchObject({ $schema: "https://json-schema.org/draft/2020-12/schema", required: ["id", "changes"] });
    expect(JSON.parse((await page.getByRole("group", { name: "task.updated example" }).textContent())!)).toMatchObject({ id: "tsk_abc123", changes: { status: { from: "todo", to: "in_progress" } } });
    expect(await page.getByRole("group", { name: /schema$/ }).count()).toBe(8);
    await expectAccessible(page, "guide");
    expectNoProblems(u);
  });

  test("Add Webhook: the API's field errors appear next to the fields they concern", async () => {
    const org = await newOrganization("field_errors");
    const u = await user();
    const { page } = u;
    await signIn(page, org.key);
    await page.getByRole("button", { name: "Add Webhook" }).first().click();
    await page.getByRole("heading", { level: 1, name: "Add Webhook" }).waitFor();
    // The events come from GET /v1/event-types, grouped, with their descriptions.
    const tasks = page.getByRole("group", { name: "Tasks" });
    await tasks.getByRole("checkbox", { name: "task.created" }).waitFor();
    expect(await tasks.getByRole("checkbox").count()).toBe(4);
    await expect
      .poll(
        () => tasks.getByRole("checkbox", { name: "task.moved" }).evaluate((el) => el.getAttribute("aria-describedby") && document.getElementById(el.getAttribute("aria-describedby")!)?.textContent),
        { timeout: 15_000 },
      )
      .toBe("A task is moved to a different column");
    for (const [group, count] of [
      ["Comments", 1],
      ["Members", 2],
      ["Projects", 1],
    ] as const)
      expect(await page.getByRole("group", { name: group }).getByRole("checkbox").count()).toBe(count);
    await expect.poll(() => page.getByLabel("Content type").inputValue(), { timeout: 15_000 }).toBe("json");
    expect(await page.getByLabel("Content type").locator("option:checked").textContent()).toContain("JSON (recommended)");
    await screenshot(page, "add-webhook");
    await expectAccessible(page, "Add Webhook form");
    await expectFitsNarrowScreen(page, "Add Webhook form");

    await page.getByLabel("Payload URL").fill("ftp://files.example.com/in");
    await page.getByLabel("Secret", { exact: true }).fill("too-short");
    await page.getByLabel("Rate limit (requests per second)").fill("0");
    await page.getByRole("button", { name: "Create Webhook" }).click();
    const url = page.getByLabel("Payload URL");
    await expect.poll(() => url.getAttribute("aria-invalid"), { timeout: 15_000 }).toBe("true");
    const description = descriptionOf;
    expect(await description(url)).toMatch(/Payload URL: .*http/);
    const rateLimit = page.getByLabel("Rate limit (requests per second)");
    expect(await rateLimit.getAttribute("aria-invalid")).toBe("true");
    expect(await description(rateLimit)).toContain("Rate limit (requests per second): must be a whole number from 1 to 10000");
    expect(await description(page.getByLabel("Secret", { exact: true }))).toContain("Secret: must be at least 16 characters");
    const events = page.getByRole("group", { name: "Events" });
    expect(await events.getAttribute("aria-invalid")).toBe("true");
    expect(await description(events)).toContain('Events: must list at least one event type, or "*"');
    expect(await page.getByRole("alert").textContent()).toBe("The webhook was not created: check the fields marked below.");
    // Focus went to the first field in error.
    expect(await url.evaluate((el) => el === document.activeElement)).toBe(true);
    await expectAccessible(page, "Add Webhook form with errors");
    expect(await webhooksCollection(stack.db).countDocuments({ organizationId: org.id })).toBe(0);
    expectNoProblems(u);
  });

  test("creates a webhook with a generated secret and two events; the secret is shown once and signs the deliveries", async () => {
    const org = await newOrganization("create");
    const u = await user();
    const { page } = u;
    await signIn(page, org.key);
    await page.getByRole("button", { name: "Add Webhook" }).first().click();
    await page.getByLabel("Payload URL").fill(stack.receiver.url("/created"));
    await page.getByRole("button", { name: "Generate" }).click();
    const secret = await page.getByLabel("Secret", { exact: true }).inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    secrets.add(secret);
    await page.getByRole("checkbox", { name: "task.created" }).check();
    await page.getByRole("checkbox", { name: "comment.created" }).check();
    await page.getByLabel("Description").fill("CI pipeline trigger");
    await page.getByLabel("Rate limit (requests per second)").fill("5");
    await page.getByRole("button", { name: "Create Webhook" }).click();

    await page.getByRole("heading", { level: 1, name: "Webhook created" }).waitFor();
    const shown = page.getByRole("region", { name: "Your webhook's secret" });
    expect(await shown.getByLabel("Secret").inputValue()).toBe(secret);
    await shown.getByRole("button", { name: "Copy secret" }).click();
    await expect.poll(() => shown.getByRole("status").textContent(), { timeout: 15_000 }).toBe("Secret copied to the clipboard.");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    expect(await shown.getByRole("group", { name: "verifySignature example" }).textContent()).toContain("function verifySignature(payload: string, signature: string, secret: string)");
    await expectAccessible(page, "secret shown once");

    const stored = await webhooksCollection(stack.db).findOne({ organizationId: org.id, url: stack.receiver.url("/created") });
    expect(stored).toMatchObject({
      events: ["task.created", "comment.created"],
      contentType: "json",
      description: "CI pipeline trigger",
      active: true,
      secretHint: secret.slice(-4),
      rateLimitPerSecond: 5,
    });
    // The secret shown signs what is delivered.
    await stack.produceEvent(org.id, "comment.created", { id: "cmt_1", body: "signed" });
    await stack.receiver.waitFor((all) => all.some((r) => r.path === "/created"));
    const delivered = stack.receiver.forPath("/created")[0]!;
    expect(verifySignature(delivered.body, String(delivered.headers["x-agiletune-signature"]), secret)).toBe(true);

    await shown.getByRole("button", { name: "I have saved the secret, go to the webhook" }).click();
    await page.getByRole("heading", { level: 1, name: `Webhook ${stack.receiver.url("/created")}` }).waitFor();
    // Gone from the page and from the tab's storage; only its last four characters remain.
    expect(await page.content()).not.toContain(secret);
    expect(await page.evaluate(() => JSON.stringify(Object.entries(sessionStorage)))).not.toContain(secret);
    expect(await page.getByText(`…${secret.slice(-4)}`).count()).toBe(1);
    expect(await fact(page, "Rate limit").textContent()).toBe("5 requests per second");
    await page.goBack();
    await page.getByRole("heading", { level: 1, name: "Add Webhook" }).waitFor();
    expect(await page.content()).not.toContain(secret);
    expectNoProblems(u);
  });

  test("an event produced to agiletune.events appears as succeeded, with the exact body and headers as sent", async () => {
    const org = await newOrganization("delivered");
    const hook = await createWebhook(org, { url: stack.receiver.url("/ok"), events: ["task.created", "comment.created"], description: "CI pipeline trigger", rateLimitPerSecond: 5 });
    const u = await user();
    const { page } = u;
    await signIn(page, org.key);
    await page.goto(`/ui/webhooks/${hook.id}`);
    await page.getByRole("heading", { level: 2, name: "Recent Deliveries" }).waitFor();
    await page.getByText("No deliveries yet.").waitFor();

    const event = await stack.produceEvent(org.id, "task.created", { id: "tsk_42", title: "Ünïcode & <b>bold</b> ✓", assignee: { id: "usr_1", name: "Jane Doe" } });
    await stack.produceEvent(org.id, "task.deleted", { id: "tsk_43" }); // not subscribed
    await stack.receiver.waitFor((all) => all.some((r) => r.path === "/ok"));
    const received = stack.receiver.forPath("/ok")[0]!;
    expect(verifySignature(received.body, String(received.headers["x-agiletune-signature"]), hook.secret)).toBe(true);
    const deliveryId = deliveryIdFor(event.id, hook.id);
    // Logged just after the response: then the reader presses Refresh.
    await loggedAs(deliveryId, "succeeded");
    await page.getByRole("button", { name: "Refresh" }).click();
    const row = deliveryRow(page, deliveryId);
    await expect.poll(() => row.getByRole("cell").first().textContent(), { timeout: 15_000 }).toContain("succeeded");
    expect(await row.getByRole("cell").nth(1).textContent()).toBe("task.created");
    expect(await row.getByRole("cell").nth(4).textContent()).toBe("1");
    expect(await row.getByRole("cell").nth(5).textContent()).toBe("200");
    expect(await page.getByRole("row").count()).toBe(2);
    await expectAccessible(page, "webhook page with deliveries");
    await expectFitsNarrowScreen(page, "webhook page with deliveries");

    await row.getByRole("link", { name: deliveryId }).click();
    await page.getByRole("heading", { level: 1, name: `Delivery ${deliveryId}` }).waitFor();
    const pretty = page.getByRole("group", { name: "Request body, pretty-printed" });
    await pretty.waitFor();
    expect(await pretty.textContent()).toBe(JSON.stringify(JSON.parse(received.body), null, 2));
    await page.getByText("Exact bytes as sent").click();
    expect(await page.getByRole("group", { name: "Request body as sent" }).textContent()).toBe(received.body);
    const headers = page.getByRole("table", { name: "Request headers" });
    for (const name of ["x-agiletune-signature", "x-agiletune-delivery", "x-agiletune-event", "webhook-id", "content-type"]) {
      expect(
        await headers
          .getByRole("row", { name: new RegExp(`^${name} `) })
          .getByRole("cell")
          .textContent(),
        name,
      ).toBe(String(received.headers[name]));
    }
    const attempt = page.getByRole("heading", { level: 3, name: "Attempt 0: succeeded, HTTP 200" });
    await attempt.waitFor();
    expect(await page.getByRole("group", { name: "Response body of attempt 0" }).textContent()).toBe("ok");
    // The attempt's trace id (docs/tracing.md): the one its traceparent carried, with a button that copies it.
    const traceId = String(received.headers.traceparent).split("-")[1]!;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(await fact(page, "Trace id").getByText(traceId, { exact: true }).count()).toBe(1);
    await fact(page, "Trace id").getByRole("button", { name: "Copy trace id of attempt 0" }).click();
    await expect.poll(() => fact(page, "Trace id").getByRole("status").textContent(), { timeout: 15_000 }).toBe("Trace id copied to the clipboard.");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(traceId);
    await screenshot(page, "delivery");
    await expectAccessible(page, "delivery detail");
    await expectFitsNarrowScreen(page, "delivery detail");

    // The list: health, last delivery and the 24 h chart.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" }).click();
    const card = page.getByRole("listitem").filter({ has: page.getByRole("link", { name: stack.receiver.url("/ok") }) });
    await card.getByRole("img", { name: "Deliveries in the last 24 hours: 1 succeeded, 0 failed" }).waitFor();
    const text = await card.textContent();
    for (const part of ["task.created, comment.created", "application/json", "active", "healthy", "succeeded", "HTTP 200", "CI pipeline trigger"]) expect(text).toContain(part);
    await expectAccessible(page, "webhook list");
    await expectFitsNarrowScreen(page, "webhook list");
    expectNoProblems(u);
  });

  test("an endpoint answering 500 shows retrying with the next due time, then failed and a failing badge; Redeliver after the fix succeeds", async () => {
    stack.answer("/flaky", { status: 500, body: "down for maintenance" });
    const org = await newOrganization("flaky");
    const { id: hookId } = await createWebhook(org, { url: stack.receiver.url("/flaky"), events: ["task.updated"] });
    const u = await user();
    const { page } = u;
    await signIn(page, org.key);
    await page.goto(`/ui/webhooks/${hookId}`);
    await page.getByText("No deliveries yet.").waitFor();

    const event = await stack.produceEvent(org.id, "task.updated", { id: "tsk_7", changes: { status: { from: "todo", to: "in_progress" } } });
    const deliveryId = deliveryIdFor(event.id, hookId);
    await loggedAs(deliveryId, "retrying");
    await page.getByRole("button", { name: "Refresh" }).click();
    const row = deliveryRow(page, deliveryId);
    const status = row.getByRole("cell").first();
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toMatch(/retrying.*next attempt .+\((in \d+ s|now|\d+ s ago)\)/);
    expect(await row.getByRole("cell").nth(5).textContent()).toBe("500");

    // After the short ladder (5 retries), dead-lettered: failed, and the webhook is failing.
    await expect.poll(() => status.textContent(), { timeout: 30_000, interval: 500 }).toContain("failed");
    expect(stack.receiver.forPath("/flaky")).toHaveLength(6);
    expect(await row.getByRole("cell").nth(4).textContent()).toBe("6");
    // The badge, why in words, and since when: the dispatcher writes the health after the dead letter.
    const health = fact(page, "Health");
    await expect.poll(() => health.innerText(), { timeout: 15_000 }).toMatch(/^failing\nReason: retries exhausted; last: http_status: the endpoint answered 500\nFailing since \S/);
    // Since the first failed attempt, not since the dead letter.
    const failingSince = Date.parse((await health.locator("time").getAttribute("datetime"))!);
    expect(failingSince).toBeGreaterThanOrEqual(stack.receiver.forPath("/flaky")[0]!.receivedAt - 1_000);
    expect(failingSince).toBeLessThan(stack.receiver.forPath("/flaky")[1]!.receivedAt);
    await screenshot(page, "webhook");
    await screenshot(page, "webhook-phone", { width: 390 });
    // The list shows it too, with the failure in its 24 h chart.
    await page.getByRole("link", { name: "Webhooks", exact: true }).first().click();
    const card = page.getByRole("listitem").filter({ has: page.getByRole("link", { name: stack.receiver.url("/flaky") }) });
    await card.getByRole("img", { name: "Deliveries in the last 24 hours: 0 succeeded, 1 failed" }).waitFor();
    expect(await fact(card, "Health").innerText()).toMatch(/^failing\nReason: retries exhausted; last: http_status: the endpoint answered 500\nFailing since \S/);
    await screenshot(page, "webhooks");
    await page.goBack();

    // The detail: each attempt with the endpoint's answer.
    await row.getByRole("link", { name: deliveryId }).click();
    await page.getByRole("heading", { level: 3, name: "Attempt 5: failed, HTTP 500" }).waitFor();
    expect(await page.getByRole("heading", { level: 3, name: /^Attempt \d: failed, HTTP 500$/ }).count()).toBe(6);
    expect(await page.getByRole("group", { name: "Response body of attempt 0" }).textContent()).toBe("down for maintenance");
    expect(await page.getByText("retries exhausted").count()).toBeGreaterThan(0);

    // Fixed: Redeliver makes one new attempt, which the page shows when it lands.
    stack.answer("/flaky", { status: 204, body: "" });
    await page.getByRole("button", { name: "Redeliver" }).click();
    await expect.poll(() => page.getByRole("status").filter({ hasText: "New attempt" }).textContent(), { timeout: 20_000 }).toMatch(/^New attempt 6: succeeded, HTTP 204 in \d/);
    await page.getByRole("heading", { level: 3, name: "Attempt 6: succeeded, HTTP 204" }).waitFor();
    expect(await page.getByRole("listitem").filter({ hasText: "Attempt 6: succeeded" }).textContent()).toContain("manual redelivery");
    expect(stack.receiver.forPath("/flaky")).toHaveLength(7);
    expect(stack.receiver.forPath("/flaky")[6]!.headers["x-agiletune-delivery"]).toBe(deliveryId);

    // Back on the webhook: succeeded with seven attempts, and healthy again.
    await page.getByRole("link", { name: "Webhook", exact: true }).click();
    await expect.poll(() => deliveryRow(page, deliveryId).getByRole("cell").first().textContent(), { timeout: 10_000 }).toContain("succeeded");
    expect(await deliveryRow(page, deliveryId).getByRole("cell").nth(4).textContent()).toBe("7");
    await expect.poll(() => fact(page, "Health").innerText(), { timeout: 15_000 }).toBe("healthy");
    // Filters: by status and by event.
    await page.getByLabel("Status").selectOption("failed");
    await page.getByText("No deliveries match these filters.").waitFor();
    await page.getByLabel("Status").selectOption("succeeded");
    await deliveryRow(page, deliveryId).waitFor();
    await page.getByLabel("Event").selectOption("task.created");
    await page.getByText("No deliveries match these filters.").waitFor();
    expectNoProblems(u);
  });

  test("Recent Deliveries pages through the API's cursor with Load more", async () => {
    const org = await newOrganization("load_more");
    const hook = await createWebhook(org, { url: stack.receiver.url("/many"), events: ["task.moved"] });
    for (let i = 0; i < 27; i++) await stack.produceEvent(org.id, "task.moved", { id: `tsk_m${i}`, column: "done", changes: { column: { from: "review", to: "done" } } });
    await expect.poll(() => deliveriesCollection(stack.db).countDocuments({ webhookId: hook.id, status: "succeeded" }), { timeout: 20_000 }).toBe(27);
    const u = await user();
    const { page } = u;
    await signIn(page, org.key);
    await page.goto(`/ui/webhooks/${hook.id}`);
    const table = page.getByRole("table", { name: "Recent Deliveries, newest first" });
    // 25 a page (plus the header row); the log may still be catching up with the last few.
    await expect.poll(() => table.getByRole("row").count(), { timeout: 15_000 }).toBe(26);
    await page.getByRole("button", { name: "Load more" }).click();
    await expect.poll(async () => (await table.getByRole("row").count()) + (await page.getByRole("button", { name: "Load more" }).count()), { timeout: 15_000 }).toBe(28);
    // Every delivery once, newest first.
    const times = await table
      .getByRole("row")
      .locator("time")
      .evaluateAll((els) => els.map((el: { getAttribute(n: string): string }) => el.getAttribute("datetime")));
    expect(times).toHaveLength(27);
    expect([...times].sort().reverse()).toEqual(times);
    expect(new Set(await table.getByRole("link").allTextContents()).size).toBe(27);
    expectNoProblems(u);
  });

  test("another organization's webhook id in the URL shows not found", async () => {
    const mine = await newOrganization("not_found");
    const other = await createWebhook(await newOrganization("not_found_other"), { url: stack.receiver.url("/b"), contentType: "form", events: ["*"] });
    const u = await user();
    const { page } = u;
    await signIn(page, mine.key);
    await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
    await page.goto(`/ui/webhooks/${other.id}`);
    await page.getByRole("heading", { level: 1, name: "Webhook not found" }).waitFor();
    expect(await page.getByRole("main").textContent()).toContain("It may have been deleted, or it belongs to another organization.");
    expect(await page.getByRole("main").textContent()).not.toContain(stack.receiver.url("/b"));
    await page.goto(`/ui/webhooks/${other.id}/deliveries/dlv_0123456789abcdef0123456789abcdef`);
    await page.getByRole("heading", { level: 1, name: /not found$/ }).waitFor();
    await expectAccessible(page, "not found");
    expectNoProblems(u);
  });

  test("the operator picks an organization and replays a dead letter: a dry run first, then the confirmation", async () => {
    // A dead letter of its own: a delivery that ran out of retries on an endpoint answering 500, which then recovers.
    stack.answer("/replay", { status: 500, body: "down for maintenance" });
    const org = await newOrganization("replay");
    const hook = await createWebhook(org, { url: stack.receiver.url("/replay"), events: ["task.updated"] });
    const event = await stack.produceEvent(org.id, "task.updated", { id: "tsk_8", changes: { status: { from: "todo", to: "done" } } });
    const deliveryId = deliveryIdFor(event.id, hook.id);
    await loggedAs(deliveryId, "failed", 30_000);
    await expect.poll(async () => (await stack.api.request("GET", `/v1/admin/dlq?organizationId=${org.id}`)).json.items.length, { timeout: 15_000 }).toBe(1);
    stack.answer("/replay", { status: 204, body: "" });

    const u = await user();
    const { page } = u;
    await signIn(page, stack.api.adminToken);
    await page.getByRole("heading", { level: 1, name: "Choose an organization" }).waitFor();
    await expectAccessible(page, "organization choice");
    await page.getByLabel("Organization ID").fill(org.id);
    await page.getByRole("button", { name: "Open webhooks" }).click();
    await page.getByRole("link", { name: stack.receiver.url("/replay") }).waitFor();

    await page.getByRole("link", { name: "Dead letters" }).click();
    await page.getByRole("heading", { level: 1, name: "Dead letters" }).waitFor();
    // A filter the API refuses: its message next to the field.
    await page.getByLabel("From").fill("2026-03-21T10:00");
    await page.getByLabel("To").fill("2026-03-20T10:00");
    await page.getByRole("button", { name: "Apply filters" }).click();
    await expect.poll(() => page.getByLabel("From").getAttribute("aria-invalid"), { timeout: 15_000 }).toBe("true");
    expect(await page.getByText("From: must be before to", { exact: true }).count()).toBe(1);
    expect(await page.getByRole("alert").textContent()).toBe("The dead letters could not be loaded: a filter is not valid (see the field marked).");
    await page.getByRole("button", { name: "Clear filters" }).click();

    await page.getByLabel("Organization").fill(org.id);
    await page.getByLabel("Event").selectOption("task.updated");
    await page.getByRole("button", { name: "Apply filters" }).click();
    const row = page.getByRole("row").filter({ hasText: deliveryId });
    await row.waitFor();
    expect(await row.textContent()).toContain(hook.id);
    await expect.poll(() => page.getByRole("row").count(), { timeout: 15_000 }).toBe(2);
    await expectAccessible(page, "dead letters");
    await expectFitsNarrowScreen(page, "dead letters");

    const before = stack.receiver.forPath("/replay").length;
    await page.getByRole("button", { name: "Replay…" }).click();
    await page.getByText("Dry run: 1 dead letter would be replayed.").waitFor();
    await screenshot(page, "dead-letters");
    await page.getByRole("button", { name: "Replay 1 dead letter" }).click();
    await page.getByText("Replayed 1 dead letter; each starts a fresh retry ladder.").waitFor();
    await stack.receiver.waitFor((all) => all.filter((r) => r.path === "/replay").length > before);
    await loggedAs(deliveryId, "succeeded");
    // One request: the dry run sent nothing. A copy sent by it would be on the same partition
    // (jobs are keyed by webhook), before the replay's, so it would have arrived first.
    expect(stack.receiver.forPath("/replay")).toHaveLength(before + 1);
    expect(stack.receiver.forPath("/replay").at(-1)!.headers["x-agiletune-delivery"]).toBe(deliveryId);
    await expect.poll(() => row.getByRole("cell").last().textContent(), { timeout: 15_000 }).toMatch(/\(1×\)$/);
    // A second replay finds nothing left.
    await page.getByRole("button", { name: "Replay…" }).click();
    await page.getByText("Dry run: no dead letter would be replayed; nothing matches that has not been replayed already.").waitFor();
    expect(await page.getByRole("button", { name: /^Replay \d/ }).count()).toBe(0);
    expectNoProblems(u);
  });

  test("what a customer or their endpoint wrote renders as text, never as HTML", async () => {
    stack.answer("/xss", { status: 200, body: XSS });
    const org = await newOrganization("xss");
    const hook = await createWebhook(org, { url: stack.receiver.url("/xss"), contentType: "form", events: ["project.created"], description: XSS });
    const u = await user();
    const { page } = u;
    await signIn(page, org.key);
    const card = page.getByRole("listitem").filter({ has: page.getByRole("link", { name: stack.receiver.url("/xss") }) });
    await card.getByText(XSS, { exact: true }).waitFor();
    await card.getByRole("link").click();
    await page.getByText(XSS, { exact: true }).waitFor();

    // Send test event: a ping, shown as it goes.
    await page.getByRole("button", { name: "Send test event" }).click();
    await expect
      .poll(() => page.getByRole("status").filter({ hasText: "Test event queued" }).textContent(), { timeout: 15_000 })
      .toMatch(/^Test event queued as delivery dlv_[0-9a-f]{32}; it appears in Recent Deliveries below\.$/);
    const pingRow = page.getByRole("row").filter({ hasText: "ping" });
    await expect.poll(() => pingRow.getByRole("cell").first().textContent(), { timeout: 15_000 }).toContain("succeeded");
    await pingRow.getByRole("link").click();
    const body = page.getByRole("group", { name: "Response body of attempt 0" });
    await body.waitFor();
    expect(await body.textContent()).toBe(XSS);
    expect(await page.getByRole("main").locator("img").count()).toBe(0);
    // A form body's payload, decoded for reading.
    expect(await page.getByText("Form body: the JSON in its payload field, pretty-printed.").count()).toBe(1);
    expect(JSON.parse((await page.getByRole("group", { name: "Request body, pretty-printed" }).textContent())!)).toMatchObject({ event: "ping", data: { webhookId: hook.id } });
    expectNoProblems(u);
  });

  test("a webhook's page: edit settings, deactivate and activate, rotate the secret, delete with a confirmation naming the URL", async () => {
    const url = stack.receiver.url("/settings");
    const org = await newOrganization("settings");
    const created = await createWebhook(org, { url, events: ["member.added"] });
    const u = await user();
    const { page } = u;
    await signIn(page, org.key);
    await page.goto(`/ui/webhooks/${created.id}`);
    await page.getByRole("heading", { level: 1, name: `Webhook ${url}` }).waitFor();

    await page.getByText("Edit settings").click();
    await page.getByRole("checkbox", { name: "member.removed" }).check();
    await page.getByLabel("Content type").selectOption("form");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("Settings saved. They apply to events produced from now on.").waitFor();
    expect(await page.getByRole("definition").filter({ hasText: "member.added, member.removed" }).count()).toBe(1);
    expect(await page.getByRole("definition").filter({ hasText: "application/x-www-form-urlencoded" }).count()).toBe(1);
    // The rate limit: a refused value next to its field, then set, then cleared (null: no limit), each read back from the API.
    const rateLimit = page.getByLabel("Rate limit (requests per second)");
    expect(await rateLimit.inputValue()).toBe("");
    expect(await fact(page, "Rate limit").textContent()).toBe("No limit");
    await rateLimit.fill("0");
    await page.getByRole("button", { name: "Save changes" }).click();
    await expect.poll(() => rateLimit.getAttribute("aria-invalid"), { timeout: 15_000 }).toBe("true");
    expect(await descriptionOf(rateLimit)).toContain("Rate limit (requests per second): must be a whole number from 1 to 10000, or null to remove the limit");
    expect(await page.getByRole("alert").textContent()).toBe("The changes were not saved: check the fields marked below.");
    await rateLimit.fill("20");
    await page.getByRole("button", { name: "Save changes" }).click();
    await expect.poll(() => fact(page, "Rate limit").textContent(), { timeout: 15_000 }).toBe("20 requests per second");
    expect(await rateLimit.getAttribute("aria-invalid")).toBeNull();
    expect((await stack.api.request("GET", `/v1/organizations/${org.id}/webhooks/${created.id}`, { token: org.key })).json.rateLimitPerSecond).toBe(20);
    await rateLimit.fill("");
    await page.getByRole("button", { name: "Save changes" }).click();
    await expect.poll(() => fact(page, "Rate limit").textContent(), { timeout: 15_000 }).toBe("No limit");
    expect((await stack.api.request("GET", `/v1/organizations/${org.id}/webhooks/${created.id}`, { token: org.key })).json.rateLimitPerSecond).toBeNull();
    expect(await webhooksCollection(stack.db).findOne({ _id: created.id })).toMatchObject({ events: ["member.added", "member.removed"], contentType: "form" });
    await expectAccessible(page, "webhook settings form");
    // A change the API refuses shows next to its field here too.
    await page.getByLabel("Payload URL").fill("not a url");
    await page.getByRole("button", { name: "Save changes" }).click();
    await expect.poll(() => page.getByLabel("Payload URL").getAttribute("aria-invalid"), { timeout: 15_000 }).toBe("true");
    expect(await page.getByRole("alert").textContent()).toBe("The changes were not saved: check the fields marked below.");

    await page.getByRole("button", { name: "Deactivate", exact: true }).click();
    await page.getByText("Webhook deactivated: nothing is delivered until you activate it again.").waitFor();
    expect(
      await page
        .getByRole("definition")
        .filter({ hasText: /^inactive$/ })
        .count(),
    ).toBe(1);
    // Inactive: a test event is refused, in words.
    await page.getByRole("button", { name: "Send test event" }).click();
    await expect.poll(() => page.getByRole("alert").first().textContent(), { timeout: 15_000 }).toContain("The webhook is inactive");
    await page.getByRole("button", { name: "Activate", exact: true }).click();
    await page.getByText("Webhook activated: events produced from now on are delivered.").waitFor();

    await page.getByRole("button", { name: "Rotate secret" }).click();
    const rotateDialog = page.getByRole("dialog", { name: "Rotate the secret?" });
    await rotateDialog.waitFor();
    await expectAccessible(page, "rotate dialog");
    await rotateDialog.getByRole("button", { name: "Rotate secret" }).click();
    const panel = page.getByRole("region", { name: "New secret" });
    await panel.waitFor();
    const rotated = await panel.getByLabel("Secret").inputValue();
    secrets.add(rotated);
    expect(rotated).not.toBe(created.secret);
    expect(await panel.textContent()).toMatch(/The previous secret stops signing at .+; until then it also signs the webhook-signature header\./);
    // The new secret signs what is delivered from now on (the organization's first event: nothing of it was cached before the rotation).
    await stack.produceEvent(org.id, "member.removed", { id: "usr_9" });
    await stack.receiver.waitFor((all) => all.some((r) => r.path === "/settings"));
    const delivered = stack.receiver.forPath("/settings")[0]!;
    expect(verifySignature(delivered.body, String(delivered.headers["x-agiletune-signature"]), rotated)).toBe(true);
    await panel.getByRole("button", { name: "Done, hide the secret" }).click();
    expect(await page.content()).not.toContain(rotated);

    await page.getByRole("button", { name: "Delete", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Delete this webhook?" });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(`Delete the webhook for ${url}?`);
    // Cancel first: nothing happens.
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect(await page.getByRole("dialog").count()).toBe(0);
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete webhook" }).click();
    await page.getByText(`The webhook for ${url} was deleted.`).waitFor();
    expect(page.url()).toBe(`${stack.api.baseUrl}/ui/webhooks`);
    expect(await webhooksCollection(stack.db).countDocuments({ _id: created.id })).toBe(0);
    expectNoProblems(u);
  });

  test("Recover after an outage: a failing webhook says why and since when; after the fix, Recover since a time before the event sends the failed delivery again with its id", async () => {
    stack.answer("/recover", { status: 500, body: "still broken" });
    const org = await newOrganization("recover");
    const { id: hookId } = await createWebhook(org, { url: stack.receiver.url("/recover"), events: ["task.created"] });
    const u = await user();
    const { page } = u;
    await signIn(page, org.key);
    await page.goto(`/ui/webhooks/${hookId}`);
    await page.getByText("No deliveries yet.").waitFor();
    expect(await fact(page, "Health").innerText()).toBe("healthy");

    const producedAt = Date.now();
    const event = await stack.produceEvent(org.id, "task.created", { id: "tsk_r1", title: "Recover me" });
    const deliveryId = deliveryIdFor(event.id, hookId);
    // The short ladder runs out: failed, and the webhook failing, with why and since when (five hops through the retry tiers).
    await loggedAs(deliveryId, "failed", 30_000);
    expect(stack.receiver.forPath("/recover")).toHaveLength(6);
    await page.getByRole("button", { name: "Refresh" }).click();
    const row = deliveryRow(page, deliveryId);
    await expect.poll(() => row.getByRole("cell").first().textContent(), { timeout: 15_000 }).toContain("failed");
    const health = fact(page, "Health");
    await expect.poll(() => health.innerText(), { timeout: 15_000 }).toMatch(/^failing\nReason: retries exhausted; last: http_status: the endpoint answered 500\nFailing since \S/);
    expect(Date.parse((await health.locator("time").getAttribute("datetime"))!)).toBeGreaterThanOrEqual(producedAt - 1_000);

    // Fixed. Recover opens a small form whose Since starts 24 h back, and takes focus.
    stack.answer("/recover", { status: 200, body: "ok" });
    const recoverButton = page.getByRole("button", { name: "Recover", exact: true });
    expect(await recoverButton.getAttribute("aria-expanded")).toBe("false");
    await recoverButton.click();
    const form = page.getByRole("region", { name: "Recover failed deliveries" });
    const since = form.getByLabel("Since");
    await expect.poll(() => since.evaluate((el) => el === document.activeElement), { timeout: 15_000 }).toBe(true);
    expect(await recoverButton.getAttribute("aria-expanded")).toBe("true");
    const dayBack = await page.evaluate((value: string) => Date.now() - new Date(value).getTime(), await since.inputValue());
    expect(dayBack).toBeGreaterThanOrEqual(24 * 3_600_000);
    expect(dayBack).toBeLessThan(24 * 3_600_000 + 120_000);
    await expectAccessible(page, "failing webhook with the Recover form");
    await expectFitsNarrowScreen(page, "failing webhook with the Recover form");

    // A time in the future: the API's refusal, next to the field; nothing sent.
    await since.fill(await localTime(page, Date.now() + 86_400_000));
    await form.getByRole("button", { name: "Recover deliveries" }).click();
    await expect.poll(() => since.getAttribute("aria-invalid"), { timeout: 15_000 }).toBe("true");
    expect(await descriptionOf(since)).toMatch(/Since: must not be in the future \(now is .+\)/);
    expect(await form.getByRole("alert").textContent()).toBe("Nothing was sent again: check the time marked below.");
    expect(stack.receiver.forPath("/recover")).toHaveLength(6);

    // Since a minute before the event: its one failed delivery goes again, same id, fresh ladder.
    await since.fill(await localTime(page, producedAt - 60_000));
    await form.getByRole("button", { name: "Recover deliveries" }).click();
    await expect
      .poll(() => form.getByRole("status").textContent(), { timeout: 15_000 })
      .toBe("1 delivery sent again, each with its delivery ID and a fresh set of retries; see Recent Deliveries below.");
    expect(await since.getAttribute("aria-invalid")).toBeNull();
    await screenshot(page, "webhook-recover");
    await stack.receiver.waitFor((all) => all.filter((r) => r.path === "/recover").length === 7);
    expect(stack.receiver.forPath("/recover")[6]!.headers["x-agiletune-delivery"]).toBe(deliveryId);
    await expect.poll(() => row.getByRole("cell").first().textContent(), { timeout: 15_000 }).toContain("succeeded");
    expect(await row.getByRole("cell").nth(4).textContent()).toBe("7");
    expect(await row.getByRole("cell").nth(5).textContent()).toBe("200");
    expect(await page.getByRole("table", { name: "Recent Deliveries, newest first" }).getByRole("row").count()).toBe(2);
    await expect.poll(() => health.innerText(), { timeout: 15_000 }).toBe("healthy");

    // Again: nothing left to recover. Close gives focus back to the Recover button.
    await form.getByRole("button", { name: "Recover deliveries" }).click();
    await expect.poll(() => form.getByRole("status").textContent(), { timeout: 15_000 }).toMatch(/^No delivery sent again: none failed or was cancelled since .+\.$/);
    await form.getByRole("button", { name: "Close" }).click();
    expect(await page.getByRole("region", { name: "Recover failed deliveries" }).count()).toBe(0);
    expect(await recoverButton.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(stack.receiver.forPath("/recover")).toHaveLength(7);
    expectNoProblems(u);
  });

  test("an endpoint that keeps failing opens its circuit: later deliveries show parked, with their icon and word, and the Status filter finds them", async () => {
    stack.answer("/parked", { status: 500, body: "overloaded" });
    const org = await newOrganization("parked");
    const { id: hookId } = await createWebhook(org, { url: stack.receiver.url("/parked"), events: ["comment.created"] });
    // Two deliveries climb the ladder side by side: 12 attempts at most, and the circuit opens at the 10th failure (the stack's threshold).
    await stack.produceEvent(org.id, "comment.created", { id: "cmt_p1", body: "one" });
    await stack.produceEvent(org.id, "comment.created", { id: "cmt_p2", body: "two" });
    await expect.poll(async () => (await countByStatus(stack.db, hookId)).parked ?? 0, { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);

    const u = await user();
    const { page } = u;
    await signIn(page, org.key);
    await page.goto(`/ui/webhooks/${hookId}`);
    const table = page.getByRole("table", { name: "Recent Deliveries, newest first" });
    await expect.poll(() => table.getByRole("row").count(), { timeout: 15_000 }).toBe(3);
    const parkedCell = table.getByRole("row").getByRole("cell").filter({ hasText: "parked" }).first();
    // The icon (hidden from screen readers, which read the word) and the dispatcher's reason.
    expect(await parkedCell.textContent()).toMatch(/^‖parked the endpoint's circuit is open: held until a probe succeeds, then sent oldest first$/);
    expect(await parkedCell.getByText("‖").getAttribute("aria-hidden")).toBe("true");
    expect(await page.getByText("Refreshing every 2 seconds while deliveries are in progress.").count()).toBe(1);
    // Health is written after the attempt is logged, so it may trail the parked count by a moment.
    await expect.poll(() => fact(page, "Health").innerText(), { timeout: 15_000 }).toMatch(/^failing\nReason: .*the endpoint answered 500\nFailing since \S/);

    // Filtered: the parked ones only (a probe 30 s after the circuit opened may have taken one since).
    await page.getByLabel("Status").selectOption("parked");
    const rows = table.getByRole("row").filter({ has: page.getByRole("cell") });
    // The other delivery may be parked after the count above was taken, so the table is compared with the log as it is now.
    await expect
      .poll(
        async () => {
          const parkedNow = (await countByStatus(stack.db, hookId)).parked ?? 0;
          return parkedNow > 0 && (await rows.all()).length === parkedNow && (await rows.first().getByRole("cell").first().textContent())?.includes("parked");
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    for (const r of await rows.all()) expect(await r.getByRole("cell").first().textContent()).toContain("parked");
    await expectAccessible(page, "parked deliveries");
    expectNoProblems(u);
  });

  test("Deliver in order: the toggle saves ordered and the facts show it; a held delivery shows its icon and word, and its page links to the delivery it is held behind", async () => {
    const org = await newOrganization("ordered");
    const { id: hookId } = await createWebhook(org, { url: stack.receiver.url("/ordered"), events: ["comment.created"] });
    const u = await user();
    const { page } = u;
    await signIn(page, org.key);
    await page.goto(`/ui/webhooks/${hookId}`);
    await page.getByRole("heading", { level: 1, name: `Webhook ${stack.receiver.url("/ordered")}` }).waitFor();
    expect(await fact(page, "Deliver in order").textContent()).toBe("No");

    await page.getByText("Edit settings").click();
    const toggle = page.getByRole("checkbox", { name: "Deliver in order" });
    expect(await toggle.isChecked()).toBe(false);
    expect(await descriptionOf(toggle)).toContain("a failing one holds back the later ones of its key (only that key)");
    await toggle.check();
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("Settings saved. They apply to events produced from now on.").waitFor();
    await expect.poll(() => fact(page, "Deliver in order").textContent(), { timeout: 15_000 }).toBe("Yes, one at a time per ordering key");
    expect((await stack.api.request("GET", `/v1/organizations/${org.id}/webhooks/${hookId}`, { token: org.key })).json.ordered).toBe(true);
    expect((await webhooksCollection(stack.db).findOne({ _id: hookId }))?.ordered).toBe(true);
    // Where Recover is offered, that it goes outside the order.
    expect(await descriptionOf(page.getByRole("button", { name: "Recover", exact: true }))).toBe("This webhook delivers in order: Redeliver and Recover are sent as asked, outside the order.");

    // A delivery on its retry ladder, and a later one of its key held behind it, as the dispatcher logs them.
    const t0 = Date.now();
    const entry = (eventId: string) => ({ deliveryId: deliveryIdFor(eventId, hookId), webhookId: hookId, organizationId: org.id, eventId, event: "comment.created" });
    const payload = storedPayloadOf({ event: "comment.created", timestamp: new Date(t0).toISOString(), data: { id: "cmt_1" } });
    const first = newDeliveryEntry(entry("evt_ordered_1"), new Date(t0 - 2000), { status: "retrying", nextAttemptAt: new Date(t0 + 3_600_000), statusReason: "HTTP 503", payload });
    const held = newDeliveryEntry(entry("evt_ordered_2"), new Date(t0 - 1000), {
      status: "held",
      heldBehind: first._id,
      statusReason: "waiting for an earlier delivery of its ordering key to end",
      payload,
    });
    await deliveriesCollection(stack.db).insertMany([first, held]);

    await page.reload();
    const table = page.getByRole("table", { name: "Recent Deliveries, newest first" });
    await deliveryRow(page, held._id).waitFor({ timeout: 15_000 });
    const heldCell = deliveryRow(page, held._id).getByRole("cell").first();
    expect(await heldCell.textContent()).toBe("…held waiting for an earlier delivery of its ordering key to end");
    expect(await heldCell.getByText("…").getAttribute("aria-hidden")).toBe("true");
    expect(await table.getByRole("row").count()).toBe(3);
    await expectAccessible(page, "ordered webhook with a held delivery");

    await page.getByRole("link", { name: held._id }).click();
    await page.getByRole("heading", { level: 1, name: `Delivery ${held._id}` }).waitFor();
    expect(await fact(page, "Status").textContent()).toBe("…held waiting for an earlier delivery of its ordering key to end");
    await expect.poll(() => fact(page, "Waiting for").textContent(), { timeout: 15_000 }).toBe(`Held behind ${first._id}`);
    // Where Redeliver is offered, that it goes outside the order.
    await page.getByText("This webhook delivers in order: Redeliver and Recover are sent as asked, outside the order.").waitFor();
    await expectAccessible(page, "held delivery");
    await fact(page, "Waiting for").getByRole("link", { name: first._id }).click();
    await page.getByRole("heading", { level: 1, name: `Delivery ${first._id}` }).waitFor();
    expect(page.url()).toBe(`${stack.api.baseUrl}/ui/webhooks/${hookId}/deliveries/${first._id}`);
    expect(
      await page
        .getByRole("term")
        .filter({ hasText: /^Waiting for$/ })
        .count(),
    ).toBe(0);
    expectNoProblems(u);
  });

  test("an endpoint answering 410 Gone disables its webhook: the page says so, why, and that Activate re-enables it; Recover asks to activate first", async () => {
    stack.answer("/gone", { status: 410, body: "gone for good" });
    const org = await newOrganization("gone");
    const { id: hookId } = await createWebhook(org, { url: stack.receiver.url("/gone"), events: ["project.created"] });
    const u = await user();
    const { page } = u;
    await signIn(page, org.key);
    await page.goto(`/ui/webhooks/${hookId}`);
    await page.getByRole("heading", { level: 1, name: `Webhook ${stack.receiver.url("/gone")}` }).waitFor();

    await page.getByRole("button", { name: "Send test event" }).click();
    const notice = page.getByRole("region", { name: "AgileTune disabled this webhook" });
    // The page refreshes every 2 s for 10 s after a delivery settles, then every 15 s: on a
    // loaded machine the dispatcher's disable can land after the quick refreshes.
    await notice.waitFor({ timeout: 35_000 });
    expect(await notice.textContent()).toContain("It was disabled because the endpoint answered 410 Gone, which asks AgileTune to stop sending.");
    expect(await notice.textContent()).toContain("press Activate below");
    expect(await fact(page, "Health").innerText()).toBe("disabled\nReason: the endpoint answered 410 Gone, which asks AgileTune to stop sending");
    expect(await fact(page, "State").textContent()).toBe("inactive");
    await screenshot(page, "webhook-disabled");
    await expectAccessible(page, "disabled webhook");
    await expectFitsNarrowScreen(page, "disabled webhook");

    // Recover on an inactive webhook: the API's 409, in words that say what to do.
    await page.getByRole("button", { name: "Recover", exact: true }).click();
    const form = page.getByRole("region", { name: "Recover failed deliveries" });
    await form.getByRole("button", { name: "Recover deliveries" }).click();
    await expect
      .poll(() => form.getByRole("alert").textContent(), { timeout: 15_000 })
      .toBe("Nothing was sent again: the webhook is inactive, and AgileTune would only cancel its deliveries again. Activate it first (the Activate button above), then recover.");
    await form.getByRole("button", { name: "Close" }).click();

    // The list says it too.
    await page.getByRole("link", { name: "Webhooks", exact: true }).first().click();
    const card = page.getByRole("listitem").filter({ has: page.getByRole("link", { name: stack.receiver.url("/gone") }) });
    await card.waitFor();
    expect(await fact(card, "Health").innerText()).toBe(
      "disabled\nReason: the endpoint answered 410 Gone, which asks AgileTune to stop sending\nDisabled by AgileTune: open the webhook and press Activate to re-enable it.",
    );
    await expectAccessible(page, "webhook list with a disabled webhook");
    await card.getByRole("link").click();

    await page.getByRole("button", { name: "Activate", exact: true }).click();
    await expect
      .poll(() => page.getByRole("status").filter({ hasText: "Webhook activated" }).textContent(), { timeout: 15_000 })
      .toBe("Webhook activated: events produced from now on are delivered, and it is healthy again. Recover sends again what failed or was cancelled meanwhile.");
    expect(await fact(page, "Health").innerText()).toBe("healthy");
    expect(await fact(page, "State").textContent()).toBe("active");
    expect(await page.getByRole("region", { name: "AgileTune disabled this webhook" }).count()).toBe(0);
    expect(await webhooksCollection(stack.db).findOne({ _id: hookId })).toMatchObject({ active: true, health: "healthy", healthReason: null });
    expectNoProblems(u);
  });

  test("an attempt answered 503 with Retry-After shows the header on the delivery's page", async () => {
    const org = await newOrganization("retry_after");
    stack.answer("/busy", { status: 503, body: "busy", headers: { "retry-after": "120" } });
    const created = await createWebhook(org, { url: stack.receiver.url("/busy"), events: ["task.deleted"] });
    const ping = await stack.api.request("POST", `/v1/organizations/${org.id}/webhooks/${created.id}/ping`, { token: org.key });
    expect(ping.status).toBe(202);
    // A ping is one attempt: failed once it is logged.
    await expect.poll(async () => (await deliveriesCollection(stack.db).findOne({ _id: ping.json.deliveryId }))?.status, { timeout: 20_000 }).toBe("failed");
    const u = await user();
    const { page } = u;
    await signIn(page, org.key);
    await page.goto(`/ui/webhooks/${created.id}/deliveries/${ping.json.deliveryId}`);
    const attempt = page.getByRole("listitem").filter({ has: page.getByRole("heading", { level: 3, name: /^Attempt \d+: failed, HTTP 503$/ }) });
    await attempt.waitFor();
    expect(await fact(attempt, "Retry-After").textContent()).toBe("120");
    expectNoProblems(u);
  });

  test("works from the keyboard alone: sign in, add a webhook, open it, and leave a dialog with Escape", async () => {
    const org = await newOrganization("keyboard");
    const u = await user();
    const { page } = u;
    await page.goto("/ui/sign-in");
    // Where a keyboard user starts: the page's heading has the focus before the first Tab.
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName), { timeout: 15_000 }).toBe("H1");
    await tabTo(page, "API key or operator token");
    await page.keyboard.type(org.key);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
    await tabTo(page, "Add Webhook");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Add Webhook" }).waitFor();
    await tabTo(page, "Payload URL");
    await page.keyboard.type(stack.receiver.url("/keyboard"));
    await tabTo(page, "Generate");
    await page.keyboard.press("Enter");
    await tabTo(page, "task.moved");
    await page.keyboard.press("Space");
    await tabTo(page, "Create Webhook");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Webhook created" }).waitFor();
    secrets.add(await page.getByLabel("Secret", { exact: true }).inputValue());
    await tabTo(page, "I have saved the secret, go to the webhook");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: `Webhook ${stack.receiver.url("/keyboard")}` }).waitFor();
    expect(
      await page
        .getByRole("definition")
        .filter({ hasText: /^task\.moved$/ })
        .count(),
    ).toBe(1);
    await tabTo(page, "Delete");
    await page.keyboard.press("Enter");
    await page.getByRole("dialog", { name: "Delete this webhook?" }).waitFor();
    // Focus starts on Cancel, so a stray Enter deletes nothing; Escape closes and gives focus back.
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent), { timeout: 15_000 }).toBe("Cancel");
    await page.keyboard.press("Escape");
    expect(await page.getByRole("dialog").count()).toBe(0);
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent), { timeout: 15_000 }).toBe("Delete");
    expectNoProblems(u);
  });

  test("a revoked key returns to sign-in with a clear message; Sign out forgets the token", async () => {
    const org = await newOrganization("revoked");
    await createWebhook(org, { url: stack.receiver.url("/revoked"), events: ["task.created"] });
    const key = await stack.api.request("POST", `/v1/organizations/${org.id}/api-keys`);
    secrets.add(key.json.token);
    const u = await user();
    const { page } = u;
    await signIn(page, key.json.token);
    await page.getByRole("link", { name: stack.receiver.url("/revoked") }).waitFor();
    // Every card's delivery log read first: one still being read when the key goes would sign out before the click.
    const cards = page.getByRole("list", { name: "Webhooks" }).getByRole("listitem");
    await expect.poll(async () => (await cards.count()) > 0 && (await cards.getByText("Loading…", { exact: true }).count()) === 0, { timeout: 15_000 }).toBe(true);
    expect((await stack.api.request("DELETE", `/v1/organizations/${org.id}/api-keys/${key.json.id}`)).status).toBe(204);
    await page.getByRole("link", { name: stack.receiver.url("/revoked") }).click();
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    expect(await page.getByRole("alert").textContent()).toBe("You were signed out because the admin API refused the token: The token is not valid. Sign in again.");
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    await signIn(page, org.key);
    await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("You are signed out.").waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.goto("/ui/webhooks");
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    expectNoProblems(u);
  });
});
