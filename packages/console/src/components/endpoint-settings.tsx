import type { CreateWebhook, Webhook, WebhookPatch } from "../api.js";

/**
 * The webhook form's custom headers, Authentication section and Ed25519 switch
 * (docs/endpoint-authentication.md). Saved header values and auth secrets never come back
 * from the API: a saved value shows its hint, and an input left empty keeps it.
 */

type AuthType = "none" | "basic" | "bearer" | "oauth2" | "mtls";
const AUTH_TYPES: ReadonlyArray<[AuthType, string]> = [
  ["none", "None"],
  ["basic", "Basic (user name and password)"],
  ["bearer", "Bearer token"],
  ["oauth2", "OAuth 2.0 client credentials"],
  ["mtls", "Client certificate (mTLS)"],
];

type HeaderRow = { key: number; name: string; value: string; savedHint: string | null };
type AuthFields = {
  username: string;
  password: string;
  token: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  audience: string;
  certificate: string;
  privateKey: string;
};
export type EndpointDraft = { headers: HeaderRow[]; removed: string[]; authType: AuthType; auth: AuthFields; ed25519: boolean };

let rowKeys = 0;

export function initialEndpointDraft(webhook: Webhook | undefined): EndpointDraft {
  const saved = webhook?.auth ?? null;
  return {
    headers: Object.entries(webhook?.headers ?? {}).map(([name, hint]) => ({ key: rowKeys++, name, value: "", savedHint: hint })),
    removed: [],
    authType: saved?.type ?? "none",
    auth: {
      username: saved?.type === "basic" ? saved.username : "",
      password: "",
      token: "",
      tokenUrl: saved?.type === "oauth2" ? saved.tokenUrl : "",
      clientId: saved?.type === "oauth2" ? saved.clientId : "",
      clientSecret: "",
      scope: saved?.type === "oauth2" ? (saved.scope ?? "") : "",
      audience: saved?.type === "oauth2" ? (saved.audience ?? "") : "",
      certificate: "",
      privateKey: "",
    },
    ed25519: webhook?.ed25519 ?? false,
  };
}

/** The auth object the draft describes; secrets left empty are left out (a PATCH then keeps the saved ones). */
function authBody(draft: EndpointDraft): NonNullable<WebhookPatch["auth"]> | null {
  const a = draft.auth;
  const given = (v: string) => (v === "" ? undefined : v);
  switch (draft.authType) {
    case "none":
      return null;
    case "basic":
      return { type: "basic", username: a.username, ...(a.password !== "" && { password: a.password }) };
    case "bearer":
      return { type: "bearer", ...(a.token !== "" && { token: a.token }) };
    case "oauth2":
      return {
        type: "oauth2",
        tokenUrl: a.tokenUrl.trim(),
        clientId: a.clientId,
        ...(a.clientSecret !== "" && { clientSecret: a.clientSecret }),
        ...(given(a.scope.trim()) && { scope: a.scope.trim() }),
        ...(given(a.audience.trim()) && { audience: a.audience.trim() }),
      };
    case "mtls":
      return { type: "mtls", certificate: a.certificate.trim(), ...(a.privateKey !== "" && { privateKey: a.privateKey.trim() }) };
  }
}

export function endpointFieldsForCreate(draft: EndpointDraft): Pick<CreateWebhook, "headers" | "auth" | "ed25519"> {
  const headers = Object.fromEntries(draft.headers.filter((h) => h.name.trim() !== "").map((h) => [h.name.trim(), h.value]));
  return { headers, auth: authBody(draft) as CreateWebhook["auth"], ed25519: draft.ed25519 };
}

