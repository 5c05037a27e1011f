import { useEffect, useId, useRef, useState } from "preact/hooks";
import { ApiError, describeError } from "../api.js";
import { useApp } from "../context.js";
import { fromLocalInput, recoverOutcome, toLocalInput } from "../format.js";
import { Button } from "./feedback.js";

/** The form's starting point: a day back, the span of the webhook list's chart. */
const DEFAULT_SINCE_MS = 24 * 3_600_000;

/**
 * Recover (docs/endpoint-health.md): sends again every delivery of the webhook created since a time
 * that failed or was cancelled. A small form under the webhook's actions; `onClose` gives
 * focus back to the button that opened it.
 */
export function RecoverForm(props: { id: string; webhookId: string; onRecovered: () => void; onClose: () => void }) {
  const { client, organizationId } = useApp();
  const id = useId();
  const [since, setSince] = useState(() => toLocalInput(Date.now() - DEFAULT_SINCE_MS));
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const sinceRef = useRef<HTMLInputElement>(null);
  useEffect(() => sinceRef.current?.focus(), []);

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setDone(null);
    setError(null);
    // Empty (or a half-typed time the browser will not give) goes as no `since`: the API says it is required.
    const iso = fromLocalInput(since);
    try {
      const result = await client.recover(organizationId, props.webhookId, iso);
      setDone(recoverOutcome(result.matched, iso!));
      props.onRecovered();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const invalid = error instanceof ApiError && error.status === 422 ? error.details.filter((d) => d.field === "since") : [];
  let problem: string | null = null;
  if (error instanceof ApiError && error.status === 409)
    problem = "Nothing was sent again: the webhook is inactive, and AgileTune would only cancel its deliveries again. Activate it first (the Activate button above), then recover.";
  else if (error && invalid.length === 0) problem = `Nothing was sent again. ${describeError(error)}`;
  else if (invalid.length > 0) problem = "Nothing was sent again: check the time marked below.";

  return (
    <section id={props.id} class="panel recover" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Recover failed deliveries</h2>
      <p>
        Sends again every delivery of this webhook created since the time below that <strong>failed</strong> (it ran out of retries) or was <strong>cancelled</strong>: each with its delivery ID, so
        your endpoint can tell one it already handled, and a fresh set of retries. Use it once your endpoint works again.
      </p>
      <form class="form" noValidate onSubmit={submit}>
        {problem ? (
          <p role="alert" class="message message-error">
            {problem}
          </p>
        ) : null}
        <div class="field">
          <label for={`${id}-since`}>Since</label>
          <input
            ref={sinceRef}
            id={`${id}-since`}
            type="datetime-local"
            value={since}
            onInput={(e) => setSince(e.currentTarget.value)}
            aria-invalid={invalid.length > 0 ? "true" : undefined}
            aria-describedby={[`${id}-since-hint`, invalid.length > 0 ? `${id}-since-error` : ""].filter(Boolean).join(" ")}
          />
          <p id={`${id}-since-hint`} class="hint">
            Deliveries created at or after this time, in your local time; not in the future. It starts at 24 hours ago.
          </p>
          {invalid.length > 0 ? (
            <p id={`${id}-since-error`} class="field-error">
              Since: {invalid.map((d) => d.message).join("; ")}
            </p>
          ) : null}
        </div>
        <div class="actions">
          <Button type="submit" class="button-primary" busy={busy}>
            {busy ? "Recovering…" : "Recover deliveries"}
          </Button>
          <Button onClick={props.onClose}>Close</Button>
        </div>
        <p role="status" class={`message ${busy ? "message-busy" : done ? "message-ok" : "message-empty"}`}>
          {busy ? "Sending them again…" : (done ?? "")}
        </p>
      </form>
    </section>
  );
}
