import type { Router, RouterContext, RouterMiddleware } from "@koa/router";
import { encodeDeliveryJob, type DeliveryJob, type PendingWrites, type ReadinessCheck, type TopicNames } from "@agiletune/shared";
import type { Db } from "mongodb";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { actorOf, recordAudit, type AuditRecord } from "../audit-log.js";
import { assertMayWrite, assertOperator, assertOrganization, type Principal } from "../auth.js";
import type { JobProducer } from "../dlq-replay.js";
import { ApiError, toApiError } from "../errors.js";
import type { IdempotencyOptions } from "../idempotency.js";
import { ID_PATTERN } from "../schemas.js";
import type { ResolveHost } from "../url-guard.js";

export type AppState = { principal?: Principal; requestId: string };
export type AppRouter = Router<AppState>;
export type Ctx = RouterContext<AppState>;

/** What every route module receives: clients and settings, all injected. */
export type RouteDeps = {
  db: Db;
  producer: JobProducer;
  topics: Pick<TopicNames, "deliveries" | "events">;
  logger: Logger;
  clock: () => Date;
  secretsKey: string;
  /** The page's origin as users reach it: portal links start with it. */
  publicUrl: string;
  allowPrivateUrls: boolean;
  resolveHost: ResolveHost | undefined;
  authenticate: (header: string | undefined) => Promise<Principal>;
  /** Readiness: each resolves when its dependency answers. */
  checks: Record<"mongo" | "kafka", ReadinessCheck>;
  registry: Registry;
  idempotency: IdempotencyOptions;
  background: PendingWrites;
};

/** The caller, after `authenticated` ran. */
export function principalOf(ctx: Ctx): Principal {
  const principal = ctx.state.principal;
  if (!principal) throw new Error("route registered without the authenticated middleware");
  return principal;
}

/** Every authenticated route: who is calling (401 if nobody), and no write by a read-only portal session (403). */
export function authenticated(deps: RouteDeps): RouterMiddleware<AppState> {
  return async (ctx, next) => {
    const principal = await deps.authenticate(ctx.get("authorization") || undefined);
    assertMayWrite(principal, ctx.method);
    ctx.state.principal = principal;
    await next();
  };
}

export const operatorOnly: RouterMiddleware<AppState> = async (ctx, next) => {
  assertOperator(principalOf(ctx));
  await next();
};

/** `:orgId` routes: a malformed id cannot exist (404); another organization's key gets 403. */
export const organizationScoped: RouterMiddleware<AppState> = async (ctx, next) => {
  const orgId = ctx.params.orgId ?? "";
  if (!ID_PATTERN.test(orgId)) throw new ApiError("not_found", "organization not found");
  assertOrganization(principalOf(ctx), orgId);
  await next();
};

/**
 * Records a change the caller made in the audit log: the actor from the request's
 * principal, the organization from the path unless given (null: the operator's, spanning organizations).
 */
export function audit(deps: Pick<RouteDeps, "db" | "logger" | "clock">, ctx: Ctx, record: Omit<AuditRecord, "actor" | "organizationId"> & { organizationId?: string | null }): Promise<void> {
  return recordAudit(deps, { organizationId: ctx.params.orgId ?? null, ...record, actor: actorOf(principalOf(ctx)) });
}

/** A path id that fails the id pattern names nothing: 404, like an unknown one. */
export function pathId(ctx: Ctx, name: string, what: string): string {
  const value = ctx.params[name] ?? "";
  if (!ID_PATTERN.test(value)) throw new ApiError("not_found", `${what} not found`);
  return value;
}

/**
 * Produces one job keyed by webhook id (docs/topics-and-formats.md#topics). A broker failure kafkajs calls
 * retriable is a 503 (try again); a non-retriable one would fail again the same way: 500.
 */
export async function produceJob(deps: { producer: JobProducer; topics: Pick<TopicNames, "deliveries"> }, job: DeliveryJob): Promise<void> {
  try {
    await deps.producer.send({ topic: deps.topics.deliveries, messages: [{ key: job.webhookId, value: encodeDeliveryJob(job) }] });
  } catch (err) {
    throw toApiError(err, "the delivery queue is unavailable; try again");
  }
}
