import { REDACTED, type Clock, type DeliveryError } from "@agiletune/shared";
import type { Agent } from "undici";
import type { DeliveryAgentOptions } from "../http-delivery.js";
import { ClientCertificateAgents } from "./client-certificate-agents.js";
import type { EndpointCredentials } from "./credentials.js";
import { OAuthTokens } from "./oauth2-tokens.js";

/** What one attempt sends beyond our own headers: custom headers and Authorization, over which pool, and how it is recorded. */
export type Prepared = {
  kind: "ready";
  headers: Record<string, string>;
  /** The same names with "[redacted]": what the delivery log keeps. */
  recorded: Record<string, string>;
  agent: Agent;
  /** The OAuth 2.0 access token sent, so a 401 can drop it. */
  accessToken: string | null;
};

export type AuthenticatorOptions = {
  /** The process's pool for endpoints without a client certificate (and for token requests). */
  agent: Agent;
  /** How mTLS webhooks' own pools are made (address guard, trusted CAs, pool size). */
  agentOptions: Omit<DeliveryAgentOptions, "clientCertificate">;
  timeoutMs: number;
  clock: Clock;
};

/** Applies a webhook's custom headers and endpoint authentication (docs/endpoint-authentication.md) to its attempts. */
export class EndpointAuthenticator {
  private readonly tokens: OAuthTokens;
  private readonly clientCertificates: ClientCertificateAgents;
  /** Most webhooks have no endpoint settings: one shared answer for them. */
  private readonly plain: Prepared;

  constructor(private readonly opts: AuthenticatorOptions) {
    this.tokens = new OAuthTokens({ agent: opts.agent, allowPrivate: opts.agentOptions.allowPrivate, timeoutMs: opts.timeoutMs, clock: opts.clock });
    this.clientCertificates = new ClientCertificateAgents(opts.agentOptions);
    this.plain = { kind: "ready", headers: {}, recorded: {}, agent: opts.agent, accessToken: null };
  }

  /** Ready to send, or a failed token request (a failed attempt that sent nothing to the endpoint). */
  async prepare(webhookId: string, url: string, credentials: EndpointCredentials): Promise<Prepared | { kind: "failed"; error: DeliveryError }> {
    if (credentials.auth?.type !== "mtls") this.clientCertificates.forget(webhookId);
    if (credentials.auth === null && credentials.signingKeys.length === 0 && Object.keys(credentials.headers).length === 0) return this.plain;
    const headers = { ...credentials.headers };
    let agent = this.opts.agent;
    let accessToken: string | null = null;
    const { auth } = credentials;
    if (auth?.type === "authorization") headers.authorization = auth.value;
    if (auth?.type === "oauth2") {
      const token = await this.tokens.get(webhookId, auth);
      if (typeof token !== "string") return { kind: "failed", error: token };
      accessToken = token;
      headers.authorization = `Bearer ${token}`;
    }
    // A client certificate is presented on https only: over http there is no handshake to present it in.
    if (auth?.type === "mtls" && url.startsWith("https:")) agent = this.clientCertificates.for(webhookId, auth);
    return { kind: "ready", headers, recorded: Object.fromEntries(Object.keys(headers).map((name) => [name, REDACTED])), agent, accessToken };
  }

  /** What the endpoint answered to a prepared attempt: a 401 to an OAuth 2.0 token drops that token. */
  answered(webhookId: string, prepared: Prepared, status: number | null): void {
    if (status === 401 && prepared.accessToken !== null) this.tokens.rejected(webhookId, prepared.accessToken);
  }

  close(): Promise<void> {
    return this.clientCertificates.close();
  }

  destroy(): Promise<void> {
    return this.clientCertificates.destroy();
  }
}
