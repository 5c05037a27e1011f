import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Client } from "./api.js";
import type { Session } from "./session.js";

export type AppContext = {
  session: Session;
  client: Client;
  /** The organization whose webhooks are shown (the key's own, or the one the operator chose). */
  organizationId: string;
  /** False for a read-only portal session: the page then offers no control that changes anything. */
  mayChange: boolean;
  /** A message for the next page (after a navigation), e.g. "Webhook deleted". */
  flash: (text: string) => void;
};

export const AppCtx = createContext<AppContext | null>(null);

export function useApp(): AppContext {
  const ctx = useContext(AppCtx);
  if (!ctx) throw new Error("useApp outside a signed-in page");
  return ctx;
}
