import { DeliveryError, type Clock } from "@agiletune/shared";
import type { Agent } from "undici";
import { postDelivery } from "../http-delivery.js";
import type { OpenedAuth } from "./credentials.js";

type OAuth2 = Extract<OpenedAuth, { type: "oauth2" }>;

/** A token is fetched again this long before it expires, so no delivery goes out with one about to lapse. */
export const TOKEN_REFRESH_BEFORE_EXPIRY_MS = 30_000;
/** A token answer without `expires_in` is trusted this long (or until the endpoint answers 401). */
const DEFAULT_TOKEN_LIFETIME_MS = 5 * 60_000;
/** Token answers are small; a larger one is not a token answer. */
const TOKEN_ANSWER_LIMIT = 64 * 1024;
/** How much of a token endpoint's error description goes into the attempt's error. */
const DESCRIPTION_LIMIT = 200;

type CachedToken = { fingerprint: string; accessToken: string; expiresAtMs: number };
type Fetching = { fingerprint: string; token: Promise<CachedToken | DeliveryError> };

export type TokenOptions = { agent: Agent; allowPrivate: boolean; timeoutMs: number; clock: Pick<Clock, "now"> };

/**
 * OAuth 2.0 client-credentials tokens (RFC 6749 §4.4), one per webhook in this process,
 * shared by all its deliveries until TOKEN_REFRESH_BEFORE_EXPIRY_MS before it expires. At
 * most one token request per webhook is under way at a time: deliveries that find none
 * valid wait for the same request. A changed client (any oauth2 field) is a new token.
 */
export class OAuthTokens {
  private readonly cached = new Map<string, CachedToken>();
  private readonly fetching = new Map<string, Fetching>();

  constructor(private readonly opts: TokenOptions) {}

  /** A valid access token, or why none could be had. */
  async get(webhookId: string, auth: OAuth2): Promise<string | DeliveryError> {
    const cached = this.cached.get(webhookId);
    if (cached?.fingerprint === auth.fingerprint && this.opts.clock.now() < cached.expiresAtMs - TOKEN_REFRESH_BEFORE_EXPIRY_MS) return cached.accessToken;
    let fetching = this.fetching.get(webhookId);
    if (fetching?.fingerprint !== auth.fingerprint) {
      fetching = { fingerprint: auth.fingerprint, token: this.request(auth) };
      this.fetching.set(webhookId, fetching);
      const settled = fetching;
      void settled.token.then((token) => {
        if (this.fetching.get(webhookId) === settled) this.fetching.delete(webhookId);
        if (!(token instanceof DeliveryError)) this.cached.set(webhookId, token);
      });
    }
    const token = await fetching.token;
    return token instanceof DeliveryError ? token : token.accessToken;
  }

  /** The endpoint answered 401 to this token: the next attempt fetches a new one. */
  rejected(webhookId: string, accessToken: string): void {
    if (this.cached.get(webhookId)?.accessToken === accessToken) this.cached.delete(webhookId);
  }

  private async request(auth: OAuth2): Promise<CachedToken | DeliveryError> {
    const form = new URLSearchParams({ grant_type: "client_credentials" });
    if (auth.scope !== null) form.set("scope", auth.scope);
    if (auth.audience !== null) form.set("audience", auth.audience);
    // client_secret_basic (RFC 6749 §2.3.1): each part form-encoded, then Basic.
    const basic = Buffer.from(`${encodeURIComponent(auth.clientId)}:${encodeURIComponent(auth.clientSecret)}`, "utf8").toString("base64");
    const answer = await postDelivery({
      agent: this.opts.agent,
      url: auth.tokenUrl,
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json", authorization: `Basic ${basic}` },
      body: form.toString(),
      timeoutMs: this.opts.timeoutMs,
      allowPrivate: this.opts.allowPrivate,
      bodyLimit: TOKEN_ANSWER_LIMIT,
    });
    const failed = (what: string) => new DeliveryError("token_request_failed", `the token endpoint ${auth.tokenUrl} ${what}`);
    if (answer.status === null) return failed(`could not be reached: ${answer.error?.code}: ${answer.error?.message}`);
    const parsed = parseJson(answer.body);
    if (answer.error) return failed(`answered ${answer.status}${oauthError(parsed)}`);
    const accessToken = parsed?.access_token;
    if (typeof accessToken !== "string" || accessToken === "") return failed(`answered ${answer.status} without an access_token`);
    const expiresIn = Number(parsed?.expires_in);
    const lifetimeMs = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : DEFAULT_TOKEN_LIFETIME_MS;
    return { fingerprint: auth.fingerprint, accessToken, expiresAtMs: this.opts.clock.now() + lifetimeMs };
  }
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** RFC 6749 §5.2's `error` and `error_description`, as far as the endpoint gave them. */
function oauthError(parsed: Record<string, unknown> | null): string {
  const code = typeof parsed?.error === "string" ? parsed.error.slice(0, 64) : null;
  const description = typeof parsed?.error_description === "string" ? parsed.error_description.slice(0, DESCRIPTION_LIMIT) : null;
  if (!code) return "";
  return description ? ` ${code}: ${description}` : ` ${code}`;
}
