import { createProducer, decodeDeliveryJob, deliveriesCollection, generateEncryptionKey, type TopicNames } from "@agiletune/shared";
import { domainEvent, insertWebhook, readTopic, kafkaClusterTest as test, waitFor } from "@agiletune/testing";
import { ConfigResourceTypes, type Admin } from "kafkajs";
import { expect } from "vitest";

const WEBHOOKS = 3;
/** Deliveries that must succeed after each kill before the next step: the pipeline goes on with a node down. */
const PROGRESS_AFTER_KILL = 60;
/** Bounds the stream if a step never comes: 10 events every 400 ms for at most 80 s. */
const MAX_BATCHES = 200;
/** A kill pauses deliveries while the consumers rejoin: the step after the controller's kill took up to 103 s under load (two busy loops beside the test). */
const PROGRESS_TIMEOUT_MS = 150_000;

/** The node that leads the most partitions of `topic` (the lowest id among equals), and how many it leads. */
async function busiestLeader(admin: Admin, topic: string): Promise<{ nodeId: number; leads: number; partitions: number }> {
  const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
  const leads = new Map<number, number>();
  for (const p of metadata!.partitions) leads.set(p.leader, (leads.get(p.leader) ?? 0) + 1);
  const [nodeId, count] = [...leads].sort(([a, x], [b, y]) => y - x || a - b)[0]!;
  return { nodeId, leads: count, partitions: metadata!.partitions.length };
}

/** Every partition of the test's topics and of the consumer offsets has all three replicas in sync. */
async function fullyInSync(admin: Admin, topics: TopicNames): Promise<boolean> {
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [topics.events, topics.deliveries, ...topics.retries, "__consumer_offsets"] });
  return metadata.every((t) => t.partitions.every((p) => p.isr.length === 3));
}

