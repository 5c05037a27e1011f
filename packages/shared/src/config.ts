import { z } from "zod";
import { DEFAULT_RETRY_DELAYS_MS, parseDuration, parseRetryDelays } from "./retry-schedule.js";

/** The services, each with its default `METRICS_PORT` (docs/configuration.md). */
export const SERVICE_DEFAULT_PORTS = { fanout: 9101, dispatcher: 9102, retry: 9103, "admin-api": 8080 } as const;
export type ServiceName = keyof typeof SERVICE_DEFAULT_PORTS;

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
/** One duration (`30s`, `10m`, `5d`) in ms. */
const duration = z.string().transform((s, ctx) => {
  try {
    return parseDuration(s);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message });
    return z.NEVER;
  }
});
const retention = duration.pipe(z.number().max(2_147_483_647_000, "must be at most 24855d"));
const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

const brokers = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((b) => b.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, "each broker must be host:port")).min(1, "at least one broker"));

/** An origin as CSP writes it: scheme, host (a leading `*.` allowed) and port, no path. */
const ORIGIN = /^https?:\/\/(\*\.)?([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/;
const frameAncestors = z
  .string()
  .transform((s) => s.split(/\s+/).filter(Boolean))
  .pipe(z.array(z.string().regex(ORIGIN, "must be origins such as https://app.agiletune.com, separated by spaces")));

const encryptionKey = z.string().refine((s) => /^[A-Za-z0-9+/_-]+={0,2}$/.test(s) && Buffer.from(s, "base64").length === 32, "must be 32 random bytes, base64-encoded");

/**
 * The default of every variable that has one, as the services see it once parsed. The
 * schema below takes them from here; tests, docs and benches too, instead of repeating them.
 */
export const CONFIG_DEFAULTS = {
  NODE_ENV: "development",
  KAFKA_BROKERS: ["localhost:9092"],
  MONGO_URL: "mongodb://localhost:27017/agiletune",
  RETRY_DELAYS: DEFAULT_RETRY_DELAYS_MS,
  DELIVERY_TIMEOUT_MS: 30_000,
  // docs/endpoint-health.md: endpoint health.
  CIRCUIT_FAILURE_THRESHOLD: 10,
  CIRCUIT_PROBE_INTERVAL: 30_000,
  DISABLE_AFTER: 5 * 86_400_000,
  ADMIN_API_PORT: 8080,
  ALLOW_PRIVATE_URLS: false,
  LOG_LEVEL: "info",
  // Beyond the contract: tuning knobs with safe defaults.
  // Partitions bound the instances of a consumer group that get work. 6 splits evenly over
  // 1, 2, 3 or 6 instances; topics that exist already keep their count (docs/operating.md, "More than one instance").
  KAFKA_TOPIC_PARTITIONS: 6,
  TOPIC_PREFIX: "",
  DISPATCH_MAX_IN_FLIGHT: 512,
  DISPATCH_MAX_IN_FLIGHT_PER_ENDPOINT: 16,
  // Bounds the dispatcher's heap whatever the events' size (each job is held a few times
  // over: decoded, as a request body, in its log entry); 16 MiB is ~30 000 typical jobs.
  DISPATCH_MAX_IN_FLIGHT_BYTES: 16 * 1024 * 1024,
  // The delivery log's retention (deliveries with their attempts; dead letters apart, by
  // default as long). At most ~68 years: a TTL index's `expireAfterSeconds` is an int32.
  DELIVERY_LOG_RETENTION: 30 * 86_400_000,
  // docs/statistics.md: endpoint statistics, and how often the dispatcher writes what it tallied.
  ENDPOINT_STATS: true,
  ENDPOINT_STATS_FLUSH_INTERVAL: 5_000,
} as const;

/** The variables the services read, each with its check and its default from CONFIG_DEFAULTS. */
export const envSchema = z.object({
  NODE_ENV: z.string().default(CONFIG_DEFAULTS.NODE_ENV),
  KAFKA_BROKERS: brokers.default(() => [...CONFIG_DEFAULTS.KAFKA_BROKERS]),
  MONGO_URL: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\/\S+$/, "must be a mongodb:// or mongodb+srv:// URL")
    .default(CONFIG_DEFAULTS.MONGO_URL),
  SCHEMA_REGISTRY_URL: z.url({ protocol: /^https?$/ }).optional(),
  RETRY_DELAYS: z
    .string()
    .transform((s, ctx) => {
      try {
        return parseRetryDelays(s);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
        return z.NEVER;
      }
    })
    .default(() => [...CONFIG_DEFAULTS.RETRY_DELAYS]),
  DELIVERY_TIMEOUT_MS: positiveInt.default(CONFIG_DEFAULTS.DELIVERY_TIMEOUT_MS),
  CIRCUIT_FAILURE_THRESHOLD: positiveInt.default(CONFIG_DEFAULTS.CIRCUIT_FAILURE_THRESHOLD),
  CIRCUIT_PROBE_INTERVAL: duration.default(CONFIG_DEFAULTS.CIRCUIT_PROBE_INTERVAL),
  DISABLE_AFTER: duration.default(CONFIG_DEFAULTS.DISABLE_AFTER),
  ADMIN_API_PORT: port.default(CONFIG_DEFAULTS.ADMIN_API_PORT),
  ADMIN_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  SECRETS_ENCRYPTION_KEY: encryptionKey.optional(),
  ALLOW_PRIVATE_URLS: bool.default(CONFIG_DEFAULTS.ALLOW_PRIVATE_URLS),
  // The settings page's origin as users reach it; portal links are built on it (default: http://localhost:<ADMIN_API_PORT>).
  PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .transform((s) => s.replace(/\/+$/, ""))
    .optional(),
  PORTAL_FRAME_ANCESTORS: frameAncestors.default(() => []),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default(CONFIG_DEFAULTS.LOG_LEVEL),
  METRICS_PORT: port.optional(),
  KAFKA_TOPIC_PARTITIONS: positiveInt.default(CONFIG_DEFAULTS.KAFKA_TOPIC_PARTITIONS),
  // Unset: follows the cluster (replicationFor in topics.ts): 3 replicas on 3 brokers or more, else one per broker.
  KAFKA_REPLICATION_FACTOR: positiveInt.optional(),
  TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-' only")
    .default(CONFIG_DEFAULTS.TOPIC_PREFIX),
  DISPATCH_MAX_IN_FLIGHT: positiveInt.default(CONFIG_DEFAULTS.DISPATCH_MAX_IN_FLIGHT),
  DISPATCH_MAX_IN_FLIGHT_PER_ENDPOINT: positiveInt.default(CONFIG_DEFAULTS.DISPATCH_MAX_IN_FLIGHT_PER_ENDPOINT),
  DISPATCH_MAX_IN_FLIGHT_BYTES: positiveInt.default(CONFIG_DEFAULTS.DISPATCH_MAX_IN_FLIGHT_BYTES),
  DELIVERY_LOG_RETENTION: retention.default(CONFIG_DEFAULTS.DELIVERY_LOG_RETENTION),
  DEAD_LETTER_RETENTION: retention.optional(),
  ENDPOINT_STATS: bool.default(CONFIG_DEFAULTS.ENDPOINT_STATS),
  ENDPOINT_STATS_FLUSH_INTERVAL: duration.pipe(z.number().min(100, "must be at least 100ms").max(600_000, "must be at most 10m")).default(CONFIG_DEFAULTS.ENDPOINT_STATS_FLUSH_INTERVAL),
});

export type Env = z.infer<typeof envSchema>;
export type Config = Env & { service: ServiceName; metricsPort: number; retryDelaysMs: number[]; DEAD_LETTER_RETENTION: number };

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`Invalid configuration: ${variable} ${detail}`);
    this.name = "ConfigError";
  }
}

