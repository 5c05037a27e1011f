/** The page's routes, all under /ui/. Ids in paths are ours; the token never is. */
const BASE = "/ui";

export type Route =
  | { name: "home" }
  | { name: "sign-in" }
  | { name: "organization" }
  | { name: "webhooks" }
  | { name: "add-webhook" }
  | { name: "webhook"; webhookId: string }
  | { name: "delivery"; webhookId: string; deliveryId: string }
  | { name: "dead-letters" }
  | { name: "guide" }
  | { name: "activity" }
  | { name: "portal" }
  | { name: "signed-out" }
  | { name: "not-found" };

export function matchRoute(pathname: string): Route {
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = path
    .split("/")
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  const [a, b, c, d] = parts;
  if (parts.length === 0) return { name: "home" };
  if (parts.length === 1 && a === "sign-in") return { name: "sign-in" };
  if (parts.length === 1 && a === "organization") return { name: "organization" };
  if (parts.length === 1 && a === "dead-letters") return { name: "dead-letters" };
  if (parts.length === 1 && a === "guide") return { name: "guide" };
  if (parts.length === 1 && a === "activity") return { name: "activity" };
  if (parts.length === 1 && a === "portal") return { name: "portal" };
  if (parts.length === 1 && a === "signed-out") return { name: "signed-out" };
  if (a === "webhooks") {
    if (parts.length === 1) return { name: "webhooks" };
    if (parts.length === 2 && b === "new") return { name: "add-webhook" };
    if (parts.length === 2) return { name: "webhook", webhookId: b! };
    if (parts.length === 4 && c === "deliveries") return { name: "delivery", webhookId: b!, deliveryId: d! };
  }
  return { name: "not-found" };
}

export const paths = {
  home: () => `${BASE}/`,
  signIn: () => `${BASE}/sign-in`,
  organization: () => `${BASE}/organization`,
  webhooks: () => `${BASE}/webhooks`,
  addWebhook: () => `${BASE}/webhooks/new`,
  webhook: (id: string) => `${BASE}/webhooks/${encodeURIComponent(id)}`,
  delivery: (webhookId: string, deliveryId: string) => `${BASE}/webhooks/${encodeURIComponent(webhookId)}/deliveries/${encodeURIComponent(deliveryId)}`,
  deadLetters: () => `${BASE}/dead-letters`,
  activity: () => `${BASE}/activity`,
  /** Where a portal link lands; its secret is in the fragment, never sent to the server. */
  portal: () => `${BASE}/portal`,
  signedOut: () => `${BASE}/signed-out`,
  guide: (anchor?: string) => `${BASE}/guide${anchor ? `#${anchor}` : ""}`,
};
