// Debian's Chromium driven by playwright-core (which downloads no browser), and the checks
// every page gets: axe-core for accessibility, a 390 px wide layout, no script errors,
// no CSP violation, no dialog a page did not mean to open.
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { expect } from "vitest";

// Callbacks given to page.evaluate run in the page; this Node program's types have no DOM.
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Without the background-networking flags Chromium reaches for Google's services at start,
 * and this closed network refuses its connections. Playwright gives each launch a fresh
 * profile directory of its own (it refuses a --user-data-dir argument).
 */
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** One browser user: their own context (sessionStorage, clipboard), and what went wrong in it. */
export type User = { context: BrowserContext; page: Page; problems: string[]; urls: string[] };

export async function newUser(browser: Browser, baseURL: string): Promise<User> {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL });
  // Runs before the page's own script (through DevTools, so the page's CSP does not apply to it).
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e: { violatedDirective: string; blockedURI: string }) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const page = await context.newPage();
  const user: User = { context, page, problems: [], urls: [] };
  page.on("pageerror", (err) => user.problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    // The API's 4xx answers are logged by Chromium as failed resources; the page shows them itself.
    if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) user.problems.push(`console error: ${msg.text()}`);
  });
  page.on("dialog", (dialog) => {
    user.problems.push(`unexpected ${dialog.type()} dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on("request", (req) => user.urls.push(req.url()));
  return user;
}

/** No serious or critical axe-core violation on the page as it is now. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const described = bad.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(" ")).join("\n    ")}`);
  expect(described, `axe-core on ${what}`).toEqual([]);
}

/** At 390 px (a phone) nothing makes the page wider than the screen. */
export async function expectFitsNarrowScreen(page: Page, what: string): Promise<void> {
  const before = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(widths.scroll, `${what} at 390 px: page ${widths.scroll} px wide`).toBeLessThanOrEqual(widths.client);
  } finally {
    if (before) await page.setViewportSize(before);
  }
}

/**
 * Screenshots for the README: written to docs/console/ when UPDATE_SCREENSHOTS=1 (so an
 * ordinary test run leaves the tree clean), else to a temporary folder.
 */
export async function screenshot(page: Page, name: string, opts: { width?: number } = {}): Promise<string> {
  const dir = process.env.UPDATE_SCREENSHOTS === "1" ? join(import.meta.dirname, "..", "..", "docs", "console") : join(tmpdir(), "agiletune-console-screenshots");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  const before = page.viewportSize();
  if (opts.width && before) await page.setViewportSize({ width: opts.width, height: 844 });
  try {
    await page.screenshot({ path, fullPage: true });
  } finally {
    if (opts.width && before) await page.setViewportSize(before);
  }
  return path;
}

/**
 * Presses Tab until the focused element has this accessible name (and role, when given):
 * proves it can be reached from the keyboard. Fails after `max` presses.
 */
export async function tabTo(page: Page, name: string | RegExp, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el) return "";
      const labelled = el.getAttribute("aria-label") ?? (el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null);
      return (labelled ?? el.textContent ?? "").trim();
    });
    if (typeof name === "string" ? focused === name : name.test(focused)) return;
  }
  throw new Error(`Tab never reached "${String(name)}" in ${max} presses`);
}