const REQUIRED_BY: Partial<Record<ServiceName, Array<keyof Env>>> = {
  dispatcher: ["SECRETS_ENCRYPTION_KEY"],
  "admin-api": ["ADMIN_TOKEN", "SECRETS_ENCRYPTION_KEY"],
};

/**
 * Parses the environment once at start-up. Throws a ConfigError whose message names the
 * variable; `main` prints that one line and exits.
 */
export function loadConfig(service: ServiceName, env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means unset, as in most shells' `FOO= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = envSchema.safeParse(present);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? "environment");
    throw new ConfigError(variable, `${issue.message}${variable in present ? ` (got "${String(present[variable]).slice(0, 80)}")` : ""}`);
  }
  const parsed = result.data;
  const required = [...(REQUIRED_BY[service] ?? [])];
  if (parsed.NODE_ENV === "production") required.push("ADMIN_TOKEN", "SECRETS_ENCRYPTION_KEY");
  for (const variable of required) {
    if (parsed[variable] === undefined) {
      const hint = variable === "SECRETS_ENCRYPTION_KEY" ? "32 random bytes, base64" : "at least 16 characters";
      throw new ConfigError(variable, `is required for ${service} (${hint}; pnpm start generates one for local use)`);
    }
  }
  return {
    ...parsed,
    service,
    metricsPort: service === "admin-api" ? parsed.ADMIN_API_PORT : (parsed.METRICS_PORT ?? SERVICE_DEFAULT_PORTS[service]),
    retryDelaysMs: parsed.RETRY_DELAYS,
    DEAD_LETTER_RETENTION: parsed.DEAD_LETTER_RETENTION ?? parsed.DELIVERY_LOG_RETENTION,
  };
}

/** Endpoint health (docs/endpoint-health.md) as the dispatcher takes it, from a parsed config or CONFIG_DEFAULTS. */
export function endpointHealthSettings(env: Pick<Env, "CIRCUIT_FAILURE_THRESHOLD" | "CIRCUIT_PROBE_INTERVAL" | "DISABLE_AFTER">) {
  return { failureThreshold: env.CIRCUIT_FAILURE_THRESHOLD, probeIntervalMs: env.CIRCUIT_PROBE_INTERVAL, disableAfterMs: env.DISABLE_AFTER };
}

/** Endpoint statistics (docs/statistics.md) as the dispatcher takes them: null when switched off. */
export function endpointStatsSettings(env: Pick<Env, "ENDPOINT_STATS" | "ENDPOINT_STATS_FLUSH_INTERVAL">): { flushIntervalMs: number } | null {
  return env.ENDPOINT_STATS ? { flushIntervalMs: env.ENDPOINT_STATS_FLUSH_INTERVAL } : null;
}
