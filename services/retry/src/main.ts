// retry: one delay-respecting consumer per tier topic, handing due jobs back. Wiring only.
import { bootstrapWorker, runService } from "@agiletune/shared";
import { startRetryService } from "./retry-service.js";

await runService("retry", async (config, logger) => {
  const groupIdPrefix = `${config.TOPIC_PREFIX}agiletune-retry`;
  const ctx = await bootstrapWorker(config, logger, {
    needsMongo: false,
    consumerGroups: (t) => t.retries.map((topic) => ({ groupId: `${groupIdPrefix}-${topic}`, topic })),
  });
  const retry = await startRetryService({ kafka: ctx.kafka, topics: ctx.topics, logger, registry: ctx.registry, groupIdPrefix });
  logger.info({ tiers: ctx.topics.retries }, "retry ready");
  return {
    async stop() {
      await retry.stop();
      await ctx.close();
    },
  };
});
