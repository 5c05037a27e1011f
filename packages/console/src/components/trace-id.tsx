import { useState } from "preact/hooks";

/**
 * An attempt's trace id (the second field of the traceparent it sent, docs/tracing.md), with
 * a button that copies it, to look the trace up in a tracing backend.
 */
export function TraceId({ traceparent, attempt }: { traceparent: string; attempt: number }) {
  const traceId = traceparent.split("-")[1] ?? traceparent;
  const [copied, setCopied] = useState<{ ok: boolean; text: string } | null>(null);
  return (
    <div>
      <dt>Trace id</dt>
      <dd>
        <span class="mono">{traceId}</span>{" "}
        <button
          type="button"
          class="button button-small"
          aria-label={`Copy trace id of attempt ${attempt}`}
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(traceId);
              setCopied({ ok: true, text: "Trace id copied to the clipboard." });
            } catch (err) {
              setCopied({ ok: false, text: `Could not copy (${(err as Error).message}); select the id and copy it instead.` });
            }
          }}
        >
          Copy
        </button>
        <span role="status" class={`message ${copied ? (copied.ok ? "message-ok" : "message-error") : "message-empty"}`}>
          {copied?.text ?? ""}
        </span>
      </dd>
    </div>
  );
}