/** Only what changed: a saved header with no new value is kept, a removed one is sent as null. */
export function endpointFieldsForPatch(draft: EndpointDraft, initial: Webhook): Pick<WebhookPatch, "headers" | "auth" | "ed25519"> {
  const headers: Record<string, string | null> = Object.fromEntries(draft.removed.map((name) => [name, null]));
  for (const h of draft.headers) if (h.name.trim() !== "" && (h.savedHint === null || h.value !== "")) headers[h.name.trim()] = h.value;
  const auth = authBody(draft);
  const a = draft.auth;
  const saved = initial.auth;
  // Unchanged: the same type with the same visible fields and no secret typed in.
  const unchanged =
    (auth === null && saved === null) ||
    (saved?.type === "basic" && draft.authType === "basic" && a.username === saved.username && a.password === "") ||
    (saved?.type === "bearer" && draft.authType === "bearer" && a.token === "") ||
    (saved?.type === "oauth2" &&
      draft.authType === "oauth2" &&
      a.tokenUrl.trim() === saved.tokenUrl &&
      a.clientId === saved.clientId &&
      a.scope.trim() === (saved.scope ?? "") &&
      a.audience.trim() === (saved.audience ?? "") &&
      a.clientSecret === "") ||
    (saved?.type === "mtls" && draft.authType === "mtls" && a.certificate.trim() === "" && a.privateKey === "");
  return {
    ...(Object.keys(headers).length > 0 && { headers }),
    ...(!unchanged && { auth }),
    ...(draft.ed25519 !== initial.ed25519 && { ed25519: draft.ed25519 }),
  };
}

type FieldsProps = {
  id: string;
  draft: EndpointDraft;
  onChange: (draft: EndpointDraft) => void;
  /** The saved webhook when editing: its auth type's secrets may be left empty to keep them. */
  saved: Webhook | undefined;
  errors: { headers?: string[] | undefined; auth?: string[] | undefined };
};

