/** The guide's event table (the form reads the same from GET /v1/event-types). */
export const EVENT_DESCRIPTIONS: ReadonlyArray<readonly [string, string]> = [
  ["task.created", "A new task is created"],
  ["task.updated", "A task's fields are changed"],
  ["task.deleted", "A task is permanently deleted"],
  ["task.moved", "A task is moved to a different column"],
  ["comment.created", "A comment is added to a task"],
  ["member.added", "A member is added to the organization"],
  ["member.removed", "A member is removed from the organization"],
  ["project.created", "A new project is created"],
];
