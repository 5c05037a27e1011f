import { useEffect, useId, useRef, useState } from "preact/hooks";
import { ApiError, type CreateWebhook, type EventType, type Webhook, type WebhookPatch } from "../api.js";
import { groupEventTypes } from "../events.js";
import { fieldErrors, type FormField } from "../field-errors.js";
import { EndpointSettingsFields, endpointFieldsForCreate, endpointFieldsForPatch, initialEndpointDraft } from "./endpoint-settings.js";
import { Button, ErrorText } from "./feedback.js";

/** A new secret from the browser's CSPRNG, in the form the API generates (`whsec_` + 256 bits). */
function generateSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const base64 = btoa(String.fromCharCode(...bytes));
  return `whsec_${base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

/** `onSubmit` throws the API's error; a 422's details are shown next to their fields. */
type Props = {
  eventTypes: EventType[] | null;
  eventTypesError: unknown;
  submitLabel: string;
  busyLabel: string;
} & ({ mode: "create"; initial?: undefined; onSubmit: (body: CreateWebhook) => Promise<void> } | { mode: "edit"; initial: Webhook; onSubmit: (patch: WebhookPatch) => Promise<void> });

/** The Add Webhook form of the user guide; also the webhook page's settings form. */
export function WebhookForm(props: Props) {
  const id = useId();
  const initial = props.initial;
  const [url, setUrl] = useState(initial?.url ?? "");
  const [contentType, setContentType] = useState<"json" | "form">(initial?.contentType ?? "json");
  const [secret, setSecret] = useState("");
  const [everything, setEverything] = useState(initial?.events.includes("*") ?? false);
  const [events, setEvents] = useState<Set<string>>(new Set(initial?.events.filter((e) => e !== "*") ?? []));
  const [description, setDescription] = useState(initial?.description ?? "");
  const [rateLimit, setRateLimit] = useState(initial?.rateLimitPerSecond != null ? String(initial.rateLimitPerSecond) : "");
  const [ordered, setOrdered] = useState(initial?.ordered ?? false);
  const [endpoint, setEndpoint] = useState(() => initialEndpointDraft(initial));
  // Once saved, typed header values and secrets leave the form: only their hints come back.
  useEffect(() => setEndpoint(initialEndpointDraft(initial)), [initial?.updatedAt]);
  // What the browser will not hand over: a number field holding something that is not a number has the value "".
  const [rateLimitUnreadable, setRateLimitUnreadable] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [errors, setErrors] = useState<Partial<Record<FormField, string[]>>>({});
  const formRef = useRef<HTMLFormElement>(null);

  // After a refused submit, focus goes to the first field with an error.
  useEffect(() => {
    const first = formRef.current?.querySelector<HTMLElement>("[aria-invalid='true']");
    first?.focus();
  }, [errors]);

  const describedBy = (field: FormField, hint?: string) => [hint, errors[field] ? `${id}-${field}-error` : undefined].filter(Boolean).join(" ") || undefined;
  const fieldError = (field: FormField, label: string) =>
    errors[field] ? (
      <p id={`${id}-${field}-error`} class="field-error">
        {label}: {errors[field]!.join("; ")}
      </p>
    ) : null;

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setErrors({});
    if (rateLimitUnreadable) {
      setErrors({ rateLimitPerSecond: ["is not a number"] });
      setBusy(false);
      return;
    }
    const fields = { url: url.trim(), contentType, events: everything ? ["*"] : [...events], description, ordered };
    // Empty means no limit: left out when creating, null (remove it) when editing. Anything
    // else goes as the number it reads as, and the API says what is wrong with it.
    const limit = rateLimit.trim() === "" ? undefined : Number(rateLimit.trim());
    try {
      if (props.mode === "create")
        await props.onSubmit({ ...fields, ...endpointFieldsForCreate(endpoint), ...(secret !== "" && { secret }), ...(limit !== undefined && { rateLimitPerSecond: limit }) });
      else await props.onSubmit({ ...fields, ...endpointFieldsForPatch(endpoint, props.initial), rateLimitPerSecond: limit ?? null });
    } catch (err) {
      setError(err);
      if (err instanceof ApiError && err.status === 422) setErrors(fieldErrors(err.details).byField);
    } finally {
      setBusy(false);
    }
  }

  const other = error instanceof ApiError && error.status === 422 ? fieldErrors(error.details).other : [];
  return (
    <form ref={formRef} class="form" noValidate onSubmit={submit}>
      {error ? (
        <div class="form-errors">
          {error instanceof ApiError && error.status === 422 ? (
            <p role="alert" class="message message-error">
              {props.mode === "create" ? "The webhook was not created" : "The changes were not saved"}:{" "}
              {Object.keys(errors).length > 0 ? "check the fields marked below." : "the request is not valid."}
            </p>
          ) : (
            <ErrorText error={error} prefix={props.mode === "create" ? "The webhook was not created." : "The changes were not saved."} />
          )}
          {other.length > 0 && (
            <ul>
              {other.map((d) => (
                <li key={d.field + d.message}>
                  {d.field}: {d.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : null}

      <div class="field">
        <label for={`${id}-url`}>Payload URL</label>
        <input
          id={`${id}-url`}
          type="url"
          inputMode="url"
          autoComplete="off"
          spellcheck={false}
          placeholder="https://example.com/agiletune-webhook"
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
          aria-invalid={errors.url ? "true" : undefined}
          aria-describedby={describedBy("url", `${id}-url-hint`)}
        />
        <p id={`${id}-url-hint`} class="hint">
          The endpoint that will receive POST requests.
        </p>
        {fieldError("url", "Payload URL")}
      </div>

      <div class="field">
        <label for={`${id}-ct`}>Content type</label>
        <select
          id={`${id}-ct`}
          value={contentType}
          onChange={(e) => setContentType(e.currentTarget.value as "json" | "form")}
          aria-invalid={errors.contentType ? "true" : undefined}
          aria-describedby={describedBy("contentType")}
        >
          <option value="json">JSON (recommended): application/json</option>
          <option value="form">Form: application/x-www-form-urlencoded</option>
        </select>
        {fieldError("contentType", "Content type")}
      </div>

      {props.mode === "create" && (
        <div class="field">
          <label for={`${id}-secret`}>Secret</label>
          <div class="with-button">
            <input
              id={`${id}-secret`}
              type="text"
              class="mono"
              autoComplete="off"
              spellcheck={false}
              value={secret}
              onInput={(e) => setSecret(e.currentTarget.value)}
              aria-invalid={errors.secret ? "true" : undefined}
              aria-describedby={describedBy("secret", `${id}-secret-hint`)}
            />
            <button type="button" class="button" onClick={() => setSecret(generateSecret())}>
              Generate
            </button>
          </div>
          <p id={`${id}-secret-hint`} class="hint">
            Signs every delivery (<code>X-AgileTune-Signature</code>) so you can check it came from AgileTune. Generate one or enter your own (16 to 256 characters); left empty, AgileTune generates
            one. It is shown once, after you create the webhook.
          </p>
          {fieldError("secret", "Secret")}
        </div>
      )}

      <fieldset class="events" aria-invalid={errors.events ? "true" : undefined} aria-describedby={describedBy("events", `${id}-events-hint`)} tabIndex={errors.events ? -1 : undefined}>
        <legend>Events</legend>
        <p id={`${id}-events-hint`} class="hint">
          Select the events you want to subscribe to.
        </p>
        {fieldError("events", "Events")}
        <div class="check">
          <input id={`${id}-all`} type="checkbox" checked={everything} onChange={(e) => setEverything(e.currentTarget.checked)} aria-describedby={`${id}-all-hint`} />
          <label for={`${id}-all`}>Send me everything</label>
          <span id={`${id}-all-hint`} class="hint">
            <code>*</code>: every event, including ones added later.
          </span>
        </div>
        {props.eventTypesError ? <ErrorText error={props.eventTypesError} prefix="The event list could not be loaded." /> : null}
        {props.eventTypes === null && !props.eventTypesError ? (
          <p role="status" class="message message-busy">
            Loading the event list…
          </p>
        ) : null}
        <div class="event-groups">
          {groupEventTypes(props.eventTypes ?? []).map((group) => (
            <fieldset key={group.label} class="event-group" disabled={everything}>
              <legend>{group.label}</legend>
              {group.types.map((t) => (
                <div class="check" key={t.event}>
                  <input
                    id={`${id}-ev-${t.event}`}
                    type="checkbox"
                    value={t.event}
                    checked={everything || events.has(t.event)}
                    onChange={(e) => {
                      const next = new Set(events);
                      if (e.currentTarget.checked) next.add(t.event);
                      else next.delete(t.event);
                      setEvents(next);
                    }}
                    aria-describedby={`${id}-ev-${t.event}-d`}
                  />
                  <label for={`${id}-ev-${t.event}`} class="mono">
                    {t.event}
                  </label>
                  <span id={`${id}-ev-${t.event}-d`} class="hint">
                    {t.description}
                  </span>
                </div>
              ))}
            </fieldset>
          ))}
        </div>
      </fieldset>

      <div class="field">
        <label for={`${id}-desc`}>
          Description <span class="optional">(optional)</span>
        </label>
        <input
          id={`${id}-desc`}
          type="text"
          autoComplete="off"
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
          aria-invalid={errors.description ? "true" : undefined}
          aria-describedby={describedBy("description")}
        />
        {fieldError("description", "Description")}
      </div>

      <div class="field">
        <label for={`${id}-rate`}>
          Rate limit (requests per second) <span class="optional">(optional)</span>
        </label>
        <input
          id={`${id}-rate`}
          type="number"
          inputMode="numeric"
          min={1}
          max={10000}
          step={1}
          autoComplete="off"
          class="narrow"
          value={rateLimit}
          onInput={(e) => {
            setRateLimit(e.currentTarget.value);
            setRateLimitUnreadable(e.currentTarget.validity.badInput);
          }}
          aria-invalid={errors.rateLimitPerSecond ? "true" : undefined}
          aria-describedby={describedBy("rateLimitPerSecond", `${id}-rate-hint`)}
        />
        <p id={`${id}-rate-hint`} class="hint">
          No more requests than this reach your endpoint in any second, however many deliveries are waiting (1 to 10000). Empty: no limit.
        </p>
        {fieldError("rateLimitPerSecond", "Rate limit (requests per second)")}
      </div>

      <div class="field">
        <div class="check">
          <input
            id={`${id}-ordered`}
            type="checkbox"
            checked={ordered}
            onChange={(e) => setOrdered(e.currentTarget.checked)}
            aria-invalid={errors.ordered ? "true" : undefined}
            aria-describedby={describedBy("ordered", `${id}-ordered-hint`)}
          />
          <label for={`${id}-ordered`}>Deliver in order</label>
          <p id={`${id}-ordered-hint`} class="hint">
            Deliveries of the same task (its ordering key) go one at a time, each after the one before it has ended: a failing one holds back the later ones of its key (only that key). Redeliver,
            Recover and dead-letter Replay are sent as asked, outside the order.
          </p>
        </div>
        {fieldError("ordered", "Deliver in order")}
      </div>

      <EndpointSettingsFields id={id} draft={endpoint} onChange={setEndpoint} saved={initial} errors={{ headers: errors.headers, auth: errors.auth }} />

      <div class="actions">
        <Button type="submit" class="button-primary" busy={busy}>
          {busy ? props.busyLabel : props.submitLabel}
        </Button>
      </div>
    </form>
  );
}
