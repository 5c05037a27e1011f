import type { Agent } from "undici";
import { createDeliveryAgent, type DeliveryAgentOptions } from "../http-delivery.js";
import type { OpenedAuth } from "./credentials.js";

type Mtls = Extract<OpenedAuth, { type: "mtls" }>;

/**
 * One connection pool per mTLS webhook, presenting its client certificate: a TLS
 * connection is bound to the certificate it presented, so pools cannot be shared with
 * other webhooks. A changed certificate or key replaces the webhook's pool.
 */
export class ClientCertificateAgents {
  private readonly agents = new Map<string, { fingerprint: string; agent: Agent }>();

  constructor(private readonly base: Omit<DeliveryAgentOptions, "clientCertificate">) {}

  for(webhookId: string, auth: Mtls): Agent {
    const known = this.agents.get(webhookId);
    if (known?.fingerprint === auth.fingerprint) return known.agent;
    // Requests still on the old pool finish; close waits for them.
    if (known) void known.agent.close().catch(() => undefined);
    const agent = createDeliveryAgent({ ...this.base, clientCertificate: { certificate: auth.certificate, privateKey: auth.privateKey } });
    this.agents.set(webhookId, { fingerprint: auth.fingerprint, agent });
    return agent;
  }

  /** The webhook presents no certificate any more: its pool goes once its requests finish. */
  forget(webhookId: string): void {
    const known = this.agents.get(webhookId);
    if (!known) return;
    this.agents.delete(webhookId);
    void known.agent.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    const agents = [...this.agents.values()].map((a) => a.agent);
    this.agents.clear();
    await Promise.all(agents.map((a) => a.close()));
  }

  destroy(): Promise<void> {
    const agents = [...this.agents.values()].map((a) => a.agent);
    this.agents.clear();
    return Promise.all(agents.map((a) => a.destroy())).then(() => undefined);
  }
}
