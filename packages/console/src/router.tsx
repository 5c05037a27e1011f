import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";

// A small history router: the page's paths live under /ui/ and the admin API answers
// every one of them with the same index.html.

const listeners = new Set<() => void>();

export type Location = { pathname: string; search: string; hash: string };

function current(): Location {
  return { pathname: window.location.pathname, search: window.location.search, hash: window.location.hash };
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  for (const listener of listeners) listener();
}

export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = () => setLocation(current());
    listeners.add(update);
    window.addEventListener("popstate", update);
    // A child's effect (a Redirect) may have navigated before this subscription existed.
    update();
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return location;
}

type LinkProps = { href: string; children?: ComponentChildren; class?: string; id?: string; "aria-current"?: "page" };

/** An ordinary link (opens in a new tab with a modifier key) that navigates in place otherwise. */
export function Link({ href, ...rest }: LinkProps) {
  return (
    <a
      {...rest}
      href={href}
      onClick={(event) => {
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(href);
      }}
    />
  );
}

/** Replaces the current entry once rendered (a guard's redirect). */
export function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}