/** Custom headers and the Authentication section of the webhook form. */
export function EndpointSettingsFields({ id, draft, onChange, saved, errors }: FieldsProps) {
  const setAuth = (field: keyof AuthFields, value: string) => onChange({ ...draft, auth: { ...draft.auth, [field]: value } });
  const setRow = (key: number, change: Partial<HeaderRow>) => onChange({ ...draft, headers: draft.headers.map((h) => (h.key === key ? { ...h, ...change } : h)) });
  const keeps = saved?.auth?.type === draft.authType;
  const secretHint = keeps ? "Saved and never shown again. Leave empty to keep it." : undefined;
  const input = (field: keyof AuthFields, label: string, opts: { secret?: boolean; hint?: string | undefined; placeholder?: string } = {}) => {
    const common = {
      id: `${id}-auth-${field}`,
      class: "mono",
      spellcheck: false,
      placeholder: opts.placeholder,
      value: draft.auth[field],
      onInput: (e: { currentTarget: HTMLInputElement }) => setAuth(field, e.currentTarget.value),
      "aria-describedby": opts.hint ? `${id}-auth-${field}-hint` : undefined,
    };
    return (
      <div class="field">
        <label for={common.id}>{label}</label>
        {opts.secret ? <input type="password" autoComplete="new-password" {...common} /> : <input type="text" autoComplete="off" {...common} />}
        {opts.hint ? (
          <p id={`${id}-auth-${field}-hint`} class="hint">
            {opts.hint}
          </p>
        ) : null}
      </div>
    );
  };
  const pem = (field: "certificate" | "privateKey", label: string, hint: string) => (
    <div class="field">
      <label for={`${id}-auth-${field}`}>{label}</label>
      <textarea
        id={`${id}-auth-${field}`}
        class="mono"
        rows={4}
        spellcheck={false}
        value={draft.auth[field]}
        onInput={(e) => setAuth(field, e.currentTarget.value)}
        aria-describedby={`${id}-auth-${field}-hint`}
      />
      <p id={`${id}-auth-${field}-hint`} class="hint">
        {hint}
      </p>
    </div>
  );
  const savedMtls = saved?.auth?.type === "mtls" ? saved.auth : null;

  return (
    <>
      <fieldset class="endpoint-headers" aria-invalid={errors.headers ? "true" : undefined} aria-describedby={`${id}-headers-hint`}>
        <legend>Custom headers</legend>
        <p id={`${id}-headers-hint`} class="hint">
          Sent with every delivery, for example the <code>X-Api-Key</code> your API gateway wants (at most 20). Values are stored encrypted and never shown again once saved.
        </p>
        {errors.headers ? <p class="field-error">Custom headers: {errors.headers.join("; ")}</p> : null}
        {draft.headers.map((h, index) => (
          <div class="header-row" key={h.key} role="group" aria-label={`Header ${index + 1}`}>
            <label for={`${id}-hn-${h.key}`}>Header name</label>
            <input
              id={`${id}-hn-${h.key}`}
              type="text"
              class="mono"
              autoComplete="off"
              spellcheck={false}
              value={h.name}
              readOnly={h.savedHint !== null}
              onInput={(e) => setRow(h.key, { name: e.currentTarget.value })}
            />
            <label for={`${id}-hv-${h.key}`}>Header value</label>
            <input
              id={`${id}-hv-${h.key}`}
              type="password"
              class="mono"
              autoComplete="new-password"
              spellcheck={false}
              placeholder={h.savedHint !== null ? `Saved (${h.savedHint}); type to replace` : ""}
              value={h.value}
              onInput={(e) => setRow(h.key, { value: e.currentTarget.value })}
            />
            <button
              type="button"
              class="button"
              aria-label={`Remove header ${h.name || index + 1}`}
              onClick={() => onChange({ ...draft, headers: draft.headers.filter((r) => r.key !== h.key), removed: h.savedHint !== null ? [...draft.removed, h.name] : draft.removed })}
            >
              Remove
            </button>
          </div>
        ))}
        <button
          type="button"
          class="button"
          disabled={draft.headers.length >= 20}
          onClick={() => onChange({ ...draft, headers: [...draft.headers, { key: rowKeys++, name: "", value: "", savedHint: null }] })}
        >
          Add header
        </button>
      </fieldset>

      <fieldset class="endpoint-auth" aria-invalid={errors.auth ? "true" : undefined}>
        <legend>Authentication</legend>
        {errors.auth ? <p class="field-error">Authentication: {errors.auth.join("; ")}</p> : null}
        <div class="field">
          <label for={`${id}-auth-type`}>Authentication type</label>
          <select id={`${id}-auth-type`} value={draft.authType} onChange={(e) => onChange({ ...draft, authType: e.currentTarget.value as AuthType })}>
            {AUTH_TYPES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        {draft.authType === "basic" && (
          <>
            {input("username", "User name")}
            {input("password", "Password", { secret: true, hint: secretHint })}
            <p class="hint">
              Sent as <code>Authorization: Basic …</code>.
            </p>
          </>
        )}
        {draft.authType === "bearer" && <>{input("token", "Token", { secret: true, hint: secretHint ?? "Sent as Authorization: Bearer …" })}</>}
        {draft.authType === "oauth2" && (
          <>
            {input("tokenUrl", "Token URL", { placeholder: "https://login.example.com/oauth2/token", hint: "Your authorization server's token endpoint." })}
            {input("clientId", "Client ID")}
            {input("clientSecret", "Client secret", { secret: true, hint: secretHint })}
            {input("scope", "Scope (optional)")}
            {input("audience", "Audience (optional)")}
            <p class="hint">
              AgileTune asks the token URL for an access token (client credentials grant), reuses it until 30 seconds before it expires, and sends it as <code>Authorization: Bearer …</code>.
            </p>
          </>
        )}
        {draft.authType === "mtls" && (
          <>
            {savedMtls ? (
              <p class="hint">
                Saved certificate: <span class="mono">{savedMtls.certificateSubject}</span>, valid until {savedMtls.certificateExpiresAt}. Leave both empty to keep it.
              </p>
            ) : null}
            {pem("certificate", "Client certificate (PEM)", "Presented when AgileTune connects to an https Payload URL.")}
            {pem("privateKey", "Private key (PEM)", "Unencrypted; it must belong to the certificate. Stored encrypted and never shown again.")}
          </>
        )}
      </fieldset>

      <div class="field">
        <div class="check">
          <input id={`${id}-ed25519`} type="checkbox" checked={draft.ed25519} onChange={(e) => onChange({ ...draft, ed25519: e.currentTarget.checked })} aria-describedby={`${id}-ed25519-hint`} />
          <label for={`${id}-ed25519`}>Sign with Ed25519</label>
          <p id={`${id}-ed25519-hint`} class="hint">
            Adds a <code>v1a</code> signature to <code>webhook-signature</code> that your endpoint checks with a public key, so it keeps no shared secret. The key pair changes when the secret is
            rotated. <code>X-AgileTune-Signature</code> is unchanged.
          </p>
        </div>
      </div>
    </>
  );
}
