// `pnpm dlq -- <list|replay|recover> [options]`: the dead-letter and recovery tools of the
// admin API for SREs, sharing the replay code with POST /v1/admin/dlq/replay and the
// recover code with POST .../webhooks/:webhookId/recover.
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { ConfigError, connectMongo, createKafka, createLogger, createProducer, listDeadLetters, loadConfig, prefixedTopicNames, webhooksCollection, type TopicNames } from "@agiletune/shared";
import type { Db } from "mongodb";
import type { Logger } from "pino";
import { ApiError } from "./errors.js";
import { recordAudit, type AuditActor } from "./audit-log.js";
import { replayAudited, replayDeadLetters, type JobProducer } from "./dlq-replay.js";
import { recoverDeliveries } from "./recover.js";
import { dlqReplaySchema, ID_PATTERN, parseOr422, parseRecover, type DlqFilter } from "./schemas.js";
import { deadLetterView } from "./dead-letter-views.js";

export const HELP = `Usage: pnpm dlq -- <command> [options]

Dead-lettered deliveries (jobs that failed every retry), and recovery after an
endpoint's outage.

Commands:
  list      show the dead letters matching the filters, newest first
  replay    put the matching dead letters that were not replayed yet back on
            agiletune.deliveries at attempt 0, with a fresh retry ladder
  recover   send again every delivery of one webhook created since a time whose
            status is failed or cancelled, each with its delivery id, at attempt 0
            with a fresh retry ladder (POST .../webhooks/:webhookId/recover);
            needs --webhook, --org and --since, and an active webhook

List and replay filters (all optional, combined with AND):
  --org <id>          organization id
  --webhook <id>      webhook id
  --event <type>      event type, e.g. task.updated
  --since <time>      dead-lettered at or after this ISO 8601 time (alias --from)
  --until <time>      dead-lettered before this ISO 8601 time (alias --to)

Recover takes exactly:
  --webhook <id>      the webhook
  --org <id>          its organization
  --since <time>      deliveries created at or after this ISO 8601 time (not in
                      the future)

Options:
  --dry-run           replay: only count what would be replayed
  --limit <n>         list: at most n lines (default 50, max 1000)
  --json              print JSON instead of text
  -h, --help          this help

Replay is at-least-once: each batch is produced first, then marked replayed.
Running it twice replays nothing the second time, except dead letters that
failed again in between. Recover likewise marks what it sent (pending,
"recovered at ..."), so running it twice sends nothing the second time; a
delivery without a stored payload cannot be sent and is reported as skipped.
Connects with KAFKA_BROKERS, MONGO_URL, TOPIC_PREFIX.

Examples:
  pnpm dlq -- list --webhook wh_123
  pnpm dlq -- replay --webhook wh_123 --since 2026-03-20T00:00:00Z --dry-run
  pnpm dlq -- replay --org org_42 --event task.updated
  pnpm dlq -- recover --webhook wh_123 --org org_42 --since 2026-03-20T00:00:00Z
`;

export class UsageError extends Error {}

export type DlqCommand =
  | { command: "help" }
  | { command: "list"; filter: DlqFilter; limit: number; json: boolean }
  | { command: "replay"; filter: DlqFilter; dryRun: boolean; json: boolean }
  | { command: "recover"; organizationId: string; webhookId: string; since: Date; json: boolean };

/** Parses the command line (`now`: what `--since` must not be after); throws UsageError with a message fit for stderr. */
export function parseDlqArgs(argv: string[], now: Date = new Date()): DlqCommand {
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        org: { type: "string" },
        webhook: { type: "string" },
        event: { type: "string" },
        since: { type: "string" },
        from: { type: "string" },
        until: { type: "string" },
        to: { type: "string" },
        "dry-run": { type: "boolean" },
        limit: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) return { command: "help" };
  const [command, ...extra] = positionals;
  if (extra.length) throw new UsageError(`unexpected argument: ${extra[0]}`);
  if (command !== "list" && command !== "replay" && command !== "recover") throw new UsageError(`unknown command "${command}" (list, replay or recover)`);
  if (command === "recover") return parseRecoverArgs(values, now);
  const flagNames: Record<string, string> = { organizationId: "--org", webhookId: "--webhook", event: "--event", from: "--since", to: "--until" };
  let filter: DlqFilter;
  try {
    filter = parseOr422(dlqReplaySchema, {
      organizationId: values.org,
      webhookId: values.webhook,
      event: values.event,
      from: values.since ?? values.from,
      to: values.until ?? values.to,
    });
  } catch (err) {
    if (err instanceof ApiError) throw new UsageError(err.details.map((d) => `${flagNames[d.field] ?? d.field}: ${d.message}`).join("; "));
    throw err;
  }
  const json = values.json ?? false;
  if (command === "list") {
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError("--limit: must be a whole number from 1 to 1000");
    if (values["dry-run"]) throw new UsageError("--dry-run applies to replay only");
    return { command, filter, limit, json };
  }
  if (values.limit !== undefined) throw new UsageError("--limit applies to list only");
  return { command, filter, dryRun: values["dry-run"] ?? false, json };
}

type ParsedValues = { [name: string]: string | boolean | undefined };

