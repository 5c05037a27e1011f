import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { rootCertificates } from "node:tls";
import { DeliveryError, isPublicAddress, RESPONSE_BODY_LOG_LIMIT } from "@agiletune/shared";
import { Agent, errors as undiciErrors, type Dispatcher } from "undici";

export type HttpAttempt = {
  status: number | null;
  headers: Record<string, string>;
  body: string;
  bodyTruncated: boolean;
  durationMs: number;
  error: DeliveryError | null;
};

/**
 * A DNS lookup that refuses private answers at connect time, so a hostname that
 * resolved to a public address when the webhook was created cannot later be pointed
 * at our own network (DNS rebinding).
 */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, "", 4);
      const usable = allowPrivate ? addresses : addresses.filter((a) => isPublicAddress(a.address));
      if (usable.length === 0) {
        const refused = Object.assign(new Error(`${hostname} resolves only to refused addresses`), { code: "EPRIVATEADDRESS" });
        return callback(refused, "", 4);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}

export type DeliveryAgentOptions = {
  allowPrivate: boolean;
  connectionsPerOrigin: number;
  /** CA certificates (PEM) trusted besides Node's own, for endpoints behind a private CA. */
  extraCaCertificates?: readonly string[] | undefined;
  /** A client certificate and key (PEM) presented to https endpoints that ask for one (mTLS). */
  clientCertificate?: { certificate: string; privateKey: string } | undefined;
};

/** Keep-alive connection pools per origin, shared by all deliveries of this process (or of one mTLS webhook). */
export function createDeliveryAgent(opts: DeliveryAgentOptions): Agent {
  return new Agent({
    connections: opts.connectionsPerOrigin,
    keepAliveTimeout: 30_000,
    pipelining: 1,
    connect: {
      lookup: guardedLookup(opts.allowPrivate),
      timeout: 10_000,
      ...(opts.extraCaCertificates?.length && { ca: [...rootCertificates, ...opts.extraCaCertificates] }),
      ...(opts.clientCertificate && { cert: opts.clientCertificate.certificate, key: opts.clientCertificate.privateKey }),
    },
  });
}

/**
 * One POST. Never throws: the outcome, including why it failed, is in the result.
 * `timeoutMs` covers the whole exchange (connect, headers and reading the body);
 * redirects are not followed; at most `bodyLimit` bytes of the body are kept.
 */
export async function postDelivery(opts: {
  agent: Agent;
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowPrivate: boolean;
  /** Bytes of the answer kept; default RESPONSE_BODY_LOG_LIMIT. */
  bodyLimit?: number;
}): Promise<HttpAttempt> {
  const started = performance.now();
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    return failedAttempt(new DeliveryError("invalid_url", "the webhook URL is not a valid URL"), started);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return failedAttempt(new DeliveryError("invalid_url", `scheme ${url.protocol} is not allowed`), started);
  const literalHost = url.hostname.replace(/^\[|\]$/g, "");
  // Literal IPs skip DNS, so the connect-time lookup guard never sees them.
  if (!opts.allowPrivate && isIP(literalHost) && !isPublicAddress(literalHost)) {
    return failedAttempt(new DeliveryError("private_address", `${literalHost} is a private address`), started);
  }
  return new Promise((resolve) => {
    const exchange = new Exchange({ started, timeoutMs: opts.timeoutMs, bodyLimit: opts.bodyLimit ?? RESPONSE_BODY_LOG_LIMIT, resolve });
    try {
      opts.agent.dispatch(
        { origin: url.origin, path: url.pathname + url.search, method: "POST", headers: opts.headers, body: opts.body, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs },
        exchange,
      );
    } catch (err) {
      exchange.onResponseError(null, err as Error);
    }
  });
}

function failedAttempt(error: DeliveryError, started: number, status: number | null = null): HttpAttempt {
  return { status, headers: {}, body: "", bodyTruncated: false, durationMs: Math.round(performance.now() - started), error };
}

/**
 * One exchange as undici's dispatcher reports it. Not `request()`: that wraps every answer in
 * a body stream and every call in an abort signal, which cost this path measurable CPU and
 * garbage; this handler keeps the answer's first bytes as they come and nothing else.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private status = 0;
  private headers: Record<string, string> = {};
  private chunks: Buffer[] = [];
  private size = 0;
  private timedOut = false;
  private settled = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly opts: { started: number; timeoutMs: number; bodyLimit: number; resolve: (attempt: HttpAttempt) => void }) {
    this.timer = setTimeout(() => this.timeOut(), opts.timeoutMs);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // Its time ran out while it waited for a connection: it is not sent.
    if (this.settled) controller.abort(new Error("the attempt ended before it could be sent"));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.status = statusCode;
    this.headers = flattenHeaders(headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size > this.opts.bodyLimit) {
      // Stop reading: the rest is not logged, and a huge body must not hold the slot.
      this.answered(true);
      controller.abort(new Error("response body beyond what the log keeps"));
    }
  }

  onResponseEnd(): void {
    this.answered(false);
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    this.settle(failedAttempt(classify(err, { timedOut: this.timedOut, timeoutMs: this.opts.timeoutMs }), this.opts.started));
  }

  private timeOut(): void {
    this.timedOut = true;
    const error = new DeliveryError("timeout", `no full response within ${this.opts.timeoutMs} ms`);
    if (this.controller) this.controller.abort(error);
    this.settle(failedAttempt(error, this.opts.started));
  }

  private answered(truncated: boolean): void {
    const text = (this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)).subarray(0, this.opts.bodyLimit).toString("utf8");
    const { status } = this;
    const ok = status >= 200 && status < 300;
    this.settle({
      status,
      headers: this.headers,
      body: text,
      bodyTruncated: truncated,
      durationMs: Math.round(performance.now() - this.opts.started),
      error: ok ? null : status === 410 ? new DeliveryError("gone", "the endpoint answered 410 Gone") : new DeliveryError("http_status", `the endpoint answered ${status}`),
    });
  }

  private settle(attempt: HttpAttempt): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.opts.resolve(attempt);
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

function classify(err: unknown, { timedOut, timeoutMs }: { timedOut: boolean; timeoutMs: number }): DeliveryError {
  const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  if (timedOut || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError || code === "UND_ERR_CONNECT_TIMEOUT") {
    return new DeliveryError("timeout", `no full response within ${timeoutMs} ms`);
  }
  if (code === "EPRIVATEADDRESS") return new DeliveryError("private_address", (err as Error).message);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new DeliveryError("dns_failed", `DNS lookup failed (${code})`);
  return new DeliveryError("connection_failed", `${code ?? "error"}: ${(err as Error).message}`);
}
