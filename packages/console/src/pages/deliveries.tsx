import { useCallback, useEffect, useId, useRef, useState } from "preact/hooks";
import { describeError, type DeliverySummary, type Webhook } from "../api.js";
import { StatusBadge } from "../components/badges.js";
import { EventFilterField } from "../components/event-filter.js";
import { Button, ErrorText, LoadMore } from "../components/feedback.js";
import { useApp } from "../context.js";
import { DELIVERY_STATUSES, type DeliveryStatus, formatTime, isUnsettled, relativeTime } from "../format.js";
import { Link } from "../router.js";
import { paths } from "../routes.js";
import { useLoad } from "../use-load.js";

const PAGE_SIZE = 25;
/** Refresh while a shown delivery is still moving (pending, retrying, parked) or a redelivery is awaited. */
export const FAST_REFRESH_MS = 2_000;
/** Otherwise, new deliveries still show up without a click. */
const SLOW_REFRESH_MS = 15_000;
/** A redelivery is watched this long for its attempt. */
const WATCH_MS = 120_000;
/**
 * After a delivery settles, refresh fast this long still: the dispatcher writes the
 * webhook's health beside the delivery's status, not before it, and on a busy machine
 * seconds later, so the webhook (reloaded with each refresh) catches up soon after.
 */
const SETTLE_FOLLOW_MS = 10_000;

type RowNote = { text: string; tone: "busy" | "ok" | "error" };

/**
 * The webhook's delivery log, newest first: filters, "Load more" through the API's cursor,
 * and a refresh that merges the first page into what is shown (new deliveries on top,
 * changed ones updated in place), so pages already loaded stay.
 */
