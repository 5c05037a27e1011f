import { useEffect } from "preact/hooks";
import type { Client, EventType } from "../api.js";
import { ErrorText, useTitle } from "../components/feedback.js";
import { VERIFY_SIGNATURE_SNIPPET } from "../components/secret-reveal.js";
import { EVENT_DESCRIPTIONS } from "../guide-events.js";
import { useLoad } from "../use-load.js";
import { VERIFY_ED25519_SNIPPET } from "../snippets.js";

/** The user guide's Webhooks chapter, word for word, so the page can link to its sections. */
export function GuidePage(props: { hash: string; client: Client | null }) {
  useTitle("Webhooks guide");
  const { client } = props;
  const eventTypes = useLoad(async () => (client ? (await client.eventTypes()).items : null), [client]);
  useEffect(() => {
    let id = props.hash.slice(1);
    try {
      id = decodeURIComponent(id);
    } catch {
      // a malformed escape: look the fragment up as written
    }
    const target = id ? document.getElementById(id) : null;
    if (target) {
      target.scrollIntoView();
      target.focus();
    }
  }, [props.hash]);
  return (
    <article class="guide">
      <h1 tabIndex={-1}>Webhooks</h1>
      <p>Webhooks let you receive real-time HTTP callbacks when events occur in AgileTune. Use them to integrate with external services, trigger CI/CD pipelines, or build custom automations.</p>
      <h2 id="setting-up-webhooks" tabIndex={-1}>
        Setting Up Webhooks
      </h2>
      <ul>
        <li>Go to Organization Settings → Webhooks</li>
        <li>Click Add Webhook</li>
        <li>Enter a Payload URL — the endpoint that will receive POST requests</li>
        <li>Choose a Content type (JSON recommended)</li>
        <li>Generate or enter a Secret for signature verification</li>
        <li>Select the events you want to subscribe to</li>
        <li>Click Create Webhook</li>
      </ul>
      <h2 id="available-events" tabIndex={-1}>
        Available Events
      </h2>
      <div class="table-wrap">
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {EVENT_DESCRIPTIONS.map(([event, description]) => (
              <tr key={event}>
                <td class="mono">{event}</td>
                <td>{description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2 id="payload-example" tabIndex={-1}>
        Payload Example
      </h2>
      <p>Each webhook delivery includes a JSON payload with the event type and relevant data:</p>
      <pre class="code" tabIndex={0} role="group" aria-label="Payload example">
        <code>{PAYLOAD_EXAMPLE}</code>
      </pre>
      <h2 id="retry-policy" tabIndex={-1}>
        Retry Policy
      </h2>
      <p>If your endpoint returns a non-2xx status code or times out (30-second limit), AgileTune retries the delivery with exponential backoff:</p>
      <ul>
        <li>1st retry — after 1 minute</li>
        <li>2nd retry — after 5 minutes</li>
        <li>3rd retry — after 30 minutes</li>
        <li>4th retry — after 2 hours</li>
        <li>5th retry — after 12 hours</li>
      </ul>
      <p>After 5 failed attempts, the webhook is marked as failing. You can view delivery logs and manually re-trigger deliveries from the webhook settings page.</p>
      <h2 id="signature-verification" tabIndex={-1}>
        Signature Verification
      </h2>
      <p>
        Every webhook delivery includes an X-AgileTune-Signature header containing an HMAC-SHA256 signature of the payload using your webhook secret. Always verify this signature to ensure the request
        is authentic:
      </p>
      <pre class="code" tabIndex={0} role="group" aria-label="verifySignature">
        <code>{VERIFY_SIGNATURE_SNIPPET}</code>
      </pre>
      <EventSchemas client={client} eventTypes={eventTypes.data} error={eventTypes.error} />
      <h2 id="ed25519-signatures" tabIndex={-1}>
        Ed25519 signatures (v1a)
      </h2>
      <p>
        A webhook with Sign with Ed25519 on also signs each delivery with a private key only AgileTune holds. The <code>webhook-signature</code> header then carries a <code>v1a,…</code> signature
        beside the <code>v1,…</code> ones, over <code>webhook-id</code>, <code>webhook-timestamp</code> and the raw body joined by dots. Check it with the webhook's public key (<code>whpk_…</code>, on
        the webhook's page), so your endpoint keeps no shared secret:
      </p>
      <pre class="code" tabIndex={0} role="group" aria-label="verifyEd25519">
        <code>{VERIFY_ED25519_SNIPPET}</code>
      </pre>
      <p>For 24 hours after the secret is rotated, the old key signs too: accept the delivery when any v1a signature verifies with the key you have.</p>
    </article>
  );
}

/** Beyond the user guide: each event type's `data` schema and an example, from GET /v1/event-types. */
function EventSchemas(props: { client: Client | null; eventTypes: EventType[] | null; error: unknown }) {
  return (
    <>
      <h2 id="event-schemas" tabIndex={-1}>
        Event schemas
      </h2>
      <p>
        Each event's <code>data</code> matches the JSON Schema of its type; fields not listed may be present too. Services that publish events (<code>POST /v1/organizations/:orgId/events</code>) are
        held to the same schemas.
      </p>
      {props.client === null ? <p>Sign in to see each event's schema and an example.</p> : null}
      <ErrorText error={props.error} prefix="The event schemas could not be loaded." />
      {(props.eventTypes ?? []).map((type) => (
        <section key={type.event} aria-labelledby={`schema-${type.event}`}>
          <h3 id={`schema-${type.event}`} class="mono">
            {type.event}
          </h3>
          <p>{type.description}</p>
          <pre class="code" tabIndex={0} role="group" aria-label={`${type.event} schema`}>
            <code>{JSON.stringify(type.schema, null, 2)}</code>
          </pre>
          <pre class="code" tabIndex={0} role="group" aria-label={`${type.event} example`}>
            <code>{JSON.stringify(type.example, null, 2)}</code>
          </pre>
        </section>
      ))}
    </>
  );
}

const PAYLOAD_EXAMPLE = `{
  "event": "task.updated",
  "timestamp": "2026-03-20T12:00:00Z",
  "data": {
    "id": "tsk_abc123",
    "title": "Implement login page",
    "status": "in_progress",
    "assignee": {
      "id": "usr_xyz789",
      "name": "Jane Doe"
    },
    "changes": {
      "status": {
        "from": "todo",
        "to": "in_progress"
      }
    }
  }
}`;
