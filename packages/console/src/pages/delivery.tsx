import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, type Attempt, type Delivery } from "../api.js";
import { StatusBadge } from "../components/badges.js";
import { TraceId } from "../components/trace-id.js";
import { ActionStatus, Button, ErrorText, useAction, useTitle } from "../components/feedback.js";
import { prettyBody } from "../body.js";
import { useApp } from "../context.js";
import { formatDuration, formatTime, isUnsettled, relativeTime } from "../format.js";
import { Link } from "../router.js";
import { paths } from "../routes.js";
import { useLoad } from "../use-load.js";
import { FAST_REFRESH_MS } from "./deliveries.js";
import { OutsideOrderNote } from "../components/webhook-facts.js";
import { NotFoundPanel } from "./webhook.js";

const SOURCE_LABELS: Record<string, string> = { event: "event delivery", redeliver: "manual redelivery", ping: "test event", replay: "dead-letter replay" };

/** One delivery: the request as sent, then every attempt with its response. */
export function DeliveryPage({ webhookId, deliveryId }: { webhookId: string; deliveryId: string }) {
  useTitle(`Delivery ${deliveryId}`);
  const { client, organizationId, mayChange } = useApp();
  const delivery = useLoad(() => client.getDelivery(organizationId, webhookId, deliveryId), [organizationId, webhookId, deliveryId]);
  // Only to say, for an ordered webhook, that Redeliver goes outside the order; the page works without it.
  const webhook = useLoad(() => client.getWebhook(organizationId, webhookId), [organizationId, webhookId]);
  const action = useAction();
  // Attempts before a redelivery, while its attempt is awaited.
  const awaiting = useRef<number | null>(null);
  const [, setTick] = useState(0);
  const d = delivery.data;

  const moving = d !== null && (isUnsettled(d.status) || awaiting.current !== null);
  useEffect(() => {
    if (!moving || delivery.loading) return;
    const timer = window.setTimeout(() => void delivery.reload(), FAST_REFRESH_MS);
    return () => window.clearTimeout(timer);
  }, [moving, delivery.loading, d]);

  // The redelivery's attempt landed: say how it went.
  useEffect(() => {
    if (!d || awaiting.current === null || d.attempts.length <= awaiting.current || isUnsettled(d.status)) return;
    awaiting.current = null;
    const last = d.attempts[d.attempts.length - 1]!;
    action.set({ done: `New attempt ${last.attempt}: ${last.outcome}${last.response ? `, HTTP ${last.response.status}` : ""} in ${formatDuration(last.durationMs)}.` });
    setTick((t) => t + 1);
  }, [d]);

  if (delivery.error instanceof ApiError && delivery.error.status === 404) return <NotFoundPanel what="Delivery" id={deliveryId} organizationId={organizationId} />;

  const latest = d?.attempts[d.attempts.length - 1];
  return (
    <>
      <p class="crumbs">
        <Link href={paths.webhooks()}>Webhooks</Link> / <Link href={paths.webhook(webhookId)}>Webhook</Link> /
      </p>
      <h1 tabIndex={-1} class="mono-heading">
        Delivery <span class="mono">{deliveryId}</span>
      </h1>
      {delivery.loading && !d ? (
        <p role="status" class="message message-busy">
          Loading the delivery…
        </p>
      ) : null}
      <ErrorText error={delivery.error} prefix="The delivery could not be loaded." />
      {d ? (
        <>
          <dl class="facts facts-wide">
            <div>
              <dt>Status</dt>
              <dd>
                <StatusBadge status={d.status} />
                {d.statusReason ? <span class="reason"> {d.statusReason}</span> : null}
              </dd>
            </div>
            {d.heldBehind ? (
              <div>
                <dt>Waiting for</dt>
                <dd>
                  Held behind{" "}
                  <Link href={paths.delivery(webhookId, d.heldBehind)} class="mono">
                    {d.heldBehind}
                  </Link>
                </dd>
              </div>
            ) : null}
            <div>
              <dt>Event</dt>
              <dd class="mono">{d.event}</dd>
            </div>
            <div>
              <dt>Event ID</dt>
              <dd class="mono">{d.eventId}</dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>{formatTime(d.createdAt)}</dd>
            </div>
            <div>
              <dt>Attempts</dt>
              <dd>{d.attempts.length}</dd>
            </div>
            {d.nextAttemptAt ? (
              <div>
                <dt>Next attempt due</dt>
                <dd>
                  <time dateTime={d.nextAttemptAt}>{formatTime(d.nextAttemptAt)}</time> ({relativeTime(d.nextAttemptAt)})
                </dd>
              </div>
            ) : null}
          </dl>
          <div class="toolbar">
            {mayChange ? (
              <Button
                busy={action.state.busy || awaiting.current !== null}
                onClick={() =>
                  void action.run(
                    "Queuing a redelivery…",
                    () => client.redeliver(organizationId, webhookId, d.id),
                    () => {
                      awaiting.current = d.attempts.length;
                      void delivery.reload();
                      return "Redelivery queued; waiting for the new attempt…";
                    },
                  )
                }
              >
                Redeliver
              </Button>
            ) : null}
            {moving ? <span class="muted">Refreshing every 2 seconds…</span> : null}
          </div>
          <OutsideOrderNote webhook={webhook.data} />
          <ActionStatus state={action.state} />

          <section aria-labelledby="request-title">
            <h2 id="request-title">Request</h2>
            {latest ? (
              <>
                <p>
                  <span class="mono">POST</span> <span class="url">{latest.request.url}</span>
                  {d.attempts.length > 1 ? <span class="muted"> (headers of the latest attempt, {latest.attempt})</span> : null}
                </p>
                <h3>Headers</h3>
                <Headers headers={latest.request.headers} label="Request headers" />
              </>
            ) : (
              <p class="muted">Not attempted yet.</p>
            )}
            <h3>Body</h3>
            <RequestBody body={d.requestBody} />
          </section>

          <section aria-labelledby="attempts-title">
            <h2 id="attempts-title">Attempts</h2>
            {d.attempts.length === 0 ? <p class="muted">No attempt yet.</p> : null}
            <ol class="attempts">
              {d.attempts.map((a) => (
                <AttemptView key={`${a.attempt}-${a.startedAt}`} attempt={a} />
              ))}
            </ol>
            {d.status === "retrying" && d.nextAttemptAt ? (
              <p class="next-attempt">
                Next retry due <time dateTime={d.nextAttemptAt}>{formatTime(d.nextAttemptAt)}</time> ({relativeTime(d.nextAttemptAt)}).
              </p>
            ) : null}
          </section>
        </>
      ) : null}
    </>
  );
}

