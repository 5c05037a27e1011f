import { useEffect, useLayoutEffect, useMemo, useState } from "preact/hooks";
import { createClient, describeError } from "./api.js";
import { AppCtx, type AppContext } from "./context.js";
import { useTitle } from "./components/feedback.js";
import { ActivityPage } from "./pages/activity.js";
import { AddWebhookPage } from "./pages/add-webhook.js";
import { DeadLettersPage } from "./pages/dead-letters.js";
import { DeliveryPage } from "./pages/delivery.js";
import { GuidePage } from "./pages/guide.js";
import { OrganizationPage } from "./pages/organization.js";
import { PortalPage, SignedOutPage } from "./pages/portal.js";
import { SignInPage } from "./pages/sign-in.js";
import { WebhookPage } from "./pages/webhook.js";
import { WebhooksPage } from "./pages/webhooks.js";
import { Link, navigate, Redirect, useLocation } from "./router.js";
import { matchRoute, paths, type Route } from "./routes.js";
import { clearSession, loadSession, mayChange, saveSession, signedInAs, type Session } from "./session.js";

/** How often an open page asks whether its portal session still stands (ended by AgileTune, or expired). */
const PORTAL_CHECK_MS = 5_000;

export function App() {
  const location = useLocation();
  const route = matchRoute(location.pathname);
  const [session, setSession] = useState<Session | null>(loadSession);
  const [notice, setNotice] = useState<string | null>(null);
  const [flash, setFlash] = useState<{ text: string; path: string } | null>(null);

  const client = useMemo(
    () =>
      session
        ? createClient(session.token, (error) => {
            // The token no longer works (revoked, ended, expired, or the server's token changed): start over.
            clearSession();
            setSession(null);
            if (session.kind === "portal") {
              setNotice("You are signed out: AgileTune ended this session, or it expired.");
              navigate(paths.signedOut(), { replace: true });
              return;
            }
            setNotice(`You were signed out because the admin API refused the token: ${describeError(error)} Sign in again.`);
            navigate(paths.signIn(), { replace: true });
          })
        : null,
    [session?.token],
  );

  // A portal session can end while the page is open: ask now and then, and on coming back to the tab; a 401 signs out.
  useEffect(() => {
    if (!client || session?.kind !== "portal") return;
    const check = () => void client.me().catch(() => undefined);
    const timer = setInterval(check, PORTAL_CHECK_MS);
    const onVisible = () => document.visibilityState === "visible" && check();
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [client]);

  // Each new page: its heading takes the focus, so keyboard and screen-reader users start there.
  // Before paint, not after: a Tab pressed as soon as the page shows must not lose its focus to the heading.
  useLayoutEffect(() => {
    if (location.hash) return;
    const heading = document.querySelector<HTMLElement>("main h1");
    heading?.focus({ preventScroll: false });
    if (flash && flash.path !== location.pathname) setFlash(null);
  }, [location.pathname]);

  function signIn(next: Session) {
    saveSession(next);
    setNotice(null);
    setSession(next);
  }

  function signOut() {
    const wasPortal = session?.kind === "portal";
    clearSession();
    setSession(null);
    setNotice(null);
    if (wasPortal) {
      navigate(paths.signedOut());
      return;
    }
    setFlash({ text: "You are signed out.", path: paths.signIn() });
    navigate(paths.signIn());
  }

  function chooseOrganization(organizationId: string) {
    if (!session) return;
    const next = { ...session, organizationId };
    saveSession(next);
    setSession(next);
  }

  let page;
  if (route.name === "guide") page = <GuidePage hash={location.hash} client={client} />;
  else if (route.name === "portal") page = <PortalPage current={session} onSignedIn={signIn} />;
  else if (route.name === "signed-out") page = session ? <Redirect to={paths.home()} /> : <SignedOutPage notice={notice} />;
  else if (route.name === "sign-in") page = session ? <Redirect to={paths.home()} /> : <SignInPage notice={notice} onSignedIn={signIn} />;
  else if (!session || !client) page = <Redirect to={paths.signIn()} />;
  else if (route.name === "organization") page = session.kind === "operator" ? <OrganizationPage current={session.organizationId} onChoose={chooseOrganization} /> : <Redirect to={paths.webhooks()} />;
  else if (route.name === "not-found") page = <NotFoundPage />;
  else if (route.name === "dead-letters" || session.organizationId) page = <SignedIn route={route} session={session} client={client} flash={(text, path) => setFlash({ text, path })} />;
  else page = <Redirect to={paths.organization()} />;

  const signedIn = session !== null && !["sign-in", "portal", "signed-out"].includes(route.name);
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <div class="brand">
          <Link href={paths.home()}>AgileTune Webhooks</Link>
        </div>
        {signedIn ? (
          <nav aria-label="Main">
            <ul>
              <li>
                <NavLink href={paths.webhooks()} current={["webhooks", "add-webhook", "webhook", "delivery"].includes(route.name)}>
                  Webhooks
                </NavLink>
              </li>
              {session.organizationId ? (
                <li>
                  <NavLink href={paths.activity()} current={route.name === "activity"}>
                    Activity
                  </NavLink>
                </li>
              ) : null}
              {session.kind === "operator" ? (
                <li>
                  <NavLink href={paths.deadLetters()} current={route.name === "dead-letters"}>
                    Dead letters
                  </NavLink>
                </li>
              ) : null}
              <li>
                <NavLink href={paths.guide()} current={route.name === "guide"}>
                  Guide
                </NavLink>
              </li>
            </ul>
          </nav>
        ) : null}
        {signedIn ? (
          <div class="who">
            <span class="who-text">
              {session.kind === "portal" ? "Signed in as " : ""}
              {signedInAs(session)}
              {session.organizationId ? <span class="mono"> · {session.organizationId}</span> : null}
            </span>
            {session.kind === "operator" ? <Link href={paths.organization()}>Change organization</Link> : null}
            <button type="button" class="button button-small" onClick={signOut}>
              Sign out
            </button>
          </div>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>
        {flash && flash.path === location.pathname ? (
          <p role="status" class="message message-ok flash">
            {flash.text}
          </p>
        ) : null}
        {page}
      </main>
    </>
  );
}

function NavLink(props: { href: string; current: boolean; children: string }) {
  return (
    <Link href={props.href} aria-current={props.current ? "page" : undefined}>
      {props.children}
    </Link>
  );
}

function SignedIn(props: { route: Route; session: Session; client: NonNullable<AppContext["client"]>; flash: (text: string, path: string) => void }) {
  const { route, session, client } = props;
  const ctx: AppContext = {
    session,
    client,
    organizationId: session.organizationId ?? "",
    mayChange: mayChange(session),
    flash: (text) => props.flash(text, paths.webhooks()),
  };
  let page;
  switch (route.name) {
    case "home":
      page = <Redirect to={paths.webhooks()} />;
      break;
    case "webhooks":
      page = <WebhooksPage />;
      break;
    case "add-webhook":
      page = ctx.mayChange ? <AddWebhookPage /> : <Redirect to={paths.webhooks()} />;
      break;
    case "activity":
      page = <ActivityPage />;
      break;
    case "webhook":
      page = <WebhookPage key={route.webhookId} webhookId={route.webhookId} />;
      break;
    case "delivery":
      page = <DeliveryPage key={route.deliveryId} webhookId={route.webhookId} deliveryId={route.deliveryId} />;
      break;
    case "dead-letters":
      page = <DeadLettersPage />;
      break;
    default:
      page = <NotFoundPage />;
  }
  return <AppCtx.Provider value={ctx}>{page}</AppCtx.Provider>;
}

function NotFoundPage() {
  useTitle("Page not found");
  return (
    <>
      <h1 tabIndex={-1}>Page not found</h1>
      <p>
        There is no such page. Go to <Link href={paths.webhooks()}>Webhooks</Link>.
      </p>
    </>
  );
}
