// The services under test, as processes on fresh topics and a fresh database: what every
// scenario (scenarios.ts) and every curve (curves.ts) starts, loads and tears down.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, ServiceProcess, type Infra, type ServiceName } from "@agiletune/local-infra";
import { allTopics, connectMongo, createKafka, EVENT_TYPES, generateEncryptionKey, prefixedTopicNames, type Logger, type TopicNames } from "@agiletune/shared";
import { BUNDLE_NODE_FLAGS } from "../scripts/build.js";
import { infraPids } from "./sampling.js";

export type PipelineContext = {
  infra: Infra;
  runId: string;
  logger: Logger;
  /** Services running now, for the harness to kill if it dies. */
  liveServices: Set<ServiceProcess>;
  /** A service to write a V8 CPU profile of. */
  profile?: string | undefined;
  /** A service to write a sampling heap profile of. */
  heapProfile?: string | undefined;
};

/** `auth`: the API's auth object (docs/endpoint-authentication.md), sent as given. */
type WebhookSpec = { org: string; url: string; rateLimitPerSecond?: number; ordered?: boolean; auth?: object };

export type BenchPipeline = {
  /** Every instance started, in start order. */
  services: ServiceProcess[];
  topics: TopicNames;
  mongoUrl: string;
  /** The admin API's origin on loopback, and the operator token it was started with. */
  adminUrl: string;
  adminToken: string;
  /** The first instance of a service. */
  service(name: ServiceName): ServiceProcess;
  /** Creates webhooks through the admin API, as a customer would, `concurrency` at a time; their ids in order. */
  createWebhooks(hooks: WebhookSpec[], concurrency?: number): Promise<string[]>;
  /** Every instance's pid by name (a second dispatcher is `dispatcher#2`), with the broker's, the database's and `extra`. */
  pids(extra?: Record<string, number>): Record<string, number>;
  /** Starts the instances of the services named in `deferred`, which `startBenchPipeline` created but did not start. */
  startDeferred(): Promise<void>;
  /** Stops the services, keeps their logs under results/logs/, deletes the topics and drops the database. */
  stop(): Promise<void>;
};

/**
 * Starts `instances` (default one of each service) on topics prefixed with
 * `<runId>-<name>.` and the database `<runId>_<name>`, with `env` over the bench's
 * defaults. Returns once every instance has said it is ready; the services named in
 * `deferred` wait for `startDeferred()`.
 */
