import { useState } from "preact/hooks";
import type { Webhook } from "../api.js";
import { Link } from "../router.js";
import { paths } from "../routes.js";

const AUTH_LABELS = { basic: "Basic", bearer: "Bearer token", oauth2: "OAuth 2.0 client credentials", mtls: "Client certificate (mTLS)" } as const;

function authLabel(auth: Webhook["auth"]): string {
  if (auth === null) return "None";
  switch (auth.type) {
    case "basic":
      return `${AUTH_LABELS.basic}, user ${auth.username}`;
    case "oauth2":
      return `${AUTH_LABELS.oauth2}, client ${auth.clientId} at ${auth.tokenUrl}`;
    case "mtls":
      return `${AUTH_LABELS.mtls}, ${auth.certificateSubject}`;
    default:
      return AUTH_LABELS[auth.type];
  }
}

/** Custom headers (names and hints only), authentication and the Ed25519 public key, for a `<dl class="facts">`. */
export function EndpointFacts({ webhook }: { webhook: Webhook }) {
  const names = Object.entries(webhook.headers);
  return (
    <>
      <div>
        <dt>Custom headers</dt>
        <dd>{names.length === 0 ? "None" : names.map(([name, hint]) => <span key={name} class="mono header-fact">{`${name}: ${hint}`}</span>)}</dd>
      </div>
      <div>
        <dt>Authentication</dt>
        <dd>{authLabel(webhook.auth)}</dd>
      </div>
      {webhook.signingPublicKey ? <PublicKeyFact publicKey={webhook.signingPublicKey} /> : null}
    </>
  );
}

function PublicKeyFact({ publicKey }: { publicKey: string }) {
  const [copy, setCopy] = useState<{ ok: boolean; text: string } | null>(null);
  return (
    <div class="fact-wide">
      <dt>Ed25519 public key</dt>
      <dd>
        <span class="mono public-key">{publicKey}</span>{" "}
        <button
          type="button"
          class="button"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(publicKey);
              setCopy({ ok: true, text: "Public key copied to the clipboard." });
            } catch (err) {
              setCopy({ ok: false, text: `Could not copy (${(err as Error).message}); select the key and copy it instead.` });
            }
          }}
        >
          Copy public key
        </button>
        <p role="status" class={`message ${copy ? (copy.ok ? "message-ok" : "message-error") : "message-empty"}`}>
          {copy?.text ?? ""}
        </p>
        <p class="hint">
          Verifies the <code>v1a</code> signature in <code>webhook-signature</code>: see <Link href={paths.guide("ed25519-signatures")}>the guide</Link>.
        </p>
      </dd>
    </div>
  );
}
