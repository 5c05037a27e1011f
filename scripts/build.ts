// `pnpm build`: each service bundled into one ESM file, services/<name>/dist/main.mjs, which
// production (Dockerfile), `pnpm start` and the benchmark run with plain `node`. Tests run
// the TypeScript sources through tsx instead, so they never depend on a stale bundle.
// The admin API's settings page (packages/console) is built with it, into
// packages/console/dist, which the admin API serves under /ui/, after `pnpm openapi`'s files
// (docs/openapi.json and the page's API types) are regenerated.
//
// Why bundle rather than run under tsx: measured in `pnpm bench -- --scenarios paced`,
// every service starts ~30 MB smaller (tsx ~121-125 MB, bundle 90-99 MB), and nothing is
// transpiled at run time.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

// Not from @agiletune/local-infra: the production image installs no dev dependencies.
const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

export const SERVICES = ["fanout", "dispatcher", "retry", "admin-api"] as const;

/** The MongoDB driver's optional peers (compression, Kerberos, KMS...): loaded only when configured, and not installed. */
const OPTIONAL_PEERS = ["kerberos", "@mongodb-js/zstd", "snappy", "socks", "aws4", "mongodb-client-encryption", "gcp-metadata", "@aws-sdk/credential-providers"];

/**
 * Node flags every bundle runs with (the Dockerfile sets the same in NODE_OPTIONS). With no
 * limit V8 sizes the heap for this machine's 24 GiB and lets it grow to ~3x the live data
 * between major collections: the dispatcher's RSS reached 317-337 MB under a backlog with
 * ~70 MB live. A limit makes V8 collect sooner: 175-184 MB with 256, 320 or 384 MB, and
 * 384 cost no throughput measurably (measured with `pnpm bench`).
 * Safe because what each service holds is bounded in bytes, not only in count: the
 * dispatcher's intake (DISPATCH_MAX_IN_FLIGHT_BYTES), every batched produce (sendInChunks:
 * fanout, retries and dead letters, the retry tiers, the DLQ replay), the admin API's pages
 * (no payloads).
 */
export const BUNDLE_NODE_FLAGS = ["--max-old-space-size=384"];

export function bundlePath(service: (typeof SERVICES)[number]): string {
  return join(REPO_ROOT, "services", service, "dist", "main.mjs");
}

/** Builds every service bundle, and the settings page the admin API serves (whose sizes it returns). */
export async function buildServices(): Promise<ConsoleBuild> {
  const [page] = await Promise.all([
    buildConsole(),
    ...SERVICES.map(async (service) => {
      const outdir = dirname(bundlePath(service));
      // Chunks of an earlier build would pile up beside the new ones.
      await rm(join(outdir, "chunks"), { recursive: true, force: true });
      return build({
        entryPoints: [join(REPO_ROOT, "services", service, "src", "main.ts")],
        outdir,
        entryNames: "main",
        outExtension: { ".js": ".mjs" },
        // What is imported dynamically (OpenTelemetry's SDK, only with OTEL_EXPORTER_OTLP_ENDPOINT:
        // docs/tracing.md) goes to chunks of its own, so a service without it never reads that code.
        splitting: true,
        chunkNames: "chunks/[name]-[hash]",
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        external: OPTIONAL_PEERS,
        // Readable stack traces without source maps.
        keepNames: true,
        logLevel: "warning",
        // CommonJS dependencies (kafkajs, the MongoDB driver) call require() inside an ES module.
        banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      });
    }),
  ]);
  return page;
}

export const CONSOLE_SOURCE = join(REPO_ROOT, "packages", "console", "src");
export const CONSOLE_DIST = join(REPO_ROOT, "packages", "console", "dist");
/** The most JavaScript the page may load first, gzipped. */
export const CONSOLE_JS_BUDGET_BYTES = 250 * 1024;

export type ConsoleBuild = { dir: string; files: string[]; jsGzipBytes: number; cssGzipBytes: number };

const sri = (bytes: Uint8Array) => `sha384-${createHash("sha384").update(bytes).digest("base64")}`;

