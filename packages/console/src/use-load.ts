import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { Page } from "./api.js";

export type Load<T> = { data: T | null; error: unknown; loading: boolean; reload: () => Promise<void>; setData: (data: T) => void };

/** Loads once per change of `deps`; `reload` loads again keeping what is shown meanwhile. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): Load<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({ data: null, error: null, loading: true });
  const generation = useRef(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await fnRef.current();
      if (mine === generation.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ data: s.data, error, loading: false }));
    }
  }, []);
  useEffect(() => {
    setState({ data: null, error: null, loading: true });
    void reload();
    return () => {
      generation.current++;
    };
  }, deps);
  const setData = useCallback((data: T) => setState({ data, error: null, loading: false }), []);
  return { ...state, reload, setData };
}

type MorePages<T> = { items: T[]; nextCursor: string | null; busy: boolean; error: unknown };

/**
 * A list read through the API's cursor: the first page through `useLoad` (again per change
 * of `deps`), `loadMore` appends the next page after the pages shown.
 */
export function usePagedLoad<T>(fetchPage: (cursor?: string) => Promise<Page<T>>, deps: unknown[]) {
  const [more, setMore] = useState<MorePages<T>>({ items: [], nextCursor: null, busy: false, error: null });
  const first = useLoad(async () => {
    const page = await fetchPage();
    setMore({ items: [], nextCursor: page.nextCursor, busy: false, error: null });
    return page;
  }, deps);
  const items = [...(first.data?.items ?? []), ...more.items];
  async function loadMore() {
    setMore((m) => ({ ...m, busy: true, error: null }));
    try {
      const page = await fetchPage(more.nextCursor!);
      setMore((m) => ({ items: [...m.items, ...page.items], nextCursor: page.nextCursor, busy: false, error: null }));
    } catch (error) {
      setMore((m) => ({ ...m, busy: false, error }));
    }
  }
  return { first, items, more, loadMore };
}
