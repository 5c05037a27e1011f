import { describe, expect, it } from "vitest";
import { parseOptions } from "./cli.js";

describe("parseOptions", () => {
  it("gives the documented defaults: every scenario, 20 s at 4000/s, ceilings measured", () => {
    expect(parseOptions([])).toEqual({
      options: {
        scenarios: ["healthy", "fanout", "slow", "dead", "failing", "paced", "instances", "flaky", "ordered", "oauth2", "drain"],
        ceilings: true,
        tracing: false,
        durationS: 20,
        rate: 4000,
        pacedRate: 500,
        failingRate: 300,
        flakyRate: 50,
        orderedRate: 300,
        held: 100000,
        deadRateLimit: 1000,
        drainEvents: 30000,
        eventBytes: 0,
        warmUpS: 10,
        endpointStats: true,
        profile: undefined,
        heapProfile: undefined,
      },
    });
  });

  it("reads every option, after the `--` that `pnpm bench --` passes through", () => {
    const parsed = parseOptions([
      "--",
      "--scenarios",
      "healthy, failing",
      "--duration",
      "5",
      "--rate",
      "100",
      "--paced-rate",
      "50",
      "--failing-rate",
      "30",
      "--flaky-rate",
      "20",
      "--ordered-rate",
      "40",
      "--held",
      "0",
      "--dead-rate-limit",
      "0",
      "--drain-events",
      "2000",
      "--event-bytes",
      "900",
      "--warm-up",
      "0",
      "--no-ceilings",
      "--no-endpoint-stats",
      "--profile",
      "dispatcher",
      "--heap-profile",
      "fanout",
    ]);
    expect(parsed).toEqual({
      options: {
        scenarios: ["healthy", "failing"],
        ceilings: false,
        tracing: false,
        durationS: 5,
        rate: 100,
        pacedRate: 50,
        failingRate: 30,
        flakyRate: 20,
        orderedRate: 40,
        held: 0,
        deadRateLimit: 0,
        drainEvents: 2000,
        eventBytes: 900,
        warmUpS: 0,
        endpointStats: false,
        profile: "dispatcher",
        heapProfile: "fanout",
      },
    });
  });

  it("asks for the help text", () => {
    expect(parseOptions(["--help", "--duration", "x"])).toEqual({ help: true });
  });

  it.each([
    [["--duration", "5.5"], '--duration must be a whole number, not "5.5"'],
    [["--rate=-1"], '--rate must be a whole number, not "-1"'],
    [["--warm-up", ""], '--warm-up must be a whole number, not ""'],
    [["--drain-events", "3e4"], '--drain-events must be a whole number, not "3e4"'],
    [["--scenarios", "healthy,soak"], 'unknown scenario "soak"'],
    [["--scenarios", "healthy,"], 'unknown scenario ""'],
    [["--profile", "receiver"], '--profile takes a service, one of fanout, dispatcher, retry, admin-api, not "receiver"'],
    [["--durations", "5"], "Unknown option '--durations'"],
    [["--no-ceilings=yes"], "--no-ceilings"],
  ])("refuses %j", (argv, message) => {
    const parsed = parseOptions(argv);
    expect(parsed).toHaveProperty("error");
    expect((parsed as { error: string }).error).toContain(message);
  });
});
