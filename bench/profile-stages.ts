// `pnpm bench:profile-stages FILE.cpuprofile [BUNDLE]`: where a bundled service's CPU went,
// by library and by our own module. A bench run's `--profile SERVICE` profiles the bundle
// (services/<name>/dist/main.mjs, no source maps); esbuild marks where each module starts
// with a `// path` comment line, which maps every profiled line back to its module.
// Prints self time per library or module, and for our modules also the time with what they
// call (each sample counted once per module on its stack): the stages of a delivery.
import { readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

type CallFrame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

/** Where each module of a bundle starts: [first line (1-based), module path], ascending. */
export function moduleStarts(bundle: string): Array<[number, string]> {
  const starts: Array<[number, string]> = [];
  bundle.split("\n").forEach((line, i) => {
    const m = /^\/\/ ((?:\.\.\/)*(?:node_modules|packages|services)\/\S+)$/.exec(line);
    if (m) starts.push([i + 1, m[1]!]);
  });
  return starts;
}

/** A library, or one of our modules (`dispatcher/attempt.ts`, `shared/delivery-log/…`). */
export function categoryOf(modulePath: string): { name: string; ours: boolean } {
  const dependency = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(modulePath);
  if (dependency) {
    const name = dependency[1]!;
    return { name: name === "bson" || name === "mongodb" ? "mongodb driver + bson" : name, ours: false };
  }
  const own = /(?:packages|services)\/([^/]+)\/src\/(.+)$/.exec(modulePath);
  return own ? { name: `${own[1]}/${own[2]}`, ours: true } : { name: modulePath, ours: false };
}

export function summarize(profile: CpuProfile, bundleUrlEnd: string, starts: Array<[number, string]>) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const lineModule = (line: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    let found: string | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]![0] <= line) {
        found = starts[mid]![1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
  const categoryCache = new Map<number, { name: string; ours: boolean }>();
  const category = (id: number) => {
    let c = categoryCache.get(id);
    if (c) return c;
    const { url, functionName, lineNumber } = byId.get(id)!.callFrame;
    if (url.endsWith(bundleUrlEnd)) {
      const module = lineModule(lineNumber + 1);
      c = module ? categoryOf(module) : { name: "bundle prelude", ours: false };
    } else if (url.startsWith("node:")) c = { name: `node:${url.replace(/^node:(internal\/)?(deps\/)?/, "").split("/")[0]}`, ours: false };
    else c = { name: url === "" ? functionName || "(native)" : url, ours: false };
    categoryCache.set(id, c);
    return c;
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    const leaf = category(id).name;
    self.set(leaf, (self.get(leaf) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const c = category(at);
      if (c.ours && !seen.has(c.name)) {
        seen.add(c.name);
        inclusive.set(c.name, (inclusive.get(c.name) ?? 0) + us);
      }
    }
  });
  const rows = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: Math.round(us / 1000), percent: Math.round((1000 * us) / total) / 10 }));
  return { totalMs: Math.round(total / 1000), self: rows(self), withCallees: rows(inclusive) };
}

function main() {
  const [file, bundleArg] = process.argv.slice(2);
  if (!file) {
    console.error("usage: pnpm bench:profile-stages FILE.cpuprofile [services/<name>/dist/main.mjs]");
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const bundleUrl = profile.nodes.find((n) => n.callFrame.url.endsWith("/dist/main.mjs"))?.callFrame.url;
  const bundlePath = bundleArg ?? (bundleUrl ? fileURLToPath(bundleUrl) : undefined);
  if (!bundlePath) {
    console.error("no frame of a services/<name>/dist/main.mjs bundle in this profile: pass the bundle");
    process.exit(2);
  }
  const summary = summarize(profile, join(basename(dirname(dirname(bundlePath))), "dist", basename(bundlePath)), moduleStarts(readFileSync(bundlePath, "utf8")));
  const print = (title: string, rows: typeof summary.self, limit: number) => {
    console.log(`\n${title}`);
    for (const r of rows.slice(0, limit)) console.log(`${String(r.percent).padStart(6)} %  ${String(r.ms).padStart(7)} ms  ${r.name}`);
  };
  console.log(`${file}: ${summary.totalMs} ms profiled`);
  print("self time, by library or module", summary.self, 25);
  print("our modules, with what they call", summary.withCallees, 20);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
