import { useEffect, useId, useState } from "preact/hooks";
import { ApiError, type DlqFilter, type ReplayResult } from "../api.js";
import { EventFilterField } from "../components/event-filter.js";
import { ActionStatus, Button, ErrorText, LoadMore, useAction, useTitle } from "../components/feedback.js";
import { useApp } from "../context.js";
import { formatTime } from "../format.js";
import { useLoad, usePagedLoad } from "../use-load.js";

type FilterForm = { organizationId: string; webhookId: string; event: string; from: string; to: string };
const EMPTY: FilterForm = { organizationId: "", webhookId: "", event: "", from: "", to: "" };

/** The form's values as API filters; times are the reader's local time, sent as UTC. */
function toApiFilter(form: FilterForm): DlqFilter {
  const iso = (local: string) => {
    if (!local) return undefined;
    const d = new Date(local);
    return Number.isNaN(d.getTime()) ? local : d.toISOString();
  };
  const filter: DlqFilter = {};
  if (form.organizationId.trim()) filter.organizationId = form.organizationId.trim();
  if (form.webhookId.trim()) filter.webhookId = form.webhookId.trim();
  if (form.event) filter.event = form.event;
  const from = iso(form.from);
  const to = iso(form.to);
  if (from) filter.from = from;
  if (to) filter.to = to;
  return filter;
}

const FIELD_LABELS: Record<keyof FilterForm, string> = { organizationId: "Organization", webhookId: "Webhook", event: "Event", from: "From", to: "To" };

