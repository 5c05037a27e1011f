/**
 * What a webhook stores of its custom headers, endpoint authentication and Ed25519 signing
 * key (docs/endpoint-authentication.md). Every value a receiver's gateway treats as a
 * credential is sealed with SECRETS_ENCRYPTION_KEY (secret-box.ts), like the webhook secret.
 */

/** One custom header; its value is write-only, shown as "…" + `hint`. */
export type StoredHeader = { name: string; valueSealed: string; hint: string };

export type StoredEndpointAuth =
  | { type: "basic"; username: string; passwordSealed: string }
  | { type: "bearer"; tokenSealed: string }
  | { type: "oauth2"; tokenUrl: string; clientId: string; clientSecretSealed: string; scope: string | null; audience: string | null }
  | { type: "mtls"; certificate: string; privateKeySealed: string };

export type EndpointAuthType = StoredEndpointAuth["type"];
export const ENDPOINT_AUTH_TYPES = ["basic", "bearer", "oauth2", "mtls"] as const satisfies readonly EndpointAuthType[];

/** The webhook's Ed25519 key pair while `ed25519: true`; the previous private key signs until the previous secret expires. */
export type StoredSigningKey = { publicKey: string; privateKeySealed: string; previousPrivateKeySealed: string | null };

/**
 * The request-body paths of a webhook create or PATCH that hold a secret (`*`: any key), so
 * whatever records a change (an audit log) can leave their values out.
 */
export const WEBHOOK_SECRET_FIELD_PATHS = ["secret", "headers.*", "auth.password", "auth.token", "auth.clientSecret", "auth.privateKey"] as const;

/** What a recorded attempt shows instead of a custom header's value or `Authorization`. */
export const REDACTED = "[redacted]";
