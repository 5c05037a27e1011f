import { BatchingProducer, type DomainEvent } from "@agiletune/shared";
import { readJsonBody } from "../body.js";
import { toApiError } from "../errors.js";
import { createIdempotencyStore, idempotencyKeyOf, requestFingerprint, type StoredAnswer } from "../idempotency.js";
import { eventMessage, parsePublishBatch, parsePublishEvent, toDomainEvent, traceHeaders, type PublishEventInput } from "../publish-events.js";
import type { PublishBatchAccepted, PublishAccepted } from "../views.js";
import { assertPublisher } from "../auth.js";
import { authenticated, organizationScoped, principalOf, type AppRouter, type Ctx, type RouteDeps } from "./context.js";

const BASE = "/v1/organizations/:orgId/events";

/**
 * Publishing over HTTP (docs/publishing.md): events validated as fanout validates them, produced
 * to the events topic keyed by organization, answered 202 only once the broker has them.
 */
export function registerEventRoutes(router: AppRouter, deps: RouteDeps): void {
  const guard = [authenticated(deps), organizationScoped] as const;
  // Single events of concurrent requests share produce requests: one round trip to the
  // broker per tick instead of one per request (the producer sends one request at a time).
  const batching = new BatchingProducer(deps.producer);
  const idempotency = createIdempotencyStore({ db: deps.db, clock: deps.clock, options: deps.idempotency, background: deps.background, logger: deps.logger });

  async function publish(ctx: Ctx, operation: "event" | "batch", parse: (body: unknown) => PublishEventInput[]): Promise<void> {
    assertPublisher(principalOf(ctx));
    const body = await readJsonBody(ctx);
    const inputs = parse(body);
    const organizationId = ctx.params.orgId!;
    const key = idempotencyKeyOf(ctx.get("idempotency-key") || undefined);
    const now = deps.clock();
    const events = inputs.map((input) => toDomainEvent(input, organizationId, now));
    const accepted: PublishAccepted | PublishBatchAccepted = operation === "event" ? { id: events[0]!.id } : { ids: events.map((e) => e.id) };
    const answer: StoredAnswer = { status: 202, body: accepted };
    const headers = traceHeaders((name) => ctx.get(name));
    const work = () => produce(events, headers, operation);
    const sent = key ? await idempotency.runOnce({ organizationId, key, fingerprint: requestFingerprint(operation, body) }, answer, work) : await work().then(() => ({ ...answer, replayed: false }));
    if (key) ctx.set("Idempotent-Replayed", String(sent.replayed));
    ctx.status = sent.status;
    ctx.body = sent.body;
  }

  /** A batch goes in one produce request: one partition (one key), so the broker appends all of it or none. */
  async function produce(events: DomainEvent[], headers: Record<string, string>, operation: "event" | "batch"): Promise<void> {
    const messages = events.map((event) => eventMessage(event, headers));
    try {
      if (operation === "event") await batching.send(deps.topics.events, messages[0]!);
      else await deps.producer.send({ topic: deps.topics.events, messages });
    } catch (err) {
      throw toApiError(err, "the event topic is unavailable; try again");
    }
  }

  router.post(BASE, ...guard, (ctx) => publish(ctx, "event", (body) => [parsePublishEvent(body)]));
  router.post(`${BASE}/batch`, ...guard, (ctx) => publish(ctx, "batch", parsePublishBatch));
}
