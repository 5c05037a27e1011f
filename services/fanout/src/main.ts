// fanout: domain events → one delivery job per subscribed webhook. Wiring only.
import { bootstrapWorker, runService } from "@agiletune/shared";
import { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import { startFanout } from "./fanout.js";

await runService("fanout", async (config, logger) => {
  const groupId = `${config.TOPIC_PREFIX}agiletune-fanout`;
  const ctx = await bootstrapWorker(config, logger, { needsMongo: true, consumerGroups: (t) => [{ groupId, topic: t.events }] });
  const schemaRegistry = config.SCHEMA_REGISTRY_URL ? new SchemaRegistry({ host: config.SCHEMA_REGISTRY_URL }) : undefined;
  const fanout = await startFanout({ kafka: ctx.kafka, db: ctx.mongo!.db, topics: ctx.topics, logger, registry: ctx.registry, schemaRegistry, groupId });
  logger.info({ schemaRegistry: Boolean(schemaRegistry) }, "fanout ready");
  return {
    async stop() {
      await fanout.stop();
      await ctx.close();
    },
  };
});
