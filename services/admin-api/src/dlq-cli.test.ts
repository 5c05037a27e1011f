import { describe, expect, it } from "vitest";
import { parseDlqArgs, UsageError } from "./dlq-cli.js";

describe("parseDlqArgs", () => {
  it("shows help for --help, -h or no command", () => {
    expect(parseDlqArgs(["--help"])).toEqual({ command: "help" });
    expect(parseDlqArgs(["--", "-h"])).toEqual({ command: "help" });
    expect(parseDlqArgs([])).toEqual({ command: "help" });
  });

  it("parses replay with every filter, pnpm's leading -- included", () => {
    expect(parseDlqArgs(["--", "replay", "--webhook", "wh_1", "--org", "org_1", "--event", "task.updated", "--since", "2026-03-20T00:00:00Z", "--until", "2026-03-21T00:00:00Z", "--dry-run"])).toEqual({
      command: "replay",
      filter: { webhookId: "wh_1", organizationId: "org_1", event: "task.updated", from: new Date("2026-03-20T00:00:00Z"), to: new Date("2026-03-21T00:00:00Z") },
      dryRun: true,
      json: false,
    });
    expect(parseDlqArgs(["list", "--from", "2026-03-20T00:00:00Z", "--limit", "5", "--json"])).toEqual({ command: "list", filter: { from: new Date("2026-03-20T00:00:00Z") }, limit: 5, json: true });
  });

  it.each([
    [["purge"], 'unknown command "purge" (list or replay)'],
    [["replay", "--since", "yesterday"], "--since: must be an ISO 8601 date-time, e.g. 2026-03-20T12:00:00Z"],
    [["replay", "--event", "nope"], "--event: is not a known event type"],
    [["replay", "--since", "2026-03-22T00:00:00Z", "--until", "2026-03-21T00:00:00Z"], "--since: must be before to"],
    [["replay", "--limit", "3"], "--limit applies to list only"],
    [["list", "--limit", "0"], "--limit: must be a whole number from 1 to 1000"],
    [["list", "--dry-run"], "--dry-run applies to replay only"],
    [["replay", "extra"], "unexpected argument: extra"],
  ])("refuses %j", (argv, message) => {
    expect(() => parseDlqArgs(argv)).toThrow(new UsageError(message));
  });

  it("refuses unknown options", () => {
    expect(() => parseDlqArgs(["replay", "--webhok", "x"])).toThrow(UsageError);
  });
});
