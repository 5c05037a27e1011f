import { useEffect, useState } from "preact/hooks";
import type { WebhookWithSecret } from "../api.js";
import { useTitle } from "../components/feedback.js";
import { SecretReveal } from "../components/secret-reveal.js";
import { WebhookForm } from "../components/webhook-form.js";
import { useApp } from "../context.js";
import { Link, navigate } from "../router.js";
import { paths } from "../routes.js";
import { useLoad } from "../use-load.js";

/** The guide's steps: Payload URL, Content type, Secret, events, Create Webhook; then the secret, once. */
export function AddWebhookPage() {
  useTitle("Add Webhook");
  const { client, organizationId } = useApp();
  const eventTypes = useLoad(() => client.eventTypes(), []);
  // The created webhook with its secret: held here only until the reader moves on.
  const [created, setCreated] = useState<WebhookWithSecret | null>(null);
  useEffect(() => {
    if (created) document.querySelector<HTMLElement>("main h1")?.focus();
  }, [created]);

  if (created) {
    return (
      <>
        <h1 tabIndex={-1}>Webhook created</h1>
        <p role="status" class="message message-ok">
          The webhook for <span class="url">{created.url}</span> was created. Deliveries start with events produced from now on.
        </p>
        <SecretReveal
          title="Your webhook's secret"
          secret={created.secret}
          doneLabel="I have saved the secret, go to the webhook"
          onDone={() => {
            const id = created.id;
            setCreated(null);
            navigate(paths.webhook(id));
          }}
        />
      </>
    );
  }

  return (
    <>
      <p class="crumbs">
        <Link href={paths.webhooks()}>Webhooks</Link> /
      </p>
      <h1 tabIndex={-1}>Add Webhook</h1>
      <WebhookForm
        mode="create"
        eventTypes={eventTypes.data?.items ?? null}
        eventTypesError={eventTypes.error}
        submitLabel="Create Webhook"
        busyLabel="Creating webhook…"
        onSubmit={async (input) => {
          const result = await client.createWebhook(organizationId, input);
          setCreated(result);
          window.scrollTo(0, 0);
        }}
      />
    </>
  );
}
