import type { AuditEntry } from "../api.js";
import { Button, ErrorText, LoadMore, useTitle } from "../components/feedback.js";
import { useApp } from "../context.js";
import { formatTime } from "../format.js";
import { usePagedLoad } from "../use-load.js";

/** Each audit action in words. */
const ACTIONS: Record<AuditEntry["action"], string> = {
  "webhook.created": "Created the webhook",
  "webhook.updated": "Changed the webhook",
  "webhook.deleted": "Deleted the webhook",
  "webhook.secret_rotated": "Rotated the webhook's secret",
  "webhook.pinged": "Sent a test event",
  "webhook.recovered": "Recovered failed deliveries",
  "delivery.redelivered": "Redelivered a delivery",
  "dead_letters.replayed": "Replayed dead letters",
  "api_key.created": "Created an API key",
  "api_key.revoked": "Revoked an API key",
  "portal_session.created": "Opened a portal session",
  "portal_session.ended": "Ended a portal session",
};

function actorText(actor: AuditEntry["actor"]): string {
  if (actor.type === "operator") return "AgileTune operator";
  if (actor.type === "api-key") return `API key ${actor.id}`;
  return actor.name ? `${actor.name} (user ${actor.id})` : `User ${actor.id}`;
}

/** A value as text: strings as they are, anything else as JSON. Never markup. */
function valueText(value: unknown): string {
  if (value === undefined) return "—";
  if (value === "") return "(empty)";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function Changes({ changes }: { changes: AuditEntry["changes"] }) {
  const fields = Object.entries(changes ?? {});
  if (fields.length === 0) return <>—</>;
  return (
    <ul class="changes">
      {fields.map(([field, change]) => (
        <li key={field}>
          <span class="mono">{field}</span>: {"from" in change ? `${valueText(change.from)} → ` : ""}
          {valueText(change.to)}
        </li>
      ))}
    </ul>
  );
}

/** The organization's audit log: who changed what, newest first ("Activity"). */
export function ActivityPage() {
  useTitle("Activity");
  const { client, organizationId } = useApp();
  const { first, items, more, loadMore } = usePagedLoad((cursor) => client.auditLog(organizationId, cursor), [organizationId]);
  return (
    <>
      <h1 tabIndex={-1}>Activity</h1>
      <p class="muted">
        Who changed what in organization <span class="mono">{organizationId}</span>, newest first. Secrets are never shown.
      </p>
      {first.loading && !first.data ? (
        <p role="status" class="message message-busy">
          Loading the activity…
        </p>
      ) : null}
      {first.error ? (
        <div>
          <ErrorText error={first.error} prefix="The activity could not be loaded." />
          <Button onClick={() => void first.reload()}>Try again</Button>
        </div>
      ) : null}
      {first.data && items.length === 0 ? <p>Nothing has been changed yet.</p> : null}
      {items.length > 0 ? (
        <div class="table-wrap">
          <table class="table responsive">
            <caption class="sr-only">Activity, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Target</th>
                <th scope="col">Changes</th>
              </tr>
            </thead>
            <tbody>
              {items.map((entry) => (
                <tr key={entry.id}>
                  <td data-label="Time">
                    <time dateTime={entry.at}>{formatTime(entry.at)}</time>
                  </td>
                  <td data-label="Who">{actorText(entry.actor)}</td>
                  <td data-label="What">{ACTIONS[entry.action]}</td>
                  <td data-label="Target" class="mono">
                    {entry.target.id}
                  </td>
                  <td data-label="Changes">
                    <Changes changes={entry.changes} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <LoadMore nextCursor={more.nextCursor} busy={more.busy} error={more.error} onLoad={loadMore} errorPrefix="More activity could not be loaded." />
    </>
  );
}
