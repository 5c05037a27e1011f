// dispatcher: signs and POSTs delivery jobs; failures climb the retry tiers. Wiring only.
import { bootstrapWorker, endpointHealthSettings, endpointStatsSettings, runService } from "@agiletune/shared";
import { startDispatcher } from "./dispatcher.js";

await runService("dispatcher", async (config, logger) => {
  const groupId = `${config.TOPIC_PREFIX}agiletune-dispatcher`;
  const ctx = await bootstrapWorker(config, logger, { needsMongo: true, consumerGroups: (t) => [{ groupId, topic: t.deliveries }] });
  const dispatcher = await startDispatcher({
    kafka: ctx.kafka,
    db: ctx.mongo!.db,
    topics: ctx.topics,
    logger,
    registry: ctx.registry,
    groupId,
    encryptionKey: config.SECRETS_ENCRYPTION_KEY!,
    retryDelaysMs: config.retryDelaysMs,
    deliveryTimeoutMs: config.DELIVERY_TIMEOUT_MS,
    allowPrivateUrls: config.ALLOW_PRIVATE_URLS,
    maxInFlight: config.DISPATCH_MAX_IN_FLIGHT,
    maxInFlightPerEndpoint: config.DISPATCH_MAX_IN_FLIGHT_PER_ENDPOINT,
    maxInFlightBytes: config.DISPATCH_MAX_IN_FLIGHT_BYTES,
    health: endpointHealthSettings(config),
    endpointStats: endpointStatsSettings(config),
  });
  logger.info({ retryDelaysMs: config.retryDelaysMs, timeoutMs: config.DELIVERY_TIMEOUT_MS, endpointStats: config.ENDPOINT_STATS }, "dispatcher ready");
  return {
    async stop() {
      await dispatcher.stop();
      await ctx.close();
    },
  };
});