function RequestBody({ body }: { body: Delivery["requestBody"] }) {
  if (body === undefined || body === null) return <p class="muted">Not sent yet: the body is known once the first attempt is made.</p>;
  const { pretty, kind } = prettyBody(body);
  return (
    <>
      {kind === "form" ? (
        <p class="muted">
          Form body: the JSON in its <code>payload</code> field, pretty-printed.
        </p>
      ) : null}
      <pre class="code" tabIndex={0} role="group" aria-label="Request body, pretty-printed">
        <code>{pretty}</code>
      </pre>
      <details>
        <summary>Exact bytes as sent</summary>
        <pre class="code" tabIndex={0} role="group" aria-label="Request body as sent">
          <code>{body}</code>
        </pre>
      </details>
    </>
  );
}

function Headers({ headers, label }: { headers: Record<string, string>; label: string }) {
  const entries = Object.entries(headers);
  if (entries.length === 0) return <p class="muted">None.</p>;
  return (
    <div class="table-wrap">
      <table class="table headers">
        <caption class="sr-only">{label}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Value</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([name, value]) => (
            <tr key={name}>
              <th scope="row" class="mono">
                {name}
              </th>
              <td class="mono">{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AttemptView({ attempt: a }: { attempt: Attempt }) {
  return (
    <li class="panel attempt">
      <h3>
        Attempt {a.attempt}: <span class={a.outcome === "succeeded" ? "text-ok" : "text-bad"}>{a.outcome}</span>
        {a.response ? `, HTTP ${a.response.status}` : ""}
      </h3>
      <dl class="facts">
        <div>
          <dt>Time</dt>
          <dd>
            <time dateTime={a.startedAt}>{formatTime(a.startedAt)}</time>
          </dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(a.durationMs)}</dd>
        </div>
        <div>
          <dt>Response status</dt>
          <dd>{a.response ? a.response.status : "no response"}</dd>
        </div>
        <div>
          <dt>Kind</dt>
          <dd>{SOURCE_LABELS[a.source] ?? a.source}</dd>
        </div>
        {a.traceparent !== null ? <TraceId traceparent={a.traceparent} attempt={a.attempt} /> : null}
        {a.retryAfter !== null ? (
          <div>
            <dt>Retry-After</dt>
            <dd class="mono">{a.retryAfter}</dd>
          </div>
        ) : null}
        {a.error ? (
          <div>
            <dt>Error</dt>
            <dd>
              <span class="mono">{a.error.code}</span>: {a.error.message}
            </dd>
          </div>
        ) : null}
      </dl>
      {a.response ? (
        <>
          <h4>Response headers</h4>
          <Headers headers={a.response.headers} label={`Response headers of attempt ${a.attempt}`} />
          <h4>Response body{a.response.bodyTruncated ? " (truncated)" : ""}</h4>
          {a.response.body === "" ? (
            <p class="muted">Empty.</p>
          ) : (
            <pre class="code" tabIndex={0} role="group" aria-label={`Response body of attempt ${a.attempt}`}>
              <code>{a.response.body}</code>
            </pre>
          )}
          {a.response.bodyTruncated ? <p class="muted">Only the start of the body is kept.</p> : null}
        </>
      ) : null}
      <details>
        <summary>Request headers of attempt {a.attempt}</summary>
        <Headers headers={a.request.headers} label={`Request headers of attempt ${a.attempt}`} />
      </details>
    </li>
  );
}
