// The oauth2 scenario: healthy's 50 webhooks, each authenticating with the OAuth 2.0
// client-credentials grant against oidc-provider on loopback (its own client per webhook),
// so the token cache's cost shows beside plain healthy: token requests per 1,000
// deliveries (one per webhook per token lifetime is the target) and deliveries/s.
import { startOAuthServer, type OAuthServer } from "@agiletune/testing/harness";

/** Long beside any run: a run should ask once per webhook (and dispatcher), never again. */
const TOKEN_TTL_SECONDS = 3600;
const SCOPE = "webhooks";

export type OAuth2Summary = {
  /** In the measured window. */
  tokenRequests: number;
  /** Since the token server started: warm-up's first token of each webhook included. */
  tokenRequestsWithWarmUp: number;
  tokenRequestsPer1000Deliveries: number;
  /** Token requests per webhook in the measured window: 0 once warm-up fetched each token. */
  tokenRequestsPerWebhook: number;
};

export type OAuth2Bench = {
  /** The `auth` of webhook number `i`. */
  authFor: (i: number) => { type: "oauth2"; tokenUrl: string; clientId: string; clientSecret: string; scope: string };
  /** Marks the start of the measured window. */
  startMeasuring: () => void;
  summary: (deliveries: number, webhooks: number) => OAuth2Summary;
  close: () => Promise<void>;
};

const client = (i: number) => ({ clientId: `bench-webhook-${i}`, clientSecret: `bench-client-secret-${i}-0123456789` });

export async function startOAuth2Bench(webhooks: number): Promise<OAuth2Bench> {
  const server: OAuthServer = await startOAuthServer({ clients: Array.from({ length: webhooks }, (_, i) => client(i)), scope: SCOPE, tokenTtlSeconds: TOKEN_TTL_SECONDS });
  let before = 0;
  return {
    authFor: (i) => ({ type: "oauth2", tokenUrl: server.tokenUrl, ...client(i), scope: SCOPE }),
    startMeasuring: () => {
      before = server.tokenRequests();
    },
    summary: (deliveries, count) => {
      const tokenRequests = server.tokenRequests() - before;
      return {
        tokenRequests,
        tokenRequestsWithWarmUp: server.tokenRequests(),
        tokenRequestsPer1000Deliveries: Math.round((tokenRequests / Math.max(1, deliveries)) * 1000 * 100) / 100,
        tokenRequestsPerWebhook: Math.round((tokenRequests / Math.max(1, count)) * 100) / 100,
      };
    },
    close: () => server.close(),
  };
}

/** The report's line for it. */
export function oauth2Line(summary: OAuth2Summary): string {
  return `  oauth2: ${summary.tokenRequests} token requests in the measured window (${summary.tokenRequestsPer1000Deliveries} per 1,000 deliveries, ${summary.tokenRequestsPerWebhook} per webhook); ${summary.tokenRequestsWithWarmUp} with the warm-up`;
}
