import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { startSchemaRegistry } from "@agiletune/local-infra";
import { domainEvent, pipelineTest as test, readTopic } from "@agiletune/testing";
import { afterAll, beforeAll, expect } from "vitest";

// A real Confluent-compatible registry (Apicurio, from Maven Central) for this file.
let registryUrl: string;
let stopRegistry: () => Promise<void>;
beforeAll(async () => {
  const registry = await startSchemaRegistry();
  registryUrl = registry.url;
  stopRegistry = registry.stop;
}, 240_000);
afterAll(async () => stopRegistry?.());

const avroSchema = {
  type: "record",
  name: "TaskEvent",
  namespace: "dev.agiletune.events",
  fields: [
    { name: "id", type: "string" },
    { name: "event", type: "string" },
    { name: "timestamp", type: "string" },
    { name: "organizationId", type: "string" },
    {
      name: "data",
      type: {
        type: "record",
        name: "TaskData",
        fields: [
          { name: "id", type: "string" },
          { name: "title", type: "string" },
          { name: "status", type: "string" },
        ],
      },
    },
  ],
};
const jsonSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  required: ["id", "event", "timestamp", "organizationId", "data"],
  properties: { id: { type: "string" }, event: { type: "string" }, timestamp: { type: "string" }, organizationId: { type: "string" }, data: { type: "object" } },
};

test("Avro- and JSON-Schema-encoded events are delivered like their JSON twin; an unknown schema id lands on the invalid topic", async ({ kafka, topics, testId, startPipeline, startReceiver }) => {
  const registry = new SchemaRegistry({ host: registryUrl });
  const { id: avroId } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(avroSchema) }, { subject: `${testId}-avro-value` });
  const { id: jsonId } = await registry.register({ type: SchemaType.JSON, schema: JSON.stringify(jsonSchema) }, { subject: `${testId}-json-value` });

  const receiver = await startReceiver();
  const pipeline = await startPipeline({ schemaRegistry: new SchemaRegistry({ host: registryUrl }) });
  await pipeline.createWebhook({ url: receiver.url("/sr") });

  const data = { id: "tsk_abc123", title: "Implement login page", status: "in_progress" };
  const twin = domainEvent({ event: "task.created", data });
  const viaAvro = domainEvent({ event: "task.created", data });
  const viaJsonSchema = domainEvent({ event: "task.created", data });
  const unknownId = Buffer.concat([Buffer.from([0, 0, 0x0f, 0x42, 0x3f]), Buffer.from("whatever")]);
  await pipeline.producer.send({
    topic: topics.events,
    messages: [
      { key: "org_1", value: JSON.stringify(twin) },
      { key: "org_1", value: await registry.encode(avroId, viaAvro) },
      { key: "org_1", value: await registry.encode(jsonId, viaJsonSchema) },
      { key: "unknown-schema", value: unknownId },
    ],
  });

  await receiver.waitFor((all) => all.length >= 3);
  const bodies = receiver.requests.map((r) => r.body);
  const expected = JSON.stringify({ event: twin.event, timestamp: twin.timestamp, data });
  expect(bodies).toEqual([expected, expected, expected]);

  const [invalid] = await readTopic(kafka, topics.eventsInvalid, 1);
  expect(invalid!.key!.toString()).toBe("unknown-schema");
  expect(Buffer.compare(invalid!.value!, unknownId)).toBe(0);
  expect(invalid!.headers["x-error"]).toMatch(/schema id 999999/);
});
