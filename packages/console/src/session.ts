// The signed-in token lives in this tab's sessionStorage only: gone when the tab closes,
// never in localStorage, a cookie or a URL.

export type Session = { token: string; kind: "operator" | "organization"; organizationId: string | null };

const KEY = "agiletune.console.session";

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<Session>;
    if (typeof parsed.token !== "string" || (parsed.kind !== "operator" && parsed.kind !== "organization")) return null;
    return { token: parsed.token, kind: parsed.kind, organizationId: typeof parsed.organizationId === "string" ? parsed.organizationId : null };
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}
