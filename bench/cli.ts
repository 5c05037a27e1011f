// `pnpm bench`: deliveries per second, end-to-end latency, isolation and retry timing of
// the whole pipeline on this machine, next to the machine's own ceilings. See --help.
// This is the entry point: importing it (or any bench module) starts nothing; main() does.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT, startJaeger, type ServiceName } from "@agiletune/local-infra";
import { measureCeilings } from "./ceilings.js";
import { startHarness } from "./harness.js";
import { ceilingsLine, drawRunChart, healthyEndpointsKept, scenarioLines, writeRun, type Result, type Run } from "./report.js";
import { runScenario, SCENARIOS, type Scenario, type ScenarioOptions } from "./scenarios.js";

export type BenchOptions = ScenarioOptions & { scenarios: Scenario[]; ceilings: boolean; tracing: boolean };

export const HELP = `pnpm bench [-- options]

Brings up (or reuses) Kafka and the database, starts the four services as processes on
fresh topics and a fresh database per scenario, creates webhooks through the admin API
pointing at a receiver in its own process, produces domain events and measures at the
receiver. Results are appended to bench/results/ and summarised in bench/README.md.
Each scenario first delivers one event to every healthy endpoint, then --warm-up seconds
of deliveries at the paced rate, unmeasured, so the figures are those of a warm pipeline
rather than of its first seconds (when the services' code is not yet optimised).

  --scenarios LIST   comma-separated, of: ${SCENARIOS.join(", ")} (default: all)
                       healthy  50 organizations, one webhook each, events as fast as --rate
                       fanout   one organization, 100 webhooks; each event fans out 100 times
                       slow     like healthy, 10% of endpoints never answer (timeout 2 s;
                                the production retry schedule, so parked work returns after 1 min)
                       dead     like healthy, 10% of endpoints refuse connections (each is reset) for
                                the first half of --duration, then come back; their circuits open,
                                are probed every --duration/10 s (min 1 s), then drain
                       failing  like healthy at --failing-rate, 10% answer 500; retries flow through the tiers
                       paced    a fixed --paced-rate events/s, for latency
                       instances  healthy's load on two dispatcher instances in one group: the
                                CPU per delivery coordination costs (two cores show no speed-up)
                       ordered  1,000 ordering keys across 20 ordered webhooks at --ordered-rate, 30% of
                                their requests refused at random (keys ending in a multiple
                                of 10 never), ladder 1-5 s; each event also to an unordered
                                control webhook; then --held deliveries held behind keys that
                                never succeed, for the dispatcher's memory
                       drain    --drain-events events to healthy's 50 webhooks produced while fanout
                                and the dispatcher are stopped, then drained by them: deliveries/s
                                and machine CPU per delivery (the twin of pnpm bench:svix)
  --duration S       seconds of producing per scenario (default 20; 600 for the soak)
  --rate N           offered events/s for healthy, slow and failing (default 4000)
  --paced-rate N     events/s for paced (default 500)
  --ordered-rate N   events/s for ordered (default 300)
  --held N           ordered: deliveries held after the load, for memory (default 100000; 0: none)
  --failing-rate N   events/s for failing (default 300: below capacity, so retries are
                     timed against their due time, not against a backlog ahead of them)
  --dead-rate-limit N  the dead webhooks' rateLimitPerSecond, which paces the release of
                     their parked deliveries and sizes each page of it (default 1000;
                     0: none, and they drain at 10/s)
  --drain-events N   drain: events produced while fanout and the dispatcher are stopped, one
                     delivery each, then drained by them (default 30000; no warm-up)
  --event-bytes N    pad each event's data with N bytes (default 0: ~250-byte events), to
                     see memory with large events
  --warm-up S        before measuring, S seconds of deliveries at --paced-rate to the healthy
                     endpoints, delivered and not counted (default 10; 0 sends one event
                     to each, and then the first seconds measure the services' cold code)
  --no-ceilings      skip the raw HTTP and raw Kafka ceilings
  --no-endpoint-stats  run the dispatcher with ENDPOINT_STATS=false (no statistics counted
                     or written: docs/statistics.md), to measure what they cost
  --profile SERVICE  write a V8 CPU profile of that service to bench/results/profiles/
  --heap-profile SERVICE  write a sampling heap profile of that service there too
  --tracing          start (or reuse) the local Jaeger and have the services export their
                     spans to it (OTEL_EXPORTER_OTLP_ENDPOINT, docs/tracing.md): what
                     tracing costs, against a run without it
  --help             this text`;

const SERVICE_NAMES: ServiceName[] = ["fanout", "dispatcher", "retry", "admin-api"];