/**
 * Builds the settings page with esbuild (the bundler the services already use): one
 * content-hashed script and stylesheet under `dist/assets/` (cached for a year by the admin
 * API), and `dist/index.html` naming them with subresource integrity. Fails when the script
 * is over the gzipped budget. index.html is written last and by rename, so a page served
 * while a build runs names assets that exist.
 */
export async function buildConsole(outDir: string = CONSOLE_DIST): Promise<ConsoleBuild> {
  const assetsDir = join(outDir, "assets");
  const result = await build({
    entryPoints: [join(CONSOLE_SOURCE, "main.tsx")],
    outdir: assetsDir,
    entryNames: "[name]-[hash]",
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["chrome111", "edge111", "firefox114", "safari16.4"],
    minify: true,
    jsx: "automatic",
    jsxImportSource: "preact",
    tsconfig: join(REPO_ROOT, "packages", "console", "tsconfig.json"),
    define: { "process.env.NODE_ENV": '"production"' },
    write: false,
    logLevel: "warning",
  });
  await mkdir(assetsDir, { recursive: true });
  let jsGzipBytes = 0;
  let cssGzipBytes = 0;
  const tags: string[] = [];
  const files: string[] = [];
  for (const file of result.outputFiles) {
    const name = basename(file.path);
    files.push(name);
    await writeFile(join(assetsDir, name), file.contents);
    const gzipped = gzipSync(file.contents, { level: 9 }).length;
    if (name.endsWith(".js")) {
      jsGzipBytes += gzipped;
      tags.push(`<script type="module" src="/ui/assets/${name}" integrity="${sri(file.contents)}"></script>`);
    } else if (name.endsWith(".css")) {
      cssGzipBytes += gzipped;
      tags.unshift(`<link rel="stylesheet" href="/ui/assets/${name}" integrity="${sri(file.contents)}" />`);
    }
  }
  if (jsGzipBytes > CONSOLE_JS_BUDGET_BYTES) {
    throw new Error(`console: the page's JavaScript is ${(jsGzipBytes / 1024).toFixed(1)} KB gzipped, over the ${CONSOLE_JS_BUDGET_BYTES / 1024} KB budget`);
  }
  const template = await readFile(join(CONSOLE_SOURCE, "index.html"), "utf8");
  const html = template.replace("<!--styles-->", tags.filter((t) => t.startsWith("<link")).join("\n    ")).replace("<!--scripts-->", tags.filter((t) => t.startsWith("<script")).join("\n    "));
  const tmp = join(outDir, `.index.${process.pid}.${Date.now()}.html`);
  await writeFile(tmp, html);
  await rename(tmp, join(outDir, "index.html"));
  // Assets of earlier builds go once a day old: a page opened before this build still loads its own.
  const dayAgo = Date.now() - 86_400_000;
  for (const name of await readdir(assetsDir)) {
    if (!files.includes(name) && statSync(join(assetsDir, name)).mtimeMs < dayAgo) await rm(join(assetsDir, name), { force: true });
  }
  return { dir: outDir, files, jsGzipBytes, cssGzipBytes };
}

/** Newest modification time under a folder. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds the page unless dist/index.html is newer than every source file (the browser tests call this). */
export async function ensureConsoleBuilt(): Promise<void> {
  const index = join(CONSOLE_DIST, "index.html");
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(CONSOLE_SOURCE)) return;
  await buildConsole();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // The committed OpenAPI document and the page's types from it, regenerated where dev
  // dependencies are installed: not in the production image (NODE_ENV=production), which
  // builds from the committed ones.
  if (process.env.NODE_ENV !== "production") {
    const { writeOpenApiFiles } = await import("./openapi.js");
    console.log(await writeOpenApiFiles());
  }
  const page = await buildServices();
  console.log(`built ${SERVICES.map((s) => `services/${s}/dist/main.mjs`).join(", ")}`);
  console.log(
    `built packages/console/dist: ${(page.jsGzipBytes / 1024).toFixed(1)} KB of JavaScript and ${(page.cssGzipBytes / 1024).toFixed(1)} KB of CSS, gzipped (budget ${CONSOLE_JS_BUDGET_BYTES / 1024} KB of JavaScript)`,
  );
}
