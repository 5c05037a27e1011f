// `pnpm build`: each service bundled into one ESM file, services/<name>/dist/main.mjs, which
// production (Dockerfile), `pnpm start` and the benchmark run with plain `node`. Tests run
// the TypeScript sources through tsx instead, so they never depend on a stale bundle.
//
// Why bundle rather than run under tsx: measured in `pnpm bench -- --scenarios paced`,
// every service starts ~30 MB smaller (tsx ~121-125 MB, bundle 90-99 MB), and nothing is
// transpiled at run time.
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
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
 * 384 cost no throughput measurably (bench/README.md, "optimisations").
 * Safe because what each service holds is bounded in bytes, not only in count: the
 * dispatcher's intake (DISPATCH_MAX_IN_FLIGHT_BYTES), every batched produce (sendInChunks:
 * fanout, retries and dead letters, the retry tiers, the DLQ replay), the admin API's pages
 * (no payloads).
 */
export const BUNDLE_NODE_FLAGS = ["--max-old-space-size=384"];

export function bundlePath(service: (typeof SERVICES)[number]): string {
  return join(REPO_ROOT, "services", service, "dist", "main.mjs");
}

export async function buildServices(): Promise<void> {
  await Promise.all(
    SERVICES.map((service) =>
      build({
        entryPoints: [join(REPO_ROOT, "services", service, "src", "main.ts")],
        outfile: bundlePath(service),
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
      }),
    ),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildServices();
  console.log(`built ${SERVICES.map((s) => `services/${s}/dist/main.mjs`).join(", ")}`);
}
