import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { rootCertificates } from "node:tls";
import { DeliveryError, isPublicAddress, RESPONSE_BODY_LOG_LIMIT } from "@agiletune/shared";
import { Agent, errors as undiciErrors, request } from "undici";

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
  const result = (partial: Omit<HttpAttempt, "durationMs">): HttpAttempt => ({ ...partial, durationMs: Math.round(performance.now() - started) });
  const failed = (error: DeliveryError, status: number | null = null) => result({ status, headers: {}, body: "", bodyTruncated: false, error });

  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    return failed(new DeliveryError("invalid_url", "the webhook URL is not a valid URL"));
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return failed(new DeliveryError("invalid_url", `scheme ${url.protocol} is not allowed`));
  const literalHost = url.hostname.replace(/^\[|\]$/g, "");
  // Literal IPs skip DNS, so the connect-time lookup guard never sees them.
  if (!opts.allowPrivate && isIP(literalHost) && !isPublicAddress(literalHost)) {
    return failed(new DeliveryError("private_address", `${literalHost} is a private address`));
  }

  // Not AbortSignal.timeout: its timer outlives the exchange and fires anyway, so every
  // delivery of the last DELIVERY_TIMEOUT_MS kept a signal and a pending timer alive.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), opts.timeoutMs);
  const signal = abort.signal;
  try {
    const response = await request(url, {
      method: "POST",
      headers: opts.headers,
      body: opts.body,
      dispatcher: opts.agent,
      signal,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
    const { text, truncated } = await readCapped(response.body, opts.bodyLimit ?? RESPONSE_BODY_LOG_LIMIT);
    const headers = flattenHeaders(response.headers);
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    return result({
      status: response.statusCode,
      headers,
      body: text,
      bodyTruncated: truncated,
      error: ok ? null : response.statusCode === 410 ? new DeliveryError("gone", "the endpoint answered 410 Gone") : new DeliveryError("http_status", `the endpoint answered ${response.statusCode}`),
    });
  } catch (err) {
    return failed(classify(err, signal, opts.timeoutMs));
  } finally {
    clearTimeout(timer);
  }
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, limit: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > limit) {
      // Stop reading: the rest is not logged, and a huge body must not hold the slot.
      body.destroy();
      return { text: Buffer.concat(chunks).subarray(0, limit).toString("utf8"), truncated: true };
    }
  }
  return { text: Buffer.concat(chunks).toString("utf8"), truncated: false };
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

function classify(err: unknown, signal: AbortSignal, timeoutMs: number): DeliveryError {
  const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  if (signal.aborted || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError || code === "UND_ERR_CONNECT_TIMEOUT") {
    return new DeliveryError("timeout", `no full response within ${timeoutMs} ms`);
  }
  if (code === "EPRIVATEADDRESS") return new DeliveryError("private_address", (err as Error).message);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new DeliveryError("dns_failed", `DNS lookup failed (${code})`);
  return new DeliveryError("connection_failed", `${code ?? "error"}: ${(err as Error).message}`);
}