export function RecentDeliveries(props: {
  webhook: Webhook;
  version: number;
  /** After each refresh (and a first load that found a delivery settled since): the page reloads the webhook, its health included. */
  onRefreshed: () => void;
}) {
  const { client, organizationId, mayChange } = useApp();
  const id = useId();
  const webhookId = props.webhook.id;
  const [status, setStatus] = useState<DeliveryStatus | "">("");
  const [event, setEvent] = useState("");
  const [items, setItems] = useState<DeliverySummary[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [state, setState] = useState<{ loading: boolean; error: unknown; moreBusy: boolean; moreError: unknown; refreshedAt: number | null }>({
    loading: true,
    error: null,
    moreBusy: false,
    moreError: null,
    refreshedAt: null,
  });
  const [notes, setNotes] = useState<Record<string, RowNote>>({});
  // Redeliveries awaiting their attempt: delivery id → attempts before, and until when to wait.
  const watched = useRef(new Map<string, { before: number; until: number }>());
  // When a delivery shown was last seen to settle (SETTLE_FOLLOW_MS).
  const settledAt = useRef(0);
  const eventTypes = useLoad(() => client.eventTypes(), []);
  const itemsRef = useRef(items);
  itemsRef.current = items;

  const filters = { status: status || undefined, event: event || undefined };

  const loadFirst = useCallback(
    async (mode: "replace" | "merge") => {
      if (mode === "replace") setState((s) => ({ ...s, loading: true, error: null }));
      try {
        const page = await client.listDeliveries(organizationId, webhookId, { ...filters, limit: PAGE_SIZE });
        const before = itemsRef.current;
        if (mode === "replace") {
          setItems(page.items);
          setNextCursor(page.nextCursor);
        } else {
          const fresh = new Map(page.items.map((d) => [d.id, d]));
          const known = new Set(before.map((d) => d.id));
          const added = page.items.filter((d) => !known.has(d.id));
          setItems([...added, ...before.map((d) => fresh.get(d.id) ?? d)]);
          if (before.length === 0) setNextCursor(page.nextCursor);
        }
        // A delivery that stopped moving may have changed the webhook's health: one shown
        // before that has settled since, or (on a refresh) a new one that arrives settled,
        // such as a delivery that ran out of retries between two looks.
        const settledNow = page.items.some((d) => {
          if (isUnsettled(d.status)) return false;
          const old = before.find((b) => b.id === d.id);
          return old === undefined ? mode === "merge" : old.status !== d.status;
        });
        const now = Date.now();
        if (settledNow) settledAt.current = now;
        const nextNotes: Record<string, RowNote> = {};
        for (const [deliveryId, watch] of watched.current) {
          const d = page.items.find((x) => x.id === deliveryId);
          if (d && d.attemptCount > watch.before && !isUnsettled(d.status)) {
            watched.current.delete(deliveryId);
            nextNotes[deliveryId] = { tone: d.status === "succeeded" ? "ok" : "error", text: `New attempt: ${d.status}${d.lastResponseStatus !== null ? `, HTTP ${d.lastResponseStatus}` : ""}.` };
            settledAt.current = now;
          } else if (now > watch.until) {
            watched.current.delete(deliveryId);
            nextNotes[deliveryId] = { tone: "error", text: "No new attempt has been logged yet; refresh later." };
          }
        }
        if (Object.keys(nextNotes).length) setNotes((n) => ({ ...n, ...nextNotes }));
        if (mode === "merge" || settledAt.current === now) props.onRefreshed();
        setState((s) => ({ ...s, loading: false, error: null, refreshedAt: now }));
      } catch (error) {
        setState((s) => ({ ...s, loading: false, error }));
      }
    },
    [client, organizationId, webhookId, status, event],
  );

  // A new filter (or a test event sent from the page) starts over from the first page.
  useEffect(() => {
    void loadFirst("replace");
  }, [loadFirst, props.version]);

  const inProgress = items.some((d) => isUnsettled(d.status)) || watched.current.size > 0;
  const moving = inProgress || Date.now() - settledAt.current < SETTLE_FOLLOW_MS;
  useEffect(() => {
    if (state.loading) return;
    const timer = window.setTimeout(
      () => {
        if (document.visibilityState === "visible") void loadFirst("merge");
      },
      moving ? FAST_REFRESH_MS : SLOW_REFRESH_MS,
    );
    return () => window.clearTimeout(timer);
  }, [state.loading, state.refreshedAt, moving, loadFirst]);

  async function loadMore() {
    if (!nextCursor) return;
    setState((s) => ({ ...s, moreBusy: true, moreError: null }));
    try {
      const page = await client.listDeliveries(organizationId, webhookId, { ...filters, limit: PAGE_SIZE, cursor: nextCursor });
      setItems((current) => [...current, ...page.items.filter((d) => !current.some((c) => c.id === d.id))]);
      setNextCursor(page.nextCursor);
      setState((s) => ({ ...s, moreBusy: false }));
    } catch (moreError) {
      setState((s) => ({ ...s, moreBusy: false, moreError }));
    }
  }

  async function redeliver(d: DeliverySummary) {
    setNotes((n) => ({ ...n, [d.id]: { tone: "busy", text: "Queuing a redelivery…" } }));
    try {
      await client.redeliver(organizationId, webhookId, d.id);
      watched.current.set(d.id, { before: d.attemptCount, until: Date.now() + WATCH_MS });
      setNotes((n) => ({ ...n, [d.id]: { tone: "busy", text: "Redelivery queued; waiting for the new attempt…" } }));
      setState((s) => ({ ...s, refreshedAt: Date.now() }));
    } catch (error) {
      setNotes((n) => ({ ...n, [d.id]: { tone: "error", text: `Not redelivered. ${describeError(error)}` } }));
    }
  }

  const anyFilter = status !== "" || event !== "";
  return (
    <section class="deliveries" aria-labelledby={`${id}-title`}>
      <div class="page-head">
        <h2 id={`${id}-title`}>Recent Deliveries</h2>
        <Button onClick={() => void loadFirst("merge")} busy={state.loading}>
          Refresh
        </Button>
      </div>
      <div class="filters">
        <div class="field">
          <label for={`${id}-status`}>Status</label>
          <select id={`${id}-status`} value={status} onChange={(e) => setStatus(e.currentTarget.value as DeliveryStatus | "")}>
            <option value="">All statuses</option>
            {DELIVERY_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <EventFilterField id={`${id}-event`} value={event} onChange={setEvent} eventTypes={eventTypes.data?.items ?? []} />
      </div>
      <p role="status" class="message message-muted">
        {state.loading && items.length === 0 ? "Loading deliveries…" : inProgress ? "Refreshing every 2 seconds while deliveries are in progress." : ""}
      </p>
      <ErrorText error={state.error} prefix="The deliveries could not be loaded." />
      {!state.loading && !state.error && items.length === 0 ? (
        <p class="empty-line">{anyFilter ? "No deliveries match these filters." : "No deliveries yet. Send a test event, or wait for the events you subscribed to."}</p>
      ) : null}
      {items.length > 0 ? (
        <div class="table-wrap">
          <table class="table responsive">
            <caption class="sr-only">Recent Deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Event</th>
                <th scope="col">Delivery</th>
                <th scope="col">Time</th>
                <th scope="col">Attempts</th>
                <th scope="col">Response</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={d.id}>
                  <td data-label="Status">
                    <div>
                      <StatusBadge status={d.status} />
                      {d.status === "retrying" && d.nextAttemptAt ? (
                        <span class="next-attempt">
                          {" "}
                          next attempt <time dateTime={d.nextAttemptAt}>{formatTime(d.nextAttemptAt)}</time> ({relativeTime(d.nextAttemptAt)})
                        </span>
                      ) : null}
                      {d.statusReason ? <span class="reason"> {d.statusReason}</span> : null}
                    </div>
                  </td>
                  <td data-label="Event" class="mono nowrap">
                    {d.event}
                  </td>
                  <td data-label="Delivery" class="mono">
                    <Link href={paths.delivery(webhookId, d.id)} id={`${id}-${d.id}`}>
                      {d.id}
                    </Link>
                  </td>
                  <td data-label="Time">
                    <time dateTime={d.createdAt}>{formatTime(d.createdAt)}</time>
                  </td>
                  <td data-label="Attempts">{d.attemptCount}</td>
                  <td data-label="Response">{d.lastResponseStatus ?? "—"}</td>
                  <td data-label="Actions">
                    <div>
                      {mayChange ? (
                        <Button busy={notes[d.id]?.tone === "busy"} onClick={() => void redeliver(d)} aria-describedby={`${id}-${d.id}`}>
                          Redeliver
                        </Button>
                      ) : null}
                      <span role="status" class={`row-note note-${notes[d.id]?.tone ?? "none"}`}>
                        {notes[d.id]?.text ?? ""}
                      </span>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <LoadMore nextCursor={nextCursor} busy={state.moreBusy} error={state.moreError} onLoad={loadMore} errorPrefix="More deliveries could not be loaded." />
    </section>
  );
}
