import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";

/**
 * A modal confirmation on the native <dialog>: focus stays inside, Escape cancels, and
 * focus starts on "Cancel" so a stray Enter destroys nothing.
 */
export function ConfirmDialog(props: { title: string; children: ComponentChildren; confirmLabel: string; danger?: boolean; onConfirm: () => void; onCancel: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const bodyId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement as HTMLElement | null;
    if (!dialog.open) dialog.showModal();
    cancelRef.current?.focus();
    return () => {
      if (dialog.open) dialog.close();
      // After the dialog has left the page: while it is still modal the rest is inert and refuses focus.
      window.setTimeout(() => {
        if (opener?.isConnected) opener.focus();
      }, 0);
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onCancel={(event) => {
        event.preventDefault();
        props.onCancel();
      }}
    >
      <h2 id={titleId}>{props.title}</h2>
      <div id={bodyId}>{props.children}</div>
      <div class="actions">
        <button type="button" class={`button ${props.danger ? "button-danger" : "button-primary"}`} onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
        <button type="button" class="button" ref={cancelRef} onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
