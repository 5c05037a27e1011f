import { listDeadLetters } from "@agiletune/shared";
import { readJsonBody } from "../body.js";
import { decodeCursor, page } from "../cursor.js";
import { replayAudited, replayDeadLetters } from "../dlq-replay.js";
import { dlqQuerySchema, dlqReplaySchema, parseOr422, parseQuery } from "../schemas.js";
import { deadLetterView, type DeadLetterList } from "../dead-letter-views.js";
import { audit, authenticated, operatorOnly, type AppRouter, type RouteDeps } from "./context.js";

/** Operator-only: dead letters, newest first, and their replay. */
export function registerDlqRoutes(router: AppRouter, deps: RouteDeps): void {
  const guard = [authenticated(deps), operatorOnly] as const;

  router.get("/v1/admin/dlq", ...guard, async (ctx) => {
    const { limit, cursor: rawCursor, ...filter } = parseQuery(dlqQuerySchema, ctx.query);
    const cursor = rawCursor === undefined ? undefined : decodeCursor(rawCursor);
    const docs = await listDeadLetters(deps.db, filter, { after: cursor, limit: limit + 1 });
    const result = page(docs, limit, (d) => ({ at: d.deadLetteredAt, id: d._id }));
    ctx.body = { items: result.items.map(deadLetterView), nextCursor: result.nextCursor } satisfies DeadLetterList;
  });

  router.post("/v1/admin/dlq/replay", ...guard, async (ctx) => {
    const { dryRun, ...filter } = parseOr422(dlqReplaySchema, (await readJsonBody(ctx)) ?? {});
    const result = await replayDeadLetters(deps, filter, { dryRun: dryRun ?? false });
    if (!dryRun) await audit(deps, ctx, replayAudited(filter));
    ctx.body = result;
  });
}
