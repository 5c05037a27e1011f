import { useId, useState } from "preact/hooks";
import { createClient } from "../api.js";
import { Button, ErrorText, useTitle } from "../components/feedback.js";
import { navigate } from "../router.js";
import { paths } from "../routes.js";
import type { Session } from "../session.js";

/** Paste an organization API key or the operator token; `GET /v1/me` says which it is. */
export function SignInPage(props: { notice: string | null; onSignedIn: (session: Session) => void }) {
  useTitle("Sign in");
  const id = useId();
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    const value = token.trim();
    setError(null);
    if (value === "") {
      setError("Not signed in. Paste an API key or the operator token first.");
      return;
    }
    setBusy(true);
    try {
      const me = await createClient(value, () => undefined).me();
      const session: Session =
        me.kind === "operator"
          ? { token: value, kind: "operator", organizationId: null }
          : me.kind === "portal"
            ? { token: value, kind: "portal", organizationId: me.organizationId, portal: { user: me.user, readOnly: me.readOnly, expiresAt: me.expiresAt } }
            : { token: value, kind: "organization", organizationId: me.organizationId };
      setToken("");
      props.onSignedIn(session);
      navigate(me.kind === "operator" ? paths.organization() : paths.webhooks(), { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <div class="narrow">
      <h1 tabIndex={-1}>Sign in</h1>
      {props.notice ? (
        <p role="alert" class="message message-warn">
          {props.notice}
        </p>
      ) : null}
      <form class="form" noValidate onSubmit={submit}>
        {typeof error === "string" ? (
          <p role="alert" class="message message-error">
            {error}
          </p>
        ) : error ? (
          <ErrorText error={error} prefix="Not signed in." />
        ) : null}
        <div class="field">
          <label for={`${id}-token`}>API key or operator token</label>
          <input
            id={`${id}-token`}
            type="password"
            class="mono"
            autoComplete="off"
            spellcheck={false}
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
            aria-describedby={`${id}-hint`}
            aria-invalid={error ? "true" : undefined}
          />
          <p id={`${id}-hint`} class="hint">
            An organization API key (<code>atk_…</code>) shows that organization's webhooks. The operator token shows any organization's, and the dead letters. The token stays in this browser tab only
            and is sent to the admin API as a bearer header.
          </p>
        </div>
        <div class="actions">
          <Button type="submit" class="button-primary" busy={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </Button>
        </div>
      </form>
    </div>
  );
}
