import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { checkEventData, EVENT_CATALOGUE, eventDataJsonSchema, jsonPointer } from "./event-catalogue.js";

const ajv = new Ajv2020({ strict: true, allErrors: true });
/** What the published JSON Schema says of `data`, checked by a JSON Schema validator of its own. */
const jsonSchemaAccepts = (event: (typeof EVENT_CATALOGUE)[number]["event"], data: unknown) => ajv.validate(eventDataJsonSchema(event), data);

describe("event catalogue", () => {
  it.each(EVENT_CATALOGUE.map((e) => [e.event, e]))("%s: a draft 2020-12 JSON Schema, an example it accepts, extra fields allowed, a string id required", (_name, entry) => {
    const schema = eventDataJsonSchema(entry.event);
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.required).toContain("id");
    for (const data of [entry.example, { ...entry.example, somethingNew: [1, { deep: true }] }]) {
      expect(checkEventData(entry.event, data)).toEqual([]);
      expect(jsonSchemaAccepts(entry.event, data)).toBe(true);
    }
    const { id: _id, ...withoutId } = entry.example;
    for (const data of [withoutId, { ...entry.example, id: 42 }]) {
      expect(checkEventData(entry.event, data).map((p) => p.pointer)).toEqual(["/data/id"]);
      expect(jsonSchemaAccepts(entry.event, data)).toBe(false);
    }
  });

  it("requires an object `changes` on task.updated and task.moved only", () => {
    const withChanges = EVENT_CATALOGUE.filter((e) => (eventDataJsonSchema(e.event).required as string[]).includes("changes")).map((e) => e.event);
    expect(withChanges).toEqual(["task.updated", "task.moved"]);
    expect(checkEventData("task.moved", { id: "tsk_1", changes: "column" })).toEqual([{ pointer: "/data/changes", message: "expected object, received string" }]);
    expect(jsonSchemaAccepts("task.moved", { id: "tsk_1", changes: "column" })).toBe(false);
  });

  it("types the fields of the user guide's payload where present, and the JSON Schema agrees", () => {
    const bad = { id: "tsk_1", title: 5, status: null, assignee: { name: "Jane Doe" }, changes: { status: { from: 1, to: "done" } } };
    expect(checkEventData("task.updated", bad, ["events", 2])).toEqual([
      { pointer: "/events/2/data/title", message: "expected string, received number" },
      { pointer: "/events/2/data/status", message: "expected string, received null" },
      { pointer: "/events/2/data/assignee/id", message: "is required" },
      { pointer: "/events/2/data/changes/status/from", message: "expected string, received number" },
    ]);
    expect(jsonSchemaAccepts("task.updated", bad)).toBe(false);
    // An unassigned task may say so with null.
    expect(checkEventData("task.created", { id: "tsk_1", assignee: null })).toEqual([]);
    expect(jsonSchemaAccepts("task.created", { id: "tsk_1", assignee: null })).toBe(true);
  });

  it("escapes JSON pointers as RFC 6901 says", () => {
    expect(jsonPointer(["data", "a/b", "c~d", 0])).toBe("/data/a~1b/c~0d/0");
  });
});