/** `recover --webhook --org --since [--json]`: the route's path ids and body, as flags. */
function parseRecoverArgs(values: ParsedValues, now: Date): DlqCommand {
  const unrelated = ["event", "until", "to", "from", "dry-run", "limit"].filter((name) => values[name] !== undefined);
  if (unrelated.length) throw new UsageError(`--${unrelated[0]} does not apply to recover (it takes --webhook, --org, --since)`);
  const ids: Record<"webhook" | "org", string> = { webhook: "", org: "" };
  for (const name of ["webhook", "org"] as const) {
    const value = values[name];
    if (typeof value !== "string") throw new UsageError(`--${name} is required for recover`);
    if (!ID_PATTERN.test(value)) throw new UsageError(`--${name}: is not a valid id`);
    ids[name] = value;
  }
  if (typeof values.since !== "string") throw new UsageError("--since is required for recover");
  let since: Date;
  try {
    ({ since } = parseRecover({ since: values.since }, now));
  } catch (err) {
    if (err instanceof ApiError) throw new UsageError(err.details.map((d) => `--${d.field}: ${d.message}`).join("; "));
    throw err;
  }
  return { command: "recover", organizationId: ids.org, webhookId: ids.webhook, since, json: values.json === true };
}

export type DlqCliDeps = { db: Db; producer: JobProducer; topics: Pick<TopicNames, "deliveries">; logger: Logger; out: (line: string) => void; clock?: () => Date };

/** The command line acts with the operator's rights; the audit log tells it from the API's operator by its id. */
const CLI_ACTOR: AuditActor = { type: "operator", id: "dlq-cli" };

function auditDeps(deps: DlqCliDeps): { db: Db; logger: Logger; clock: () => Date } {
  return { db: deps.db, logger: deps.logger, clock: deps.clock ?? (() => new Date()) };
}

/** Runs a parsed command against the injected clients; what it changes is recorded in the audit log. */
export async function runDlqCommand(cmd: Exclude<DlqCommand, { command: "help" }>, deps: DlqCliDeps): Promise<void> {
  if (cmd.command === "recover") {
    const webhook = await webhooksCollection(deps.db).findOne({ _id: cmd.webhookId, organizationId: cmd.organizationId }, { projection: { _id: 1, organizationId: 1, active: 1 } });
    if (!webhook) throw new Error(`webhook ${cmd.webhookId} not found in organization ${cmd.organizationId}`);
    const result = await recoverDeliveries(deps, webhook, cmd.since);
    await recordAudit(auditDeps(deps), { organizationId: cmd.organizationId, actor: CLI_ACTOR, action: "webhook.recovered", target: { type: "webhook", id: cmd.webhookId } });
    if (cmd.json) return deps.out(JSON.stringify(result));
    const skipped = result.skipped ? `; ${result.skipped} skipped (no stored payload to send)` : "";
    deps.out(`recovered ${result.matched} deliveries of ${cmd.webhookId} into ${deps.topics.deliveries}${skipped}`);
    return;
  }
  if (cmd.command === "list") {
    const docs = await listDeadLetters(deps.db, cmd.filter, { limit: cmd.limit });
    const items = docs.map(deadLetterView);
    if (cmd.json) return deps.out(JSON.stringify({ items }));
    for (const d of items) {
      deps.out(`${d.deadLetteredAt}  ${d.id}  org=${d.organizationId} webhook=${d.webhookId} event=${d.event} replayed=${d.replayedAt ?? "no"} (${d.replayCount}x)  ${d.lastError}`);
    }
    deps.out(`${items.length} dead letter(s)`);
    return;
  }
  const result = await replayDeadLetters(deps, cmd.filter, { dryRun: cmd.dryRun });
  if (!cmd.dryRun) await recordAudit(auditDeps(deps), { ...replayAudited(cmd.filter), actor: CLI_ACTOR });
  if (cmd.json) return deps.out(JSON.stringify(result));
  deps.out(result.dryRun ? `dry run: ${result.matched} dead letter(s) would be replayed` : `replayed ${result.replayed} dead letter(s) into ${deps.topics.deliveries}`);
}

async function main(): Promise<number> {
  let cmd: DlqCommand;
  try {
    cmd = parseDlqArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`dlq: ${err.message}\nRun pnpm dlq -- --help for usage.\n`);
    return 2;
  }
  if (cmd.command === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  let config;
  try {
    // The CLI needs only the connection settings; loadConfig("fanout") requires no secrets.
    config = loadConfig("fanout");
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`dlq: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger("dlq-cli", process.env.LOG_LEVEL ?? "warn");
  const mongo = await connectMongo(config.MONGO_URL, { appName: "dlq-cli" });
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: "dlq-cli", logger });
  const producer = createProducer(kafka);
  try {
    if (cmd.command === "recover" || (cmd.command === "replay" && !cmd.dryRun)) await producer.connect();
    await runDlqCommand(cmd, { db: mongo.db, producer, topics: prefixedTopicNames(config.TOPIC_PREFIX), logger, out: (line) => process.stdout.write(`${line}\n`) });
    return 0;
  } finally {
    await producer.disconnect().catch(() => undefined);
    await mongo.client.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`dlq: failed: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