/** Operator only: dead-lettered deliveries with the API's filters, and replay after a dry run. */
export function DeadLettersPage() {
  useTitle("Dead letters");
  const { client, session } = useApp();
  const id = useId();
  const [form, setForm] = useState<FilterForm>(EMPTY);
  const [applied, setApplied] = useState<DlqFilter>({});
  const eventTypes = useLoad(() => client.eventTypes(), []);
  const { first: list, items, more, loadMore } = usePagedLoad((cursor) => client.listDeadLetters(applied, cursor), [JSON.stringify(applied)]);
  const replay = useAction();
  const [dryRun, setDryRun] = useState<{ filter: DlqFilter; result: ReplayResult } | null>(null);
  useEffect(() => setDryRun(null), [JSON.stringify(applied)]);

  if (session.kind !== "operator") {
    return (
      <>
        <h1 tabIndex={-1}>Dead letters</h1>
        <p role="alert" class="message message-error">
          Only the platform operator can see dead letters. Sign in with the operator token.
        </p>
      </>
    );
  }

  const fieldErrors: Partial<Record<keyof FilterForm, string>> = {};
  if (list.error instanceof ApiError && list.error.status === 422) {
    for (const d of list.error.details) {
      const field = d.field.replace(/^query\./, "") as keyof FilterForm;
      if (field in FIELD_LABELS) fieldErrors[field] = `${FIELD_LABELS[field]}: ${d.message}`;
    }
  }
  const input = (field: keyof FilterForm, label: string, type: "text" | "datetime-local", hint?: string) => (
    <div class="field">
      <label for={`${id}-${field}`}>{label}</label>
      {(() => {
        const common = {
          id: `${id}-${field}`,
          autoComplete: "off",
          spellcheck: false,
          value: form[field],
          onInput: (e: Event) => setForm({ ...form, [field]: (e.currentTarget as HTMLInputElement).value }),
          "aria-invalid": fieldErrors[field] ? ("true" as const) : undefined,
          "aria-describedby": [hint ? `${id}-${field}-hint` : "", fieldErrors[field] ? `${id}-${field}-err` : ""].filter(Boolean).join(" ") || undefined,
        };
        return type === "text" ? <input type="text" class="mono" {...common} /> : <input type="datetime-local" {...common} />;
      })()}
      {hint ? (
        <p id={`${id}-${field}-hint`} class="hint">
          {hint}
        </p>
      ) : null}
      {fieldErrors[field] ? (
        <p id={`${id}-${field}-err`} class="field-error">
          {fieldErrors[field]}
        </p>
      ) : null}
    </div>
  );

  return (
    <>
      <h1 tabIndex={-1}>Dead letters</h1>
      <p>
        Deliveries whose retries were exhausted. A replay sends each again with the same delivery id and a fresh retry ladder; one already replayed is not replayed again. For a webhook that delivers
        in order, a replay is sent as asked, outside the order.
      </p>
      <form
        class="filters filters-wide"
        noValidate
        aria-label="Dead-letter filters"
        onSubmit={(event) => {
          event.preventDefault();
          setApplied(toApiFilter(form));
        }}
      >
        {input("organizationId", "Organization", "text")}
        {input("webhookId", "Webhook", "text")}
        <EventFilterField id={`${id}-event`} value={form.event} onChange={(event) => setForm({ ...form, event })} eventTypes={eventTypes.data?.items ?? []} />
        {input("from", "From", "datetime-local", "Dead-lettered at or after (your local time)")}
        {input("to", "To", "datetime-local", "Dead-lettered before (your local time)")}
        <div class="actions">
          <button type="submit" class="button button-primary">
            Apply filters
          </button>
          <button
            type="button"
            class="button"
            onClick={() => {
              setForm(EMPTY);
              setApplied({});
            }}
          >
            Clear filters
          </button>
        </div>
      </form>

      <section class="panel" aria-labelledby={`${id}-replay`}>
        <h2 id={`${id}-replay`}>Replay</h2>
        <p class="muted">
          {Object.keys(applied).length === 0 ? "No filter applied: a replay takes every dead letter not replayed yet." : "The replay takes the dead letters matching the applied filters."}
        </p>
        {dryRun ? (
          <div class="confirm-box">
            <p>
              {dryRun.result.matched === 0
                ? "Dry run: no dead letter would be replayed; nothing matches that has not been replayed already."
                : `Dry run: ${dryRun.result.matched} dead ${dryRun.result.matched === 1 ? "letter" : "letters"} would be replayed.`}
            </p>
            <div class="actions">
              {dryRun.result.matched > 0 ? (
                <Button
                  class="button-danger"
                  busy={replay.state.busy}
                  onClick={() => {
                    const filter = dryRun.filter;
                    void replay.run(
                      "Replaying…",
                      () => client.replayDeadLetters(filter, false),
                      (r) => {
                        setDryRun(null);
                        void list.reload();
                        return `Replayed ${r.replayed} dead ${r.replayed === 1 ? "letter" : "letters"}; each starts a fresh retry ladder.`;
                      },
                    );
                  }}
                >
                  Replay {dryRun.result.matched} dead {dryRun.result.matched === 1 ? "letter" : "letters"}
                </Button>
              ) : null}
              <Button onClick={() => setDryRun(null)}>Cancel</Button>
            </div>
          </div>
        ) : (
          <Button
            busy={replay.state.busy}
            onClick={() => {
              const filter = applied;
              void replay.run(
                "Counting the dead letters a replay would take (dry run)…",
                () => client.replayDeadLetters(filter, true),
                (result) => {
                  setDryRun({ filter, result });
                  return "";
                },
              );
            }}
          >
            Replay…
          </Button>
        )}
        <ActionStatus state={replay.state} />
      </section>

      {list.loading && !list.data ? (
        <p role="status" class="message message-busy">
          Loading dead letters…
        </p>
      ) : null}
      {Object.keys(fieldErrors).length > 0 ? (
        <p role="alert" class="message message-error">
          The dead letters could not be loaded: a filter is not valid (see the field marked).
        </p>
      ) : (
        <ErrorText error={list.error} prefix="The dead letters could not be loaded." />
      )}
      {list.data && items.length === 0 ? <p class="empty-line">No dead letters{Object.keys(applied).length ? " match these filters" : ""}.</p> : null}
      {items.length > 0 ? (
        <div class="table-wrap">
          <table class="table responsive">
            <caption class="sr-only">Dead letters, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Dead-lettered</th>
                <th scope="col">Organization</th>
                <th scope="col">Webhook</th>
                <th scope="col">Event</th>
                <th scope="col">Delivery</th>
                <th scope="col">Attempt</th>
                <th scope="col">Last error</th>
                <th scope="col">Replayed</th>
              </tr>
            </thead>
            <tbody>
              {items.map((dl) => (
                <tr key={dl.id}>
                  <td data-label="Dead-lettered">
                    <time dateTime={dl.deadLetteredAt}>{formatTime(dl.deadLetteredAt)}</time>
                  </td>
                  <IdCell label="Organization">{dl.organizationId}</IdCell>
                  <IdCell label="Webhook">{dl.webhookId}</IdCell>
                  <IdCell label="Event" nowrap>
                    {dl.event}
                  </IdCell>
                  <IdCell label="Delivery">{dl.deliveryId}</IdCell>
                  <td data-label="Attempt">{dl.attempt}</td>
                  <td data-label="Last error">{dl.lastError}</td>
                  <td data-label="Replayed">{dl.replayedAt ? `${formatTime(dl.replayedAt)} (${dl.replayCount}×)` : dl.replayCount > 0 ? `not since (${dl.replayCount}× before)` : "no"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <LoadMore nextCursor={more.nextCursor} busy={more.busy} error={more.error} onLoad={loadMore} errorPrefix="More dead letters could not be loaded." />
    </>
  );
}

/** A cell holding an id or event name, in monospace; `data-label` names it where the table stacks. */
function IdCell(props: { label: string; nowrap?: boolean; children: string }) {
  return (
    <td data-label={props.label} class={props.nowrap ? "mono nowrap" : "mono"}>
      {props.children}
    </td>
  );
}
