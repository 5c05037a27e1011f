import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { addressRange, isPublicAddress } from "@agiletune/shared";

/** Longest webhook URL accepted (characters, after no normalisation). */
export const MAX_URL_LENGTH = 2048;

/** Resolves a host name to every address it has (A and AAAA). Injected in tests. */
export type ResolveHost = (hostname: string) => Promise<string[]>;

const resolveWithDns: ResolveHost = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export type UrlRefusalCode = "invalid_url" | "private_address" | "dns_failed";

/** Why a webhook URL may not be used. `retriable`: the same URL may pass later (DNS trouble). */
export class UrlRefusedError extends Error {
  constructor(
    readonly code: UrlRefusalCode,
    message: string,
  ) {
    super(message);
    this.name = "UrlRefusedError";
  }

  get retriable(): boolean {
    return this.code === "dns_failed";
  }
}

// C0 controls, space, DEL and C1 controls. The WHATWG parser silently drops tabs and
// newlines ("http://exa\nmple.com" parses as example.com), so they are refused before parsing.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f-\u009f]/;

/** Syntax checks only (no DNS): length, http(s), a host, no credentials, no whitespace or control characters. */
export function parseWebhookUrl(raw: string): URL {
  if (raw.length === 0) throw new UrlRefusedError("invalid_url", "must not be empty");
  if (raw.length > MAX_URL_LENGTH) throw new UrlRefusedError("invalid_url", `must be at most ${MAX_URL_LENGTH} characters`);
  if (CONTROL_OR_SPACE.test(raw)) throw new UrlRefusedError("invalid_url", "must not contain spaces or control characters");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UrlRefusedError("invalid_url", "is not a valid absolute URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UrlRefusedError("invalid_url", "must use http or https");
  if (url.hostname === "") throw new UrlRefusedError("invalid_url", "must have a host");
  // Credentials in a URL would be stored and shown in clear; the secret is the way to authenticate.
  if (url.username !== "" || url.password !== "") throw new UrlRefusedError("invalid_url", "must not contain a user name or password");
  if (url.href.length > MAX_URL_LENGTH) throw new UrlRefusedError("invalid_url", `must be at most ${MAX_URL_LENGTH} characters once normalised`);
  return url;
}

export type AssertPublicUrlOptions = {
  allowPrivate: boolean;
  resolve?: ResolveHost;
  /** DNS lookups cannot be cancelled; past this the check fails as `dns_failed`. */
  dnsTimeoutMs?: number;
};

/**
 * Checks a webhook URL and, unless `allowPrivate`, that every address its host resolves
 * to (or the literal IP it names) is public. Used at creation/update and meant to run
 * again at delivery time, so a DNS answer that changed since (rebinding) is caught.
 * Returns the parsed URL and the addresses checked (empty when `allowPrivate`).
 */
export async function assertPublicUrl(raw: string, opts: AssertPublicUrlOptions): Promise<{ url: URL; addresses: string[] }> {
  const url = parseWebhookUrl(raw);
  if (opts.allowPrivate) return { url, addresses: [] };
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: string[];
  // RFC 6761: localhost names are loopback whatever a resolver says.
  if (/(^|\.)localhost\.?$/i.test(host)) {
    throw new UrlRefusedError("private_address", "resolves to a non-public address (loopback); set ALLOW_PRIVATE_URLS=true to allow it");
  }
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    addresses = await resolveWithTimeout(host, opts.resolve ?? resolveWithDns, opts.dnsTimeoutMs ?? 5_000);
    if (addresses.length === 0) throw new UrlRefusedError("dns_failed", "host name has no address");
  }
  const refused = addresses.find((a) => !isPublicAddress(a));
  if (refused !== undefined) {
    throw new UrlRefusedError("private_address", `resolves to a non-public address (${addressRange(refused)}); set ALLOW_PRIVATE_URLS=true to allow it`);
  }
  return { url, addresses };
}

async function resolveWithTimeout(host: string, resolve: ResolveHost, timeoutMs: number): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      resolve(host),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new UrlRefusedError("dns_failed", "host name lookup timed out")), timeoutMs);
      }),
    ]);
  } catch (err) {
    if (err instanceof UrlRefusedError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UrlRefusedError("dns_failed", `host name does not resolve${code ? ` (${code})` : ""}`);
  } finally {
    clearTimeout(timer);
  }
}