export async function startBenchPipeline(
  ctx: PipelineContext,
  name: string,
  opts: { env?: Record<string, string>; instances?: Partial<Record<ServiceName, number>>; deferred?: ServiceName[] } = {},
): Promise<BenchPipeline> {
  const prefix = `${ctx.runId}-${name}.`;
  const adminPort = 18_000 + Math.floor(Math.random() * 1000);
  const token = `bench_${randomBytes(16).toString("hex")}`;
  const mongoUrl = new URL(ctx.infra.mongoUrl);
  mongoUrl.pathname = `/${ctx.runId}_${name}`;
  const env = {
    KAFKA_BROKERS: ctx.infra.kafkaBrokers,
    MONGO_URL: mongoUrl.toString(),
    TOPIC_PREFIX: prefix,
    DELIVERY_TIMEOUT_MS: "5000",
    ADMIN_TOKEN: token,
    SECRETS_ENCRYPTION_KEY: generateEncryptionKey(),
    ALLOW_PRIVATE_URLS: "true",
    ADMIN_API_PORT: String(adminPort),
    METRICS_PORT: "0",
    LOG_LEVEL: "info",
    ...opts.env,
  };
  const counts: Record<ServiceName, number> = { retry: 1, dispatcher: 1, fanout: 1, "admin-api": 1, ...opts.instances };
  const profileDir = join(REPO_ROOT, "bench/results/profiles");
  const services: ServiceProcess[] = [];
  const keys: string[] = [];
  for (const service of ["retry", "dispatcher", "fanout", "admin-api"] as const) {
    for (let i = 1; i <= counts[service]; i++) {
      keys.push(i === 1 ? service : `${service}#${i}`);
      services.push(
        new ServiceProcess(service, env, {
          bundled: true,
          nodeArgs: [
            ...BUNDLE_NODE_FLAGS,
            ...(service === ctx.profile ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
            ...(service === ctx.heapProfile ? ["--heap-prof", `--heap-prof-dir=${profileDir}`] : []),
          ],
        }),
      );
    }
  }
  for (const svc of services) ctx.liveServices.add(svc);
  const deferred = services.filter((s) => opts.deferred?.includes(s.name));
  await Promise.all(services.filter((s) => !deferred.includes(s)).map((s) => s.start()));
  const topics = prefixedTopicNames(prefix);

  const createOne = async (hook: WebhookSpec): Promise<string> => {
    const res = await fetch(`http://127.0.0.1:${adminPort}/v1/organizations/${hook.org}/webhooks`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        url: hook.url,
        contentType: "json",
        events: ["*"],
        ...(hook.rateLimitPerSecond ? { rateLimitPerSecond: hook.rateLimitPerSecond } : {}),
        ...(hook.ordered ? { ordered: true } : {}),
        ...(hook.auth && { auth: hook.auth }),
      }),
    });
    if (res.status !== 201) throw new Error(`webhook create: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  };

  return {
    services,
    topics,
    mongoUrl: mongoUrl.toString(),
    adminUrl: `http://127.0.0.1:${adminPort}`,
    adminToken: token,
    service: (wanted) => services.find((s) => s.name === wanted)!,
    async createWebhooks(hooks, concurrency = 1) {
      const ids: string[] = new Array(hooks.length);
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(concurrency, hooks.length) }, async () => {
          for (let i = next++; i < hooks.length; i = next++) ids[i] = await createOne(hooks[i]!);
        }),
      );
      return ids;
    },
    startDeferred: async () => {
      await Promise.all(deferred.map((s) => s.start()));
    },
    pids: (extra = {}) => ({ ...Object.fromEntries(services.map((s, i) => [keys[i]!, s.pid!])), ...extra, ...infraPids(ctx.infra.mongoUrl) }),
    async stop() {
      await Promise.all(services.map((svc) => svc.stop()));
      const logDir = join(REPO_ROOT, "bench/results/logs");
      mkdirSync(logDir, { recursive: true });
      for (const [i, svc] of services.entries()) writeFileSync(join(logDir, `${ctx.runId}-${name}-${keys[i]!.replace("#", "-")}.log`), svc.output);
      for (const svc of services) ctx.liveServices.delete(svc);
      const admin = createKafka({ brokers: ctx.infra.kafkaBrokers.split(","), clientId: `${ctx.runId}-cleanup`, logger: ctx.logger }).admin();
      await admin.connect();
      await admin.deleteTopics({ topics: allTopics(topics) }).catch(() => undefined);
      await admin.disconnect();
      const mongo = await connectMongo(mongoUrl.toString());
      await mongo.db.dropDatabase();
      await mongo.client.close();
    },
  };
}

/**
 * A domain event as upstream produces it, keyed by its organization, stamped with its
 * produce time in `data.producedAt` (the receiver's latency) and padded to size.
 */
export function benchEvent(runId: string, n: number, org: string, now: number, opts: { idPrefix?: string; padding?: string } = {}): { key: string; value: string } {
  const idPrefix = opts.idPrefix ?? "";
  return {
    key: org,
    value: JSON.stringify({
      id: `evt_${runId}_${idPrefix}${n}`,
      event: EVENT_TYPES[n % EVENT_TYPES.length],
      timestamp: new Date(now).toISOString(),
      organizationId: org,
      // `changes`: task.updated and task.moved must have it (the event catalogue's schemas); the others ignore it.
      data: { id: `obj_${idPrefix}${n}`, title: "Implement login page", changes: {}, producedAt: now, ...(opts.padding ? { notes: opts.padding } : {}) },
    }),
  };
}