/** What the command line asks for: options, the help text, or why it is wrong. */
export function parseOptions(argv: string[]): { options: BenchOptions } | { help: true } | { error: string } {
  let args;
  try {
    ({ values: args } = parseArgs({
      // `pnpm bench -- --x` passes the "--" through.
      args: argv.filter((a) => a !== "--"),
      options: {
        scenarios: { type: "string", default: SCENARIOS.join(",") },
        duration: { type: "string", default: "20" },
        rate: { type: "string", default: "4000" },
        "paced-rate": { type: "string", default: "500" },
        "failing-rate": { type: "string", default: "300" },
        "flaky-rate": { type: "string", default: "50" },
        "ordered-rate": { type: "string", default: "300" },
        held: { type: "string", default: "100000" },
        "dead-rate-limit": { type: "string", default: "1000" },
        "drain-events": { type: "string", default: "30000" },
        "event-bytes": { type: "string", default: "0" },
        "warm-up": { type: "string", default: "10" },
        "no-ceilings": { type: "boolean", default: false },
        "no-endpoint-stats": { type: "boolean", default: false },
        profile: { type: "string" },
        "heap-profile": { type: "string" },
        tracing: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (args.help) return { help: true };
  for (const name of ["duration", "rate", "paced-rate", "failing-rate", "flaky-rate", "ordered-rate", "held", "dead-rate-limit", "drain-events", "event-bytes", "warm-up"] as const) {
    if (!/^\d+$/.test(args[name])) return { error: `--${name} must be a whole number, not "${args[name]}"` };
  }
  const scenarios = args.scenarios.split(",").map((s) => s.trim());
  for (const s of scenarios) if (!(SCENARIOS as readonly string[]).includes(s)) return { error: `unknown scenario "${s}" (of: ${SCENARIOS.join(", ")})` };
  for (const name of ["profile", "heap-profile"] as const) {
    const service = args[name];
    if (service !== undefined && !(SERVICE_NAMES as string[]).includes(service)) return { error: `--${name} takes a service, one of ${SERVICE_NAMES.join(", ")}, not "${service}"` };
  }
  return {
    options: {
      scenarios: scenarios as Scenario[],
      ceilings: !args["no-ceilings"],
      tracing: args.tracing,
      durationS: Number(args.duration),
      rate: Number(args.rate),
      pacedRate: Number(args["paced-rate"]),
      failingRate: Number(args["failing-rate"]),
      flakyRate: Number(args["flaky-rate"]),
      orderedRate: Number(args["ordered-rate"]),
      held: Number(args.held),
      deadRateLimit: Number(args["dead-rate-limit"]),
      drainEvents: Number(args["drain-events"]),
      eventBytes: Number(args["event-bytes"]),
      warmUpS: Number(args["warm-up"]),
      endpointStats: !args["no-endpoint-stats"],
      profile: args.profile,
      heapProfile: args["heap-profile"],
    },
  };
}

export async function main(argv: string[]): Promise<void> {
  const parsed = parseOptions(argv);
  if ("help" in parsed) {
    console.log(HELP);
    process.exit(0);
  }
  if ("error" in parsed) {
    console.error(`bench: ${parsed.error}`);
    process.exit(2);
  }
  const { options } = parsed;

  const { logger, infra, runId, receiver, liveServices, commit, machine } = await startHarness("bench");
  const jaeger = options.tracing ? await startJaeger() : null;
  if (jaeger) console.log(`tracing: the services export spans to ${jaeger.otlpEndpoint}; traces at ${jaeger.queryUrl}`);
  const ceilings = options.ceilings ? await measureCeilings({ infra, runId, logger, receiver }) : null;
  if (ceilings) console.log(ceilingsLine(ceilings));

  const results: Result[] = [];
  for (const scenario of options.scenarios) {
    const result = await runScenario({ infra, runId, logger, receiver, liveServices, options, otlpEndpoint: jaeger?.otlpEndpoint }, scenario, ceilings);
    results.push(result);
    const isolation = healthyEndpointsKept(result, results);
    if (isolation !== null) result.healthyEndpointsKeptPercent = isolation;
    console.log(JSON.stringify(result));
    for (const line of scenarioLines(result, isolation)) console.log(line);
  }

  const run: Run = { at: new Date().toISOString(), commit, command: `pnpm bench -- ${argv.filter((a) => a !== "--").join(" ")}`.trim(), machine, durationS: options.durationS, ceilings, results };
  const file = writeRun(run, join(REPO_ROOT, "bench/results"));
  console.log(`results: ${file}`);
  console.log(`chart: ${await drawRunChart(run, file)}`);
  // A Jaeger this run started goes with it; one that was already running stays.
  await jaeger?.stop();
  receiver.exit();
  if (infra.started.length) await infra.stop();
}

if (process.argv[1] === import.meta.filename) await main(process.argv.slice(2));