// The services run against a cluster of their own (3 nodes, each broker and controller);
// the broker leading most delivery partitions is killed first and restarted (with one node
// down, a second kill would leave the controllers without a majority), then the active
// controller is killed and left down: the stream must finish on two nodes.
const TITLE = "three brokers: SIGKILL of the busiest leader, then of the active controller, mid-stream: every (event, webhook) pair arrives";
test(TITLE, { timeout: 600_000 }, async ({ kafka, kafkaCluster, mongo, topics, logger, testId, startReceiver, serviceProcess }) => {
  // Seconds each step took, for the summary line.
  const steps: string[] = [];
  let stepStart = Date.now();
  const step = (name: string) => {
    steps.push(`${name} ${((Date.now() - stepStart) / 1000).toFixed(1)}s`);
    stepStart = Date.now();
  };

  const succeeded = new Map<string, number>();
  const receiver = await startReceiver((req) => {
    const pair = `${req.path} ${(JSON.parse(req.body) as { data: { id: string } }).data.id}`;
    succeeded.set(pair, (succeeded.get(pair) ?? 0) + 1);
    return { status: 200 };
  });
  const encryptionKey = generateEncryptionKey();
  /** Each webhook's id and the receiver path it is delivered to. */
  const webhookPaths: Array<readonly [string, string]> = [];
  for (let i = 0; i < WEBHOOKS; i++) {
    const path = `/cluster-${i}`;
    webhookPaths.push([(await insertWebhook(mongo.db, encryptionKey, { url: receiver.url(path) }))._id, path]);
  }

  const admin = kafka.admin();
  await admin.connect();
  // The topics follow the cluster: 3 replicas, and an acks=all write needs 2 of them.
  const [deliveriesTopic] = (await admin.fetchTopicMetadata({ topics: [topics.deliveries] })).topics;
  expect(deliveriesTopic!.partitions.map((p) => p.replicas.length)).toEqual(deliveriesTopic!.partitions.map(() => 3));
  const [config] = (await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topics.deliveries, configNames: ["min.insync.replicas"] }], includeSynonyms: false })).resources;
  expect(config!.configEntries.find((e) => e.configName === "min.insync.replicas")?.configValue).toBe("2");

  const env = { SECRETS_ENCRYPTION_KEY: encryptionKey, RETRY_DELAYS: "500ms,500ms,500ms,500ms,500ms", DELIVERY_TIMEOUT_MS: "3000", ALLOW_PRIVATE_URLS: "true" };
  const services = [serviceProcess("fanout", env), serviceProcess("dispatcher", env), serviceProcess("retry", env)];
  // When pairs are missing: what the log says of each, and what each service said, so a
  // failure in CI is explained by its output alone.
  const explainMissing = async (error: unknown): Promise<never> => {
    const missing = producedIds.flatMap(({ eventId, taskId }) => webhookPaths.filter(([, path]) => !succeeded.has(`${path} ${taskId}`)).map(([webhookId]) => ({ eventId, webhookId })));
    const pair = (m: { eventId: string; webhookId: string }) => `${m.webhookId} ${m.eventId}`;
    const logged = await deliveriesCollection(mongo.db)
      .find({ eventId: { $in: [...new Set(missing.map((m) => m.eventId))] } }, { projection: { eventId: 1, webhookId: 1, status: 1 } })
      .toArray();
    const statusOf = new Map(logged.map((d) => [pair(d), d.status]));
    // Where each missing job is on the deliveries topic, against the dispatcher's committed offsets.
    const onTopic = new Map<string, string>();
    for (const m of await readTopic(kafka, topics.deliveries, 0, 30_000).catch(() => [])) {
      const job = decodeDeliveryJob(m.value);
      if (job.ok) onTopic.set(pair(job.value), `${m.partition}/${m.offset}`);
    }
    const check = kafka.admin();
    await check.connect();
    const committed = await check.fetchOffsets({ groupId: `${testId}.agiletune-dispatcher`, topics: [topics.deliveries] }).catch((e: Error) => e.message);
    await check.disconnect();
    const states = new Map<string, number>();
    for (const m of missing) {
      const state = `${statusOf.get(pair(m)) ?? "not logged"}, ${onTopic.has(pair(m)) ? "on the deliveries topic" : "not on the deliveries topic"}`;
      states.set(state, (states.get(state) ?? 0) + 1);
    }
    process.stdout.write(
      `kafka cluster: ${missing.length} (event, webhook) pairs missing: ${JSON.stringify(Object.fromEntries(states))}; first: ${JSON.stringify(missing.slice(0, 5).map((m) => ({ ...m, at: onTopic.get(pair(m)) })))}; ` +
        `dispatcher's committed offsets: ${JSON.stringify(committed)}\n`,
    );
    for (const s of services)
      process.stdout.write(
        `--- ${s.name}, its last lines but connection refusals:\n${s.output
          .split("\n")
          .filter((l) => !l.includes("ECONNREFUSED"))
          .slice(-40)
          .map((l) => l.slice(0, 400))
          .join("\n")}\n`,
      );
    throw error;
  };
  await Promise.all(services.map((s) => s.start()));
  step("services started");

  // The services' own producer: idempotent, acks=all, retrying through the failovers.
  const producer = createProducer(kafka);
  await producer.connect();
  /** Each event's id, and the task id the receiver keys it by. */
  const producedIds: Array<{ eventId: string; taskId: string }> = [];
  let streaming = true;
  const producing = (async () => {
    for (let batch = 0; streaming && batch < MAX_BATCHES; batch++) {
      const events = Array.from({ length: 10 }, () => domainEvent());
      await producer.send({ topic: topics.events, messages: events.map((e) => ({ key: e.organizationId, value: JSON.stringify(e) })) });
      producedIds.push(...events.map((e) => ({ eventId: e.id, taskId: String(e.data.id) })));
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  })();
  const progress = async (what: string) => {
    const from = succeeded.size;
    await waitFor(() => succeeded.size >= from + PROGRESS_AFTER_KILL, {
      timeout: PROGRESS_TIMEOUT_MS,
      message: () => `${PROGRESS_AFTER_KILL} more deliveries ${what} (${succeeded.size - from} so far)`,
    }).catch(explainMissing);
  };

  await waitFor(() => succeeded.size >= 30, { timeout: 60_000, message: "30 deliveries before the first kill" });
  step("first deliveries");
  const leader = await busiestLeader(admin, topics.deliveries);
  await kafkaCluster.kill(leader.nodeId);
  await progress(`after node ${leader.nodeId} was killed`);
  step("on with the leader down");
  await kafkaCluster.startNode(leader.nodeId);
  await waitFor(() => fullyInSync(admin, topics), { timeout: 90_000, interval: 500, message: `node ${leader.nodeId} back in every in-sync replica set` });
  step("its restart until in sync");

  const controller = await kafkaCluster.activeController();
  await kafkaCluster.kill(controller);
  await progress(`after the active controller, node ${controller}, was killed`);
  step("on with the controller down");
  streaming = false;
  await producing;
  await producer.disconnect();
  await admin.disconnect();

  const expected = producedIds.length * WEBHOOKS;
  try {
    await receiver.waitFor(() => succeeded.size >= expected, 120_000);
  } catch (error) {
    await explainMissing(error);
  }
  step("the rest delivered");
  const duplicates = [...succeeded.values()].reduce((sum, n) => sum + (n - 1), 0);
  // Repeated jobs (fanout's re-reads, a producer's retried writes) the dispatcher knew it had delivered.
  const repeatsNotSent = await services[1]!.metric("webhook_deliveries_total", { outcome: "repeat" });
  const summary = {
    expected,
    delivered: succeeded.size,
    duplicates,
    repeatsNotSent,
    killedLeader: leader.nodeId,
    leaderOf: `${leader.leads}/${leader.partitions}`,
    killedController: controller,
    steps,
  };
  logger.info(summary, "kafka cluster failover");
  process.stdout.write(
    `kafka cluster: ${succeeded.size}/${expected} (event, webhook) pairs delivered, ${duplicates} duplicate successful deliveries, ${repeatsNotSent} repeated jobs not sent; ` +
      `killed node ${leader.nodeId} (leader of ${leader.leads}/${leader.partitions} delivery partitions) and restarted it, then the active controller node ${controller}, left down (${steps.join(", ")})\n`,
  );
  expect(succeeded.size).toBe(expected);

  // SIGTERM on two nodes of three: each service still stops cleanly.
  const exitCodes = await Promise.all(
    services.map(async (p) => {
      const code = await p.stop();
      if (code !== 0) process.stdout.write(`${p.name} exited ${code}; its log ends:\n${p.output.slice(-3000)}\n`);
      return [p.name, code] as const;
    }),
  );
  expect(Object.fromEntries(exitCodes)).toEqual({ fanout: 0, dispatcher: 0, retry: 0 });
});
