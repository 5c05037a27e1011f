import { useEffect, useState } from "preact/hooks";
import { ApiError, type Webhook, type WebhookWithSecret } from "../api.js";
import { ConfirmDialog } from "../components/dialog.js";
import { ActionStatus, Button, ErrorText, useAction, useTitle } from "../components/feedback.js";
import { RecoverForm } from "../components/recover-form.js";
import { SecretReveal } from "../components/secret-reveal.js";
import { PeriodSwitch, StatsCharts } from "../components/stats-charts.js";
import { EndpointFacts } from "../components/endpoint-facts.js";
import { OutsideOrderNote, StateFacts, SubscriptionFacts } from "../components/webhook-facts.js";
import { WebhookForm } from "../components/webhook-form.js";
import { useApp } from "../context.js";
import { formatTime, healthReasonText } from "../format.js";
import { Link, navigate } from "../router.js";
import { paths } from "../routes.js";
import type { StatsPeriod } from "../stats.js";
import { useLoad } from "../use-load.js";
import { RecentDeliveries } from "./deliveries.js";

/** A webhook without the one-time fields of a create or rotate answer. */
function withoutSecret(w: WebhookWithSecret): Webhook {
  const { secret: _secret, previousSecretExpiresAt: _expires, ...rest } = w;
  return rest;
}

export function NotFoundPanel(props: { what: string; id: string; organizationId: string }) {
  return (
    <section class="panel" aria-labelledby="nf-title">
      <h1 id="nf-title" tabIndex={-1}>
        {props.what} not found
      </h1>
      <p>
        There is no {props.what.toLowerCase()} <span class="mono">{props.id}</span> in organization <span class="mono">{props.organizationId}</span>. It may have been deleted, or it belongs to another
        organization.
      </p>
      <p>
        <Link href={paths.webhooks()}>Back to Webhooks</Link>
      </p>
    </section>
  );
}

/** What a webhook the dispatcher disabled (docs/endpoint-health.md) means, and the way back: Activate. */
function DisabledNotice({ reason, active }: { reason: string | null; active: boolean }) {
  return (
    <section class="panel notice" aria-labelledby="disabled-title">
      <h2 id="disabled-title">AgileTune disabled this webhook</h2>
      <p>
        {reason ? `It was disabled because ${healthReasonText(reason)}. ` : ""}
        Nothing is sent to it while it is disabled, and events that happen meanwhile are not delivered to it.
      </p>
      <p>
        {active ? "" : "To re-enable it once your endpoint works again, press Activate below: the webhook becomes healthy and receives the events that happen from then on. "}
        Deliveries that failed or were cancelled can then be sent again with Recover.
      </p>
    </section>
  );
}

/** Said where the controls would be, so a read-only reader knows why there are none. */
function ReadOnlyNote() {
  return <p class="message message-empty read-only-note">Read-only: you can see this webhook and its deliveries, but not change them.</p>;
}

