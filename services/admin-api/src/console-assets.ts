import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Middleware } from "koa";

/**
 * The settings page (packages/console, built by `pnpm build` into its dist/): `GET /`
 * redirects to `/ui/`; `/ui/assets/<name>` are content-hashed files, cached for a year;
 * every other `/ui/` path is the page itself (its router reads the path), never cached.
 * Everything here carries the page's security headers. It needs no token: the page holds
 * no data, and asks the API for everything with the token the reader pastes.
 */

/** packages/console/dist, from src/ (tsx) and from dist/main.mjs (the bundle) alike: both are two folders below the service. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL("../../../packages/console/dist", import.meta.url));

/**
 * Scripts and styles only from this origin (no inline script or style can run, so text
 * that slipped into the page as HTML still could not act), no sniffing, and no Referer: a
 * page URL never leaves the browser. Framing only by `frameAncestors`
 * (`PORTAL_FRAME_ANCESTORS`): by default none, and `X-Frame-Options: DENY` for browsers
 * that know no CSP; with origins given, X-Frame-Options (which cannot list them) is left out.
 */
export function consoleSecurityHeaders(frameAncestors: readonly string[]): Record<string, string> {
  const framing = frameAncestors.length ? frameAncestors.join(" ") : "'none'";
  return {
    "Content-Security-Policy": [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'self'",
      `frame-ancestors ${framing}`,
    ].join("; "),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    ...(frameAncestors.length ? {} : { "X-Frame-Options": "DENY" }),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
  };
}

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** What an asset name may be: the build's `name-HASH.ext`, nothing that could leave the folder. */
const ASSET_NAME = /^[A-Za-z0-9_-]{1,100}(\.[A-Za-z0-9]{1,10}){1,2}$/;

export const NOT_BUILT_MESSAGE = "The webhook settings page has not been built. Run `pnpm build` (or `./dev start`, which builds it) in the repository, then reload this page.\n";

export function serveConsole(opts: { dir: string; frameAncestors: readonly string[] }): Middleware {
  const assetsDir = join(opts.dir, "assets");
  const securityHeaders = consoleSecurityHeaders(opts.frameAncestors);
  return async (ctx, next) => {
    const path = ctx.path;
    const isPage = path === "/ui" || path.startsWith("/ui/");
    if (path !== "/" && !isPage) return next();
    if (path === "/" && ctx.method !== "GET" && ctx.method !== "HEAD") return next();
    // The request log and metrics name this route rather than "unmatched".
    (ctx as { _matchedRoute?: string })._matchedRoute = path === "/" ? "/" : "/ui/*";
    ctx.set(securityHeaders);

    if (ctx.method !== "GET" && ctx.method !== "HEAD") {
      ctx.status = 405;
      ctx.set("Allow", "GET, HEAD");
      ctx.type = "text/plain; charset=utf-8";
      ctx.body = `${ctx.method} is not allowed on the settings page\n`;
      return;
    }
    if (path === "/" || path === "/ui") {
      ctx.redirect("/ui/");
      return;
    }
    if (path.startsWith("/ui/assets/")) {
      const name = path.slice("/ui/assets/".length);
      const file = ASSET_NAME.test(name) ? join(assetsDir, name) : null;
      const info = file ? await stat(file).catch(() => null) : null;
      if (!file || !info?.isFile()) {
        ctx.status = 404;
        ctx.type = "text/plain; charset=utf-8";
        ctx.body = "no such asset; reload the page\n";
        return;
      }
      // The name changes with the content, so a year is safe.
      ctx.set("Cache-Control", "public, max-age=31536000, immutable");
      ctx.type = TYPES[extname(name)] ?? "application/octet-stream";
      ctx.length = info.size;
      // Koa sends no body for HEAD and destroys the stream when the response ends.
      ctx.body = createReadStream(file);
      return;
    }
    const html = await readFile(join(opts.dir, "index.html"), "utf8").catch(() => null);
    if (html === null) {
      ctx.status = 503;
      ctx.type = "text/plain; charset=utf-8";
      ctx.body = NOT_BUILT_MESSAGE;
      return;
    }
    // Always fresh: it names the current build's assets.
    ctx.set("Cache-Control", "no-store");
    ctx.type = "text/html; charset=utf-8";
    ctx.body = html;
  };
}
