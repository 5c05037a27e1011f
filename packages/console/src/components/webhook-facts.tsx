import type { ComponentChildren } from "preact";
import type { Webhook } from "../api.js";
import { contentTypeLabel, eventsLabel } from "../format.js";
import { ActiveBadge, HealthDetails } from "./badges.js";

/** What the webhook is sent, for a `<dl class="facts">`: its events and content type. */
export function SubscriptionFacts({ webhook }: { webhook: Pick<Webhook, "events" | "contentType"> }) {
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
    </>
  );
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
