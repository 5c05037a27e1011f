import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleSecurityHeaders, NOT_BUILT_MESSAGE, serveConsole } from "./console-assets.js";

const CONSOLE_SECURITY_HEADERS = consoleSecurityHeaders([]);

/** A Koa app with only the page's middleware, and a marker for what it passes on. */
async function serve(dir: string) {
  const app = new Koa();
  app.use(serveConsole({ dir, frameAncestors: [] }));
  app.use((ctx) => {
    ctx.status = 418;
    ctx.body = "passed on";
  });
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    get: (path: string, init: RequestInit = {}) => fetch(base + path, { redirect: "manual", ...init }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function expectPageHeaders(res: Response) {
  for (const [name, value] of Object.entries(CONSOLE_SECURITY_HEADERS)) expect(res.headers.get(name), name).toBe(value);
}

describe("the settings page's static files", () => {
  const root = mkdtempSync(join(tmpdir(), "console-assets-"));
  const built = join(root, "dist");
  const html = '<!doctype html><title>x</title><script type="module" src="/ui/assets/main-ABC123.js"></script>';
  let app: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    mkdirSync(join(built, "assets"), { recursive: true });
    writeFileSync(join(built, "index.html"), html);
    writeFileSync(join(built, "assets", "main-ABC123.js"), "console.log(1)");
    writeFileSync(join(root, "secret.txt"), "not for the web");
    app = await serve(built);
  });
  afterAll(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("has a CSP without inline scripts that forbids framing", () => {
    const csp = CONSOLE_SECURITY_HEADERS["Content-Security-Policy"]!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(CONSOLE_SECURITY_HEADERS["X-Frame-Options"]).toBe("DENY");
  });

  it("lets the PORTAL_FRAME_ANCESTORS origins frame the page, and only them", () => {
    const headers = consoleSecurityHeaders(["https://app.agiletune.com", "http://localhost:3000"]);
    expect(headers["Content-Security-Policy"]).toContain("frame-ancestors https://app.agiletune.com http://localhost:3000");
    expect(headers["Content-Security-Policy"]).not.toMatch(/frame-ancestors 'none'/);
    // X-Frame-Options cannot name origins; where CSP is known it would be ignored anyway.
    expect(headers["X-Frame-Options"]).toBeUndefined();
  });

  it("redirects / and /ui to /ui/", async () => {
    for (const path of ["/", "/ui"]) {
      const res = await app.get(path);
      expect([res.status, res.headers.get("location")]).toEqual([302, "/ui/"]);
      expectPageHeaders(res);
    }
  });

  it("answers every page path with index.html, never cached, with the security headers", async () => {
    for (const path of ["/ui/", "/ui/webhooks", "/ui/webhooks/wh_1/deliveries/dlv_2", "/ui/anything"]) {
      const res = await app.get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("cache-control")).toBe("no-store");
      expectPageHeaders(res);
      expect(await res.text()).toBe(html);
    }
  });

  it("serves hashed assets for a year, and nothing outside the assets folder", async () => {
    const res = await app.get("/ui/assets/main-ABC123.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expectPageHeaders(res);
    expect(await res.text()).toBe("console.log(1)");
    const head = await app.get("/ui/assets/main-ABC123.js", { method: "HEAD" });
    expect([head.status, head.headers.get("content-length")]).toEqual([200, "14"]);
    for (const path of [
      "/ui/assets/missing-1.js",
      "/ui/assets/../../secret.txt",
      "/ui/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
      "/ui/assets/..%2F..%2Fsecret.txt",
      "/ui/assets/",
      "/ui/assets/sub/main-ABC123.js",
    ]) {
      const miss = await app.get(path);
      expect(miss.status, path).not.toBe(200);
      expect(await miss.text()).not.toContain("not for the web");
    }
    expect((await app.get("/ui/assets/missing-1.js")).status).toBe(404);
  });

  it("refuses other methods on the page and passes every other path on", async () => {
    const post = await app.get("/ui/", { method: "POST" });
    expect([post.status, post.headers.get("allow")]).toEqual([405, "GET, HEAD"]);
    expect((await app.get("/v1/event-types")).status).toBe(418);
    expect((await app.get("/", { method: "POST" })).status).toBe(418);
    expect((await app.get("/uix")).status).toBe(418);
    expect((await app.get("/healthz")).status).toBe(418);
  });

  it("says how to build the page when it was not built", async () => {
    const missing = await serve(join(root, "nothing-here"));
    try {
      const res = await missing.get("/ui/webhooks");
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(await res.text()).toBe(NOT_BUILT_MESSAGE);
      expect(NOT_BUILT_MESSAGE).toContain("pnpm build");
    } finally {
      await missing.close();
    }
  });
});
