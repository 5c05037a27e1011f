// The signed-in token lives in this tab's sessionStorage only: gone when the tab closes,
// never in localStorage, a cookie or a URL; it goes to the API as a bearer header. Framed
// by another site (AgileTune's settings), a browser that blocks third-party storage
// (Chromium does, as it blocks third-party cookies) refuses sessionStorage too: the token
// is then held in this page's memory, which lasts while the frame is not reloaded; AgileTune
// makes a fresh link each time it shows the frame. Cookies would fare no better: framed,
// they need SameSite=None; Secure, which plain-http loopback cannot set, and are blocked
// by the same setting.

/** A portal session's user as AgileTune named them, and whether the session may change anything. */
type PortalIdentity = { user: { id: string; name?: string; email?: string }; readOnly: boolean; expiresAt: string };

export type Session = { token: string; kind: "operator" | "organization" | "portal"; organizationId: string | null; portal?: PortalIdentity };

const KEY = "agiletune.console.session";

/** Where the session is kept when the tab's storage is refused (a third-party frame). */
let inMemory: string | null = null;

/** sessionStorage, or null where reading it throws ("Access is denied for this document"). */
function tabStorage(): Storage | null {
  try {
    const storage = window.sessionStorage;
    storage.getItem(KEY);
    return storage;
  } catch {
    return null;
  }
}

function portalIdentity(value: unknown): PortalIdentity | undefined {
  const p = value as Partial<PortalIdentity> | undefined;
  if (typeof p?.user?.id !== "string" || typeof p.readOnly !== "boolean" || typeof p.expiresAt !== "string") return undefined;
  return { user: p.user, readOnly: p.readOnly, expiresAt: p.expiresAt };
}

export function loadSession(): Session | null {
  try {
    const storage = tabStorage();
    const raw = storage ? storage.getItem(KEY) : inMemory;
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<Session>;
    if (typeof parsed.token !== "string" || (parsed.kind !== "operator" && parsed.kind !== "organization" && parsed.kind !== "portal")) return null;
    const organizationId = typeof parsed.organizationId === "string" ? parsed.organizationId : null;
    if (parsed.kind !== "portal") return { token: parsed.token, kind: parsed.kind, organizationId };
    const portal = portalIdentity(parsed.portal);
    return portal && organizationId ? { token: parsed.token, kind: "portal", organizationId, portal } : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  const storage = tabStorage();
  if (storage) storage.setItem(KEY, JSON.stringify(session));
  else inMemory = JSON.stringify(session);
}

export function clearSession(): void {
  tabStorage()?.removeItem(KEY);
  inMemory = null;
}

/** What the page may offer: a read-only portal session gets no control that changes anything. */
export function mayChange(session: Session): boolean {
  return !session.portal?.readOnly;
}

/** Who is signed in, in words for the header. */
export function signedInAs(session: Session): string {
  if (session.kind === "operator") return "Operator";
  if (session.kind === "organization") return "Organization API key";
  const user = session.portal!.user;
  return `${user.name ?? user.id}${session.portal!.readOnly ? " (read-only)" : ""}`;
}
