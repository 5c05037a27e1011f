import { healthTone, statusLook } from "../format.js";

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

/** A webhook's health, whatever word the API sends (`healthy`, `failing`, `disabled`, …). */
export function HealthBadge({ health, reason }: { health: string; reason?: string | null | undefined }) {
  return (
    <span class="health">
      <span class={`badge tone-${healthTone(health)}`}>{health}</span>
      {reason ? <span class="health-reason"> ({reason})</span> : null}
    </span>
  );
}

export function ActiveBadge({ active }: { active: boolean }) {
  return <span class={`badge ${active ? "tone-ok" : "tone-off"}`}>{active ? "active" : "inactive"}</span>;
}
