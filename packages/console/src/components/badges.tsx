import type { Webhook } from "../api.js";
import { formatTime, healthReasonText, healthTone, statusLook } from "../format.js";

/** A delivery status: icon (decorative) and the status word. */
export function StatusBadge({ status }: { status: string }) {
  const look = statusLook(status);
  return (
    <span class={`badge tone-${look.tone}`}>
      <span aria-hidden="true" class="badge-icon">
        {look.icon}
      </span>
      {status}
    </span>
  );
}

/**
 * A webhook's health: the badge (whatever word the API sends: `healthy`, `failing`,
 * `disabled`, …), then, each on its own line, why in words and since when it has been failing.
 */
export function HealthDetails({ webhook }: { webhook: Pick<Webhook, "health" | "healthReason" | "failingSince"> }) {
  return (
    <>
      <span class={`badge tone-${healthTone(webhook.health)}`}>{webhook.health}</span>
      {webhook.healthReason ? <span class="health-line">Reason: {healthReasonText(webhook.healthReason)}</span> : null}
      {webhook.failingSince ? (
        <span class="health-line">
          Failing since <time dateTime={webhook.failingSince}>{formatTime(webhook.failingSince)}</time>
        </span>
      ) : null}
    </>
  );
}

export function ActiveBadge({ active }: { active: boolean }) {
  return <span class={`badge ${active ? "tone-ok" : "tone-off"}`}>{active ? "active" : "inactive"}</span>;
}
