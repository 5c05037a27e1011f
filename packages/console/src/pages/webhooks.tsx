import { useState } from "preact/hooks";
import type { Client, DeliverySummary, Webhook } from "../api.js";
import { StatusBadge } from "../components/badges.js";
import { DeliveryChart } from "../components/chart.js";
import { Button, ErrorText, LoadMore, useTitle } from "../components/feedback.js";
import { FindDelivery } from "../components/find-delivery.js";
import { PeriodSwitch, StatsCharts } from "../components/stats-charts.js";
import { StateFacts, SubscriptionFacts } from "../components/webhook-facts.js";
import { hourlyBuckets, lastDelivered } from "../chart.js";
import { useApp } from "../context.js";
import { formatTime, relativeTime } from "../format.js";
import { Link, navigate } from "../router.js";
import { paths } from "../routes.js";
import type { StatsPeriod } from "../stats.js";
import { useLoad, usePagedLoad } from "../use-load.js";

/** Pages of the delivery log read for one webhook's 24 h chart (100 deliveries each). */
const ACTIVITY_PAGES = 5;

/**
 * A webhook's last 24 h, from its delivery log (the API has no summary of it): newest
 * first until a delivery older than 24 h, at most ACTIVITY_PAGES pages.
 */
async function recentActivity(client: Client, org: string, webhookId: string): Promise<{ deliveries: DeliverySummary[]; partial: boolean }> {
  const since = Date.now() - 24 * 3_600_000;
  const deliveries: DeliverySummary[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < ACTIVITY_PAGES; page++) {
    const result = await client.listDeliveries(org, webhookId, { limit: 100, cursor });
    deliveries.push(...result.items);
    const oldest = result.items[result.items.length - 1];
    if (!result.nextCursor || !oldest || new Date(oldest.createdAt).getTime() < since) return { deliveries, partial: false };
    cursor = result.nextCursor;
  }
  return { deliveries, partial: true };
}

export function WebhooksPage() {
  useTitle("Webhooks");
  const { client, organizationId, mayChange } = useApp();
  const { first, items, more, loadMore } = usePagedLoad((cursor) => client.listWebhooks(organizationId, cursor), [organizationId]);
  const [period, setPeriod] = useState<StatsPeriod>("day");

  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>Webhooks</h1>
        {mayChange ? (
          <Button class="button-primary" onClick={() => navigate(paths.addWebhook())}>
            Add Webhook
          </Button>
        ) : null}
      </div>
      <p class="muted">
        Organization <span class="mono">{organizationId}</span>
      </p>
      {first.loading && !first.data ? (
        <p role="status" class="message message-busy">
          Loading webhooks…
        </p>
      ) : null}
      {first.error ? (
        <div>
          <ErrorText error={first.error} prefix="The webhooks could not be loaded." />
          <Button onClick={() => void first.reload()}>Try again</Button>
        </div>
      ) : null}
      {first.data && items.length === 0 ? <EmptyState mayChange={mayChange} /> : null}
      {items.length > 0 ? (
        <>
          <FindDelivery />
          <PeriodSwitch value={period} onChange={setPeriod} name="list-period" />
          <ul class="cards" aria-label="Webhooks">
            {items.map((w) => (
              <WebhookCard key={w.id} webhook={w} period={period} />
            ))}
          </ul>
        </>
      ) : null}
      <LoadMore nextCursor={more.nextCursor} busy={more.busy} error={more.error} onLoad={loadMore} errorPrefix="More webhooks could not be loaded." />
    </>
  );
}

function EmptyState({ mayChange }: { mayChange: boolean }) {
  return (
    <section class="panel empty" aria-labelledby="empty-title">
      <h2 id="empty-title">No webhooks yet</h2>
      <p>
        A webhook sends an HTTP POST request to a URL of yours whenever something happens in AgileTune: a task is created or moved, a comment is added, a member joins or leaves, a project is created.
        Use it to connect other services, trigger CI/CD pipelines, or build your own automations.
      </p>
      <p>
        Every request is signed with your webhook's secret, so your endpoint can check that it came from AgileTune: see <Link href={paths.guide("signature-verification")}>Signature Verification</Link>{" "}
        in the guide.
      </p>
      {mayChange ? (
        <Button class="button-primary" onClick={() => navigate(paths.addWebhook())}>
          Add Webhook
        </Button>
      ) : null}
    </section>
  );
}

function WebhookCard({ webhook, period }: { webhook: Webhook; period: StatsPeriod }) {
  const { client, organizationId } = useApp();
  const activity = useLoad(() => recentActivity(client, organizationId, webhook.id), [webhook.id]);
  const last = activity.data ? lastDelivered(activity.data.deliveries) : undefined;
  return (
    <li class="card">
      <h2 class="card-title">
        <Link href={paths.webhook(webhook.id)} class="url">
          {webhook.url}
        </Link>
      </h2>
      {webhook.description ? <p class="description">{webhook.description}</p> : null}
      <dl class="facts">
        <SubscriptionFacts webhook={webhook} />
        <StateFacts
          webhook={webhook}
          healthNote={webhook.health === "disabled" ? <span class="health-line">Disabled by AgileTune: open the webhook and press Activate to re-enable it.</span> : null}
        />
        <div>
          <dt>Last delivery</dt>
          <dd>
            {activity.loading && !activity.data ? "Loading…" : null}
            {activity.error ? <ErrorText error={activity.error} prefix="The delivery log could not be loaded." /> : null}
            {activity.data && !last ? "None in the last 24 h" : null}
            {last ? (
              <>
                <StatusBadge status={last.status} /> {last.lastResponseStatus !== null ? `HTTP ${last.lastResponseStatus}, ` : ""}
                <time dateTime={last.lastAttemptAt!} title={formatTime(last.lastAttemptAt)}>
                  {relativeTime(last.lastAttemptAt!)}
                </time>{" "}
                (<span class="mono">{last.event}</span>)
              </>
            ) : null}
          </dd>
        </div>
      </dl>
      {activity.data ? <DeliveryChart buckets={hourlyBuckets(activity.data.deliveries, Date.now())} partial={activity.data.partial} /> : null}
      <StatsCharts webhookId={webhook.id} period={period} />
    </li>
  );
}
