import type { ComponentChildren } from "preact";
import type { Webhook } from "../api.js";
import { contentTypeLabel, eventsLabel, OUTSIDE_ORDER_NOTE } from "../format.js";
import { ActiveBadge, HealthDetails } from "./badges.js";

/** What the webhook is sent, for a `<dl class="facts">`: its events, content type and whether in order. */
export function SubscriptionFacts({ webhook }: { webhook: Pick<Webhook, "events" | "contentType" | "ordered"> }) {
  return (
    <>
      <div>
        <dt>Events</dt>
        <dd class="mono">{eventsLabel(webhook.events)}</dd>
      </div>
      <div>
        <dt>Content type</dt>
        <dd class="mono">{contentTypeLabel(webhook.contentType)}</dd>
      </div>
      <div>
        <dt>Deliver in order</dt>
        <dd>{webhook.ordered ? "Yes, one at a time per ordering key" : "No"}</dd>
      </div>
    </>
  );
}

/** Where Redeliver or Recover is offered: for an ordered webhook, that they go outside the order. */
export function OutsideOrderNote({ webhook, id }: { webhook: Pick<Webhook, "ordered"> | null; id?: string }) {
  return webhook?.ordered ? (
    <p id={id} class="hint">
      {OUTSIDE_ORDER_NOTE}
    </p>
  ) : null;
}

/** Whether the webhook is active and how healthy it is, for a `<dl class="facts">`; `healthNote` follows the health. */
export function StateFacts({ webhook, healthNote }: { webhook: Webhook; healthNote?: ComponentChildren }) {
  return (
    <>
      <div>
        <dt>State</dt>
        <dd>
          <ActiveBadge active={webhook.active} />
        </dd>
      </div>
      <div>
        <dt>Health</dt>
        <dd>
          <HealthDetails webhook={webhook} />
          {healthNote}
        </dd>
      </div>
    </>
  );
}
