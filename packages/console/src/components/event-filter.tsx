import type { EventType } from "../api.js";

/** The Event filter: every event, the test event (ping), or one of the API's event types. */
export function EventFilterField(props: { id: string; value: string; onChange: (event: string) => void; eventTypes: EventType[] }) {
  return (
    <div class="field">
      <label for={props.id}>Event</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">All events</option>
        <option value="ping">ping (test event)</option>
        {props.eventTypes.map((t) => (
          <option key={t.event} value={t.event}>
            {t.event}
          </option>
        ))}
      </select>
    </div>
  );
}
