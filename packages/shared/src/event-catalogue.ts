import { z } from "zod";

/**
 * The event catalogue: for each event type of the user guide, its description, the schema
 * of its `data` and an example. The zod schema is the one definition: fanout and the
 * publish API validate with it, and `GET /v1/event-types` shows its JSON Schema (draft
 * 2020-12, `eventDataJsonSchema`). Permissive on purpose (docs/topics-and-formats.md#event-schemas):
 * a string `id` always, an object `changes` where the guide's payload has one, the guide's
 * fields typed where present, and anything else allowed, so upstream can add fields
 * without their events being set aside.
 */

const idField = z.string().meta({ description: "the id of the object the event is about" });
const person = z.looseObject({ id: z.string(), name: z.string().optional() });

/** The fields of a task the user guide's payload shows, each optional. */
const taskFields = {
  id: idField,
  title: z.string().optional(),
  status: z.string().optional(),
  // null: an unassigned task, which upstream may well send as null rather than leave out.
  assignee: person.nullable().optional(),
};
const statusChange = z.looseObject({ from: z.string().nullable().optional(), to: z.string().nullable().optional() });
const changes = z.looseObject({ status: statusChange.optional() }).meta({ description: "what changed: for each field, its value before (`from`) and after (`to`)" });

const task = z.looseObject(taskFields);
const changedTask = z.looseObject({ ...taskFields, changes });

const example = {
  task: { id: "tsk_abc123", title: "Implement login page", status: "in_progress", assignee: { id: "usr_xyz789", name: "Jane Doe" } },
};

export const EVENT_CATALOGUE = [
  { event: "task.created", description: "A new task is created", data: task, example: { ...example.task, status: "todo" } },
  {
    event: "task.updated",
    description: "A task's fields are changed",
    data: changedTask,
    // The user guide's payload example.
    example: { ...example.task, changes: { status: { from: "todo", to: "in_progress" } } },
  },
  { event: "task.deleted", description: "A task is permanently deleted", data: task, example: { id: "tsk_abc123", title: "Implement login page" } },
  {
    event: "task.moved",
    description: "A task is moved to a different column",
    data: changedTask,
    example: { ...example.task, column: "review", changes: { column: { from: "in_progress", to: "review" } } },
  },
  {
    event: "comment.created",
    description: "A comment is added to a task",
    data: z.looseObject({ id: idField }),
    example: { id: "cmt_def456", taskId: "tsk_abc123", body: "Looks good to me", author: { id: "usr_xyz789", name: "Jane Doe" } },
  },
  {
    event: "member.added",
    description: "A member is added to the organization",
    data: z.looseObject({ id: idField }),
    example: { id: "usr_xyz789", name: "Jane Doe", role: "member" },
  },
  { event: "member.removed", description: "A member is removed from the organization", data: z.looseObject({ id: idField }), example: { id: "usr_xyz789", name: "Jane Doe" } },
  { event: "project.created", description: "A new project is created", data: z.looseObject({ id: idField }), example: { id: "prj_ghi789", name: "Website relaunch" } },
] as const;

export type EventType = (typeof EVENT_CATALOGUE)[number]["event"];

const DATA_SCHEMAS: ReadonlyMap<string, z.ZodType> = new Map(EVENT_CATALOGUE.map((e) => [e.event, e.data]));

/** The JSON Schema (draft 2020-12) of one event type's `data`. */
export function eventDataJsonSchema(event: EventType): Record<string, unknown> {
  return z.toJSONSchema(DATA_SCHEMAS.get(event)!, { target: "draft-2020-12", io: "input" }) as Record<string, unknown>;
}

/** One reason an event fails its schema: where (RFC 6901 JSON pointer into the event) and what. */
export type SchemaProblem = { pointer: string; message: string };

/** A JSON pointer (RFC 6901) from a path of keys and indexes. */
export function jsonPointer(path: readonly PropertyKey[]): string {
  return path.map((p) => `/${String(p).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

/** Zod issues as problems, under `prefix` (the path of the value checked): at most 20, each once. */
export function schemaProblems(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): SchemaProblem[] {
  const problems = new Map<string, SchemaProblem>();
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const pointer = jsonPointer([...prefix, ...issue.path, key]);
        problems.set(pointer, { pointer, message: "is not a known field" });
      }
      continue;
    }
    const missing = issue.code === "invalid_type" && /received undefined$/.test(issue.message);
    const problem = { pointer: jsonPointer([...prefix, ...issue.path]), message: missing ? "is required" : issue.message.replace(/^Invalid input: /, "") };
    problems.set(`${problem.pointer}\u0000${problem.message}`, problem);
  }
  return [...problems.values()].slice(0, 20);
}

/**
 * Checks an event's `data` against its type's schema; the problems point into the event
 * (`/data/...`), itself at `at` (a batch's `/events/3`). An unknown type has no schema and
 * no problems here.
 */
export function checkEventData(event: string, data: unknown, at: readonly PropertyKey[] = []): SchemaProblem[] {
  const schema = DATA_SCHEMAS.get(event);
  if (!schema) return [];
  const result = schema.safeParse(data);
  return result.success ? [] : schemaProblems(result.error.issues, [...at, "data"]);
}
