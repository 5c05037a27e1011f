import { useState } from "preact/hooks";
import type { DeliverySummary } from "../api.js";
import { useApp } from "../context.js";
import { formatTime } from "../format.js";
import { Link } from "../router.js";
import { paths } from "../routes.js";
import { StatusBadge } from "./badges.js";
import { Button, ErrorText } from "./feedback.js";

/** What a delivery id can look like (the API refuses other ids as a delivery id, but not as an event id). */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/**
 * "Find a delivery": one box for an event id or a delivery id, searched as both across the
 * organization's webhooks; each match links to its delivery.
 */
export function FindDelivery() {
  const { client, organizationId } = useApp();
  const [text, setText] = useState("");
  const [state, setState] = useState<{ busy: boolean; error: unknown; searched: string | null; found: DeliverySummary[] }>({ busy: false, error: null, searched: null, found: [] });

  async function find(e: Event) {
    e.preventDefault();
    const id = text.trim();
    if (!id) return;
    setState({ busy: true, error: null, searched: null, found: [] });
    try {
      const [byEvent, byDelivery] = await Promise.all([
        client.searchDeliveries(organizationId, { eventId: id }),
        ID_PATTERN.test(id) ? client.searchDeliveries(organizationId, { deliveryId: id }) : Promise.resolve({ items: [] }),
      ]);
      const found = [...byDelivery.items, ...byEvent.items.filter((d) => !byDelivery.items.some((x) => x.id === d.id))];
      setState({ busy: false, error: null, searched: id, found });
    } catch (error) {
      setState({ busy: false, error, searched: null, found: [] });
    }
  }

  return (
    <section class="panel find-delivery" aria-labelledby="find-title">
      <h2 id="find-title">Find a delivery</h2>
      <form class="filters" onSubmit={(e) => void find(e)}>
        <div class="field">
          <label for="find-id">Event id or delivery id</label>
          <input id="find-id" type="text" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} autocomplete="off" spellcheck={false} />
        </div>
        <div class="actions">
          <Button type="submit" busy={state.busy}>
            Find
          </Button>
        </div>
      </form>
      {state.error ? <ErrorText error={state.error} prefix="The search failed." /> : null}
      {state.searched !== null ? (
        <div role="status">
          {state.found.length === 0 ? (
            <p>
              No delivery found for <span class="mono">{state.searched}</span>.
            </p>
          ) : (
            <ul class="found" aria-label="Deliveries found">
              {state.found.map((d) => (
                <li key={d.id}>
                  <StatusBadge status={d.status} />{" "}
                  <Link href={paths.delivery(d.webhookId, d.id)} class="mono">
                    {d.id}
                  </Link>{" "}
                  <span class="mono">{d.event}</span> to webhook <Link href={paths.webhook(d.webhookId)}>{d.webhookId}</Link>, {formatTime(d.createdAt)}
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : null}
    </section>
  );
}
