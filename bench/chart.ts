// Draws a PNG next to a results file (same name, .png): deliveries per second and
// produce-to-receipt latency (p50, p95, p99) per scenario. `pnpm bench` calls it after a
// run; `pnpm bench:chart [file.json]` redraws one (default: the newest run).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

type Run = {
  at: string;
  commit: string;
  results: Array<{ scenario: string; deliveriesPerSecond: number; healthyDeliveriesPerSecond: number; latencyMs: { p50: number | null; p95: number | null; p99: number | null } }>;
};

const RESULTS_DIR = join(import.meta.dirname, "results");

export async function drawChart(run: Run, outFile: string): Promise<string> {
  const throughput = run.results.flatMap((r) => [
    { scenario: r.scenario, measure: "all deliveries", value: r.deliveriesPerSecond },
    { scenario: r.scenario, measure: "to healthy endpoints", value: r.healthyDeliveriesPerSecond },
  ]);
  const latency = run.results.flatMap((r) =>
    (["p50", "p95", "p99"] as const).flatMap((p) => (r.latencyMs[p] === null ? [] : [{ scenario: r.scenario, percentile: p, seconds: r.latencyMs[p]! / 1000 }])),
  );
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: { text: `AgileTune Webhooks pipeline, ${run.at.slice(0, 16).replace("T", " ")} UTC, commit ${run.commit}`, fontSize: 14 },
    background: "white",
    hconcat: [
      {
        title: "Deliveries per second",
        data: { values: throughput },
        mark: "bar",
        width: 320,
        height: 260,
        encoding: {
          x: { field: "scenario", type: "nominal", sort: null, axis: { labelAngle: 0 } },
          xOffset: { field: "measure" },
          y: { field: "value", type: "quantitative", title: "deliveries/s" },
          color: { field: "measure", type: "nominal", legend: { orient: "bottom", title: null } },
        },
      },
      {
        title: "Produce-to-receipt latency (log scale)",
        data: { values: latency },
        // Points, not bars: bars on a log scale have no baseline to start from.
        mark: { type: "point", filled: true, size: 90 },
        width: 320,
        height: 260,
        encoding: {
          x: { field: "scenario", type: "nominal", sort: null, axis: { labelAngle: 0 } },
          y: { field: "seconds", type: "quantitative", scale: { type: "log" }, title: "seconds" },
          color: { field: "percentile", type: "nominal", scale: { scheme: "dark2" }, legend: { orient: "bottom", title: null } },
        },
      },
    ],
    resolve: { scale: { color: "independent" } },
  };
  return renderPng(spec, outFile);
}

/** A Vega-Lite spec drawn to a PNG at twice its size. */
export async function renderPng(spec: TopLevelSpec, outFile: string): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  const png = new Resvg(svg, { fitTo: { mode: "zoom", value: 2 }, font: { loadSystemFonts: true } }).render().asPng();
  writeFileSync(outFile, png);
  return outFile;
}

if (process.argv[1] === import.meta.filename) {
  const file =
    process.argv.slice(2).find((a) => a !== "--") ??
    join(
      RESULTS_DIR,
      readdirSync(RESULTS_DIR)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .at(-1)!,
    );
  console.log(await drawChart(JSON.parse(readFileSync(file, "utf8")) as Run, file.replace(/\.json$/, ".png")));
}
