import type { ButtonHTMLAttributes, ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { describeError } from "../api.js";

/** An error in words, announced at once. */
export function ErrorText({ error, prefix }: { error: unknown; prefix?: string }) {
  if (!error) return null;
  return (
    <p role="alert" class="message message-error">
      {prefix ? `${prefix} ` : ""}
      {describeError(error)}
    </p>
  );
}

/**
 * Where an action says how it is going: a polite live region that is always in the page
 * (so screen readers announce changes), plus an alert for a failure.
 */
export function ActionStatus({ state }: { state: ActionState }) {
  return (
    <>
      <p role="status" class={`message ${state.busy ? "message-busy" : state.done ? "message-ok" : "message-empty"}`}>
        {state.busy ? state.busyText : (state.done ?? "")}
      </p>
      <ErrorText error={state.error} />
    </>
  );
}

export type ActionState = { busy: boolean; busyText: string; done: string | null; error: unknown };

/** One action's progress and outcome: `run` shows `busyText`, then the outcome or the error. */
export function useAction() {
  const [state, setState] = useState<ActionState>({ busy: false, busyText: "", done: null, error: null });
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  const run = useCallback(async <T,>(busyText: string, fn: () => Promise<T>, outcome: (result: T) => string): Promise<T | undefined> => {
    setState({ busy: true, busyText, done: null, error: null });
    try {
      const result = await fn();
      if (mounted.current) setState({ busy: false, busyText: "", done: outcome(result), error: null });
      return result;
    } catch (error) {
      if (mounted.current) setState({ busy: false, busyText: "", done: null, error });
      return undefined;
    }
  }, []);
  const set = useCallback((patch: Partial<ActionState>) => setState((s) => ({ ...s, ...patch })), []);
  return { state, run, set };
}

type ButtonProps = Omit<ButtonHTMLAttributes<HTMLButtonElement>, "onClick"> & { busy?: boolean; onClick?: () => void; children?: ComponentChildren };

/**
 * A button that stays focusable while its action runs (aria-disabled, clicks ignored):
 * a disabled button would drop keyboard focus to the page's start.
 */
export function Button({ busy, onClick, class: className, ...rest }: ButtonProps) {
  return (
    <button
      type="button"
      {...rest}
      class={`button ${className ?? ""}`}
      aria-disabled={busy ? "true" : undefined}
      aria-busy={busy ? "true" : undefined}
      onClick={(event) => {
        if (busy) {
          event.preventDefault();
          return;
        }
        onClick?.();
      }}
    />
  );
}

/** Sets the document title for the page shown. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · AgileTune Webhooks`;
  }, [title]);
}

/** "Load more" while the list has a next page, and why the last one failed to load. */
export function LoadMore(props: { nextCursor: string | null; busy: boolean; error: unknown; onLoad: () => Promise<void>; errorPrefix: string }) {
  return (
    <>
      {props.nextCursor ? (
        <div class="actions">
          <Button busy={props.busy} onClick={() => void props.onLoad()}>
            {props.busy ? "Loading…" : "Load more"}
          </Button>
        </div>
      ) : null}
      <ErrorText error={props.error} prefix={props.errorPrefix} />
    </>
  );
}
