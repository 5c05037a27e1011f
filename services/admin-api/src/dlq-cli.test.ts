import { describe, expect, it } from "vitest";
import { HELP, parseDlqArgs, UsageError } from "./dlq-cli.js";

describe("parseDlqArgs", () => {
  it("shows help for --help, -h or no command", () => {
    expect(parseDlqArgs(["--help"])).toEqual({ command: "help" });
    expect(parseDlqArgs(["--", "-h"])).toEqual({ command: "help" });
    expect(parseDlqArgs([])).toEqual({ command: "help" });
  });

  it("parses replay with every filter, pnpm's leading -- included", () => {
    expect(parseDlqArgs(["--", "replay", "--webhook", "wh_1", "--org", "org_1", "--event", "task.updated", "--since", "2026-03-20T00:00:00Z", "--until", "2026-03-21T00:00:00Z", "--dry-run"])).toEqual(
      {
        command: "replay",
        filter: { webhookId: "wh_1", organizationId: "org_1", event: "task.updated", from: new Date("2026-03-20T00:00:00Z"), to: new Date("2026-03-21T00:00:00Z") },
        dryRun: true,
        json: false,
      },
    );
    expect(parseDlqArgs(["list", "--from", "2026-03-20T00:00:00Z", "--limit", "5", "--json"])).toEqual({ command: "list", filter: { from: new Date("2026-03-20T00:00:00Z") }, limit: 5, json: true });
  });

  it.each([
    [["purge"], 'unknown command "purge" (list, replay or recover)'],
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

  const now = new Date("2026-03-21T00:00:00Z");

  it("parses recover: webhook, org and since, all required", () => {
    expect(parseDlqArgs(["--", "recover", "--webhook", "wh_1", "--org", "org_1", "--since", "2026-03-20T00:00:00+01:00"], now)).toEqual({
      command: "recover",
      webhookId: "wh_1",
      organizationId: "org_1",
      since: new Date("2026-03-19T23:00:00Z"),
      json: false,
    });
    expect(parseDlqArgs(["recover", "--org", "org_1", "--webhook", "wh_1", "--since", now.toISOString(), "--json"], now)).toMatchObject({ command: "recover", since: now, json: true });
  });

  it.each([
    [["recover", "--org", "org_1", "--since", "2026-03-20T00:00:00Z"], "--webhook is required for recover"],
    [["recover", "--webhook", "wh_1", "--since", "2026-03-20T00:00:00Z"], "--org is required for recover"],
    [["recover", "--webhook", "wh_1", "--org", "org_1"], "--since is required for recover"],
    [["recover", "--webhook", "wh_1", "--org", "org_1", "--since", "yesterday"], "--since: must be an ISO 8601 date-time, e.g. 2026-03-20T12:00:00Z"],
    [["recover", "--webhook", "wh_1", "--org", "org_1", "--since", "2026-03-21T00:00:01Z"], "--since: must not be in the future (now is 2026-03-21T00:00:00.000Z)"],
    [["recover", "--webhook", "wh $ne", "--org", "org_1", "--since", "2026-03-20T00:00:00Z"], "--webhook: is not a valid id"],
    [["recover", "--webhook", "wh_1", "--org", "org_1", "--since", "2026-03-20T00:00:00Z", "--dry-run"], "--dry-run does not apply to recover (it takes --webhook, --org, --since)"],
    [
      ["recover", "--webhook", "wh_1", "--org", "org_1", "--since", "2026-03-20T00:00:00Z", "--until", "2026-03-20T01:00:00Z"],
      "--until does not apply to recover (it takes --webhook, --org, --since)",
    ],
  ])("refuses recover %j", (argv, message) => {
    expect(() => parseDlqArgs(argv, now)).toThrow(new UsageError(message));
  });

  it("documents recover in --help", () => {
    expect(HELP).toContain("recover   send again every delivery of one webhook");
    expect(HELP).toContain("pnpm dlq -- recover --webhook wh_123 --org org_42 --since 2026-03-20T00:00:00Z");
  });

  it("refuses unknown options", () => {
    expect(() => parseDlqArgs(["replay", "--webhok", "x"])).toThrow(UsageError);
  });
});