export function WebhookPage({ webhookId }: { webhookId: string }) {
  const { client, organizationId, flash, mayChange } = useApp();
  const hook = useLoad(() => client.getWebhook(organizationId, webhookId), [webhookId, organizationId]);
  const eventTypes = useLoad(() => client.eventTypes(), []);
  const action = useAction();
  const [confirm, setConfirm] = useState<null | "delete" | "rotate">(null);
  // A rotated secret: shown once, forgotten when the panel is closed or the page left.
  const [rotated, setRotated] = useState<WebhookWithSecret | null>(null);
  const [deliveriesVersion, setDeliveriesVersion] = useState(0);
  const [saved, setSaved] = useState<string | null>(null);
  const [recovering, setRecovering] = useState(false);
  const [period, setPeriod] = useState<StatsPeriod>("hour");
  const webhook = hook.data;
  useTitle(webhook ? `Webhook ${webhook.url}` : "Webhook");
  useEffect(() => {
    if (rotated) document.getElementById("rotated-secret")?.querySelector<HTMLElement>("h2")?.focus();
  }, [rotated]);

  if (hook.error instanceof ApiError && hook.error.status === 404) return <NotFoundPanel what="Webhook" id={webhookId} organizationId={organizationId} />;
  if (!webhook) {
    return (
      <>
        <h1 tabIndex={-1}>Webhook</h1>
        {hook.loading ? (
          <p role="status" class="message message-busy">
            Loading the webhook…
          </p>
        ) : null}
        <ErrorText error={hook.error} prefix="The webhook could not be loaded." />
      </>
    );
  }

  return (
    <>
      <p class="crumbs">
        <Link href={paths.webhooks()}>Webhooks</Link> /
      </p>
      <h1 tabIndex={-1} class="url">
        <span class="eyebrow">Webhook </span>
        {webhook.url}
      </h1>
      {webhook.description ? <p class="description">{webhook.description}</p> : null}

      <dl class="facts facts-wide">
        <StateFacts webhook={webhook} />
        <SubscriptionFacts webhook={webhook} />
        <div>
          <dt>Secret</dt>
          <dd>
            ends in <span class="mono">…{webhook.secretHint}</span>
          </dd>
        </div>
        <EndpointFacts webhook={webhook} />
        <div>
          <dt>Rate limit</dt>
          <dd>{webhook.rateLimitPerSecond === null ? "No limit" : `${webhook.rateLimitPerSecond} requests per second`}</dd>
        </div>
        <div>
          <dt>Webhook ID</dt>
          <dd class="mono">{webhook.id}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatTime(webhook.createdAt)}</dd>
        </div>
      </dl>

      {webhook.health === "disabled" ? <DisabledNotice reason={webhook.healthReason} active={webhook.active} /> : null}

      {mayChange ? (
        <div class="toolbar" role="group" aria-label="Webhook actions">
          <Button
            busy={action.state.busy}
            onClick={() =>
              void action.run(
                "Sending a test event…",
                () => client.ping(organizationId, webhook.id),
                (r) => {
                  setDeliveriesVersion((v) => v + 1);
                  return `Test event queued as delivery ${r.deliveryId}; it appears in Recent Deliveries below.`;
                },
              )
            }
          >
            Send test event
          </Button>
          <Button
            busy={action.state.busy}
            onClick={() =>
              void action.run(
                webhook.active ? "Deactivating…" : "Activating…",
                () => client.updateWebhook(organizationId, webhook.id, { active: !webhook.active }),
                (w) => {
                  const wasDisabled = webhook.health === "disabled";
                  hook.setData(w);
                  if (!w.active) return "Webhook deactivated: nothing is delivered until you activate it again.";
                  return wasDisabled
                    ? `Webhook activated: events produced from now on are delivered, and it is ${w.health} again. Recover sends again what failed or was cancelled meanwhile.`
                    : "Webhook activated: events produced from now on are delivered.";
                },
              )
            }
          >
            {webhook.active ? "Deactivate" : "Activate"}
          </Button>
          <Button
            id="recover-button"
            aria-expanded={recovering ? "true" : "false"}
            aria-controls={recovering ? "recover-panel" : undefined}
            aria-describedby={webhook.ordered ? "outside-order-note" : undefined}
            onClick={() => setRecovering(!recovering)}
          >
            Recover
          </Button>
          <Button busy={action.state.busy} onClick={() => setConfirm("rotate")}>
            Rotate secret
          </Button>
          <Button busy={action.state.busy} class="button-danger" onClick={() => setConfirm("delete")}>
            Delete
          </Button>
        </div>
      ) : (
        <ReadOnlyNote />
      )}
      <OutsideOrderNote webhook={webhook} id="outside-order-note" />
      <ActionStatus state={action.state} />
      {recovering ? (
        <RecoverForm
          id="recover-panel"
          webhookId={webhook.id}
          onRecovered={() => {
            // The recovered deliveries are pending now: the list starts over and follows them.
            setDeliveriesVersion((v) => v + 1);
            void hook.reload();
          }}
          onClose={() => {
            setRecovering(false);
            document.getElementById("recover-button")?.focus();
          }}
        />
      ) : null}

      {confirm === "rotate" ? (
        <ConfirmDialog
          title="Rotate the secret?"
          confirmLabel="Rotate secret"
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            setConfirm(null);
            void action.run(
              "Rotating the secret…",
              () => client.rotateSecret(organizationId, webhook.id),
              (r) => {
                setRotated(r);
                hook.setData(withoutSecret(r));
                return "Secret rotated.";
              },
            );
          }}
        >
          <p>
            A new secret is generated and shown once. From then on <code>X-AgileTune-Signature</code> is signed with the new secret only; the previous secret keeps signing the{" "}
            <code>webhook-signature</code> header for 24 hours.
          </p>
        </ConfirmDialog>
      ) : null}
      {confirm === "delete" ? (
        <ConfirmDialog
          title="Delete this webhook?"
          confirmLabel="Delete webhook"
          danger
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            setConfirm(null);
            void action.run(
              "Deleting the webhook…",
              () => client.deleteWebhook(organizationId, webhook.id),
              () => {
                flash(`The webhook for ${webhook.url} was deleted.`);
                navigate(paths.webhooks());
                return "Deleted.";
              },
            );
          }}
        >
          <p>
            Delete the webhook for <strong class="url">{webhook.url}</strong>? AgileTune stops sending it events at once, queued deliveries are cancelled, and its delivery log is no longer shown. This
            cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}

      {rotated ? (
        <div id="rotated-secret">
          <SecretReveal title="New secret" secret={rotated.secret} doneLabel="Done, hide the secret" onDone={() => setRotated(null)}>
            <p>
              <code>X-AgileTune-Signature</code> is signed with this secret from now on.
              {rotated.previousSecretExpiresAt ? (
                <>
                  {" "}
                  The previous secret stops signing at <time dateTime={rotated.previousSecretExpiresAt}>{formatTime(rotated.previousSecretExpiresAt)}</time>; until then it also signs the{" "}
                  <code>webhook-signature</code> header.
                </>
              ) : null}
            </p>
          </SecretReveal>
        </div>
      ) : null}

      {mayChange ? (
        <details class="panel settings">
          <summary>Edit settings</summary>
          <WebhookForm
            key={webhook.id}
            mode="edit"
            initial={webhook}
            eventTypes={eventTypes.data?.items ?? null}
            eventTypesError={eventTypes.error}
            submitLabel="Save changes"
            busyLabel="Saving…"
            onSubmit={async (patch) => {
              setSaved(null);
              const updated = await client.updateWebhook(organizationId, webhook.id, patch);
              hook.setData(updated);
              setSaved("Settings saved. They apply to events produced from now on.");
            }}
          />
          <p role="status" class={`message ${saved ? "message-ok" : "message-empty"}`}>
            {saved ?? ""}
          </p>
        </details>
      ) : null}

      <section class="panel" aria-labelledby="stats-title">
        <h2 id="stats-title">Statistics</h2>
        <PeriodSwitch value={period} onChange={setPeriod} name="webhook-period" />
        <StatsCharts webhookId={webhook.id} period={period} />
      </section>
      <RecentDeliveries webhook={webhook} version={deliveriesVersion} onRefreshed={() => void hook.reload()} />
    </>
  );
}
