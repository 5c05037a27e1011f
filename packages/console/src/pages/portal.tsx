import { useEffect, useState } from "preact/hooks";
import { createClient } from "../api.js";
import { ErrorText, useTitle } from "../components/feedback.js";
import { Link, navigate } from "../router.js";
import { paths } from "../routes.js";
import type { Session } from "../session.js";

/**
 * Where a portal link lands (docs/portal-and-audit.md). The link's secret is its fragment,
 * which the browser never sends; the page takes it out of the address bar and the history
 * at once, and trades it (in a request body) for this tab's session token. A link is good
 * once: the same frame reloaded carries on with the session this tab already holds.
 */
export function PortalPage(props: { current: Session | null; onSignedIn: (session: Session) => void }) {
  useTitle("Opening the settings page");
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const link = window.location.hash.slice(1);
    window.history.replaceState(null, "", paths.portal());
    const carryOn = () => navigate(paths.webhooks(), { replace: true });
    if (link === "") {
      if (props.current) carryOn();
      else setError("This page opens from a link that AgileTune makes. Open it again from your organization's settings in AgileTune.");
      return;
    }
    createClient(null, () => undefined)
      .exchangePortalLink(link)
      .then(
        (signIn) => {
          const { token, organizationId, user, readOnly, expiresAt } = signIn;
          props.onSignedIn({ token, kind: "portal", organizationId, portal: { user, readOnly, expiresAt } });
          carryOn();
        },
        (err: unknown) => {
          if (props.current?.kind === "portal") carryOn();
          else setError(err);
        },
      );
  }, []);

  return (
    <div class="narrow">
      <h1 tabIndex={-1}>Opening the settings page</h1>
      {error === null ? (
        <p role="status" class="message message-busy">
          Signing you in…
        </p>
      ) : typeof error === "string" ? (
        <p role="alert" class="message message-error">
          {error}
        </p>
      ) : (
        <ErrorText error={error} prefix="Not signed in." />
      )}
    </div>
  );
}

/** After a portal session ended (AgileTune ended it, or it expired) or its user signed out. */
export function SignedOutPage(props: { notice: string | null }) {
  useTitle("Signed out");
  return (
    <div class="narrow">
      <h1 tabIndex={-1}>Signed out</h1>
      <p role="alert" class="message message-warn">
        {props.notice ?? "You are signed out."}
      </p>
      <p>
        To manage your webhooks again, open the page from your organization's settings in AgileTune. With an API key or the operator token, <Link href={paths.signIn()}>sign in here</Link>.
      </p>
    </div>
  );
}
