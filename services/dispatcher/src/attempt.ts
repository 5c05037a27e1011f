import { randomBytes } from "node:crypto";
import { buildDeliveryBody, DeliveryError, parseRetryAfter, signatureHeaders, type Clock, type DeliveryJob } from "@agiletune/shared";
import pkg from "../package.json" with { type: "json" };
import { beginAttemptTrace } from "./attempt-trace.js";
import { decideOutcome, type Outcome } from "./delivery-outcome.js";
import type { EndpointAuthenticator } from "./endpoint-auth/authenticator.js";
import { postDelivery, type HttpAttempt } from "./http-delivery.js";
import type { PendingDelivery } from "./triage.js";
import type { ResolvedWebhook } from "./webhook-cache.js";

export const USER_AGENT = `AgileTune-Webhooks/${pkg.version}`;

/** An attempt made (or found impossible), and what it decided: the recorder's input. */
export type AttemptResult = {
  job: DeliveryJob;
  webhook: ResolvedWebhook;
  /** Fixed before the recording, which may be repeated. */
  attemptId: string;
  startedAt: number;
  request: { url: string; headers: Record<string, string> };
  http: HttpAttempt;
  outcome: Outcome;
};

/** Made once per process: a pid alone repeats across containers (it is 1 in each). */
const PROCESS_TAG = randomBytes(6).toString("base64url");
let attemptsMade = 0;
/** Unique per attempt made. A counter rather than random bytes per attempt, which cost measurable CPU on this path. */
function newAttemptId(job: DeliveryJob, startedAt: number): string {
  return `${job.deliveryId}.${job.attempt}.${startedAt.toString(36)}.${PROCESS_TAG}.${(attemptsMade++).toString(36)}`;
}

/** A 429's or 503's `Retry-After` (docs/endpoint-health.md); other answers' are not a request to wait. */
export function retryAfterHeader(http: Pick<HttpAttempt, "status" | "headers">): string | undefined {
  return http.status === 429 || http.status === 503 ? http.headers["retry-after"] : undefined;
}

/** The headers of docs/delivery.md#the-request, signatures included. */
export function deliveryHeaders({
  job,
  webhook,
  contentTypeHeader,
  body,
  nowMs,
}: {
  job: DeliveryJob;
  webhook: PendingDelivery["webhook"];
  contentTypeHeader: string;
  body: string;
  nowMs: number;
}): Record<string, string> {
  return {
    "content-type": contentTypeHeader,
    "user-agent": USER_AGENT,
    "x-agiletune-event": job.event,
    "x-agiletune-delivery": job.deliveryId,
    ...(job.orderingKey !== undefined && { "x-agiletune-ordering-key": job.orderingKey }),
    ...signatureHeaders({
      deliveryId: job.deliveryId,
      body,
      secret: webhook.secret,
      previousSecret: webhook.previousSecret,
      signingKeys: webhook.credentials.signingKeys,
      nowSeconds: Math.floor(nowMs / 1000),
    }),
  };
}

export type AttemptOptions = {
  /** Custom headers, Authorization and the connection pool (a client certificate's, for mTLS). */
  authenticator: EndpointAuthenticator;
  timeoutMs: number;
  allowPrivateUrls: boolean;
  retryDelaysMs: readonly number[];
  clock: Clock;
};

/** One POST of a delivery, and the outcome it leads to. Never throws: a failure is an outcome. */
export async function attemptDelivery({ job, webhook }: PendingDelivery, opts: AttemptOptions): Promise<AttemptResult> {
  const { body, contentTypeHeader } = buildDeliveryBody(job, webhook.doc.contentType);
  const startedAt = opts.clock.now();
  const trace = beginAttemptTrace(job, webhook.doc.url);
  const ours = Object.assign(deliveryHeaders({ job, webhook, contentTypeHeader, body, nowMs: startedAt }), trace.headers);
  const url = webhook.doc.url;
  const prepared = await opts.authenticator.prepare(job.webhookId, url, webhook.credentials);
  let http: HttpAttempt;
  let recorded = ours;
  if (prepared.kind === "failed") {
    // No token, nothing sent: a failed attempt on the usual ladder, counting toward the circuit.
    http = { status: null, headers: {}, body: "", bodyTruncated: false, durationMs: Math.round(opts.clock.now() - startedAt), error: prepared.error };
  } else {
    // Most webhooks add nothing: our headers go, and are recorded, as they are. Otherwise
    // ours last: the admin API refuses custom headers of our names, and ours win regardless.
    const adds = Object.keys(prepared.headers).length > 0;
    http = await postDelivery({ agent: prepared.agent, url, headers: adds ? { ...prepared.headers, ...ours } : ours, body, timeoutMs: opts.timeoutMs, allowPrivate: opts.allowPrivateUrls });
    opts.authenticator.answered(job.webhookId, prepared, http.status);
    if (adds) recorded = { ...prepared.recorded, ...ours };
  }
  trace.end(http);
  const failedAt = opts.clock.now();
  const outcome = decideOutcome({ job, error: http.error, failedAt, delaysMs: opts.retryDelaysMs, retryAfterMs: parseRetryAfter(retryAfterHeader(http), failedAt) });
  return { job, webhook, attemptId: newAttemptId(job, startedAt), startedAt, request: { url, headers: recorded }, http, outcome };
}

/**
 * A job that cannot be signed, as a failed attempt that sent nothing. It goes through the
 * same outcome rules as any attempt: an event's job is dead-lettered (no retry can fix a
 * key), while a ping or redelivery leaves the delivery's ladder and dead letter alone.
 */
export function unsignableAttempt(job: DeliveryJob, webhook: ResolvedWebhook, reason: string, opts: Pick<AttemptOptions, "clock" | "retryDelaysMs">): AttemptResult {
  const startedAt = opts.clock.now();
  const error = new DeliveryError("unsignable", reason);
  const http: HttpAttempt = { status: null, headers: {}, body: "", bodyTruncated: false, durationMs: 0, error };
  return {
    job,
    webhook,
    attemptId: newAttemptId(job, startedAt),
    startedAt,
    request: { url: webhook.doc.url, headers: {} },
    http,
    outcome: decideOutcome({ job, error, failedAt: startedAt, delaysMs: opts.retryDelaysMs }),
  };
}
