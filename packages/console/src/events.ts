import type { EventType } from "./api.js";

/** The event names' groups on the form, in the user guide's order. */
const GROUPS: Array<{ prefix: string; label: string }> = [
  { prefix: "task.", label: "Tasks" },
  { prefix: "comment.", label: "Comments" },
  { prefix: "member.", label: "Members" },
  { prefix: "project.", label: "Projects" },
];

/** Event types by group (Tasks, Comments, Members, Projects, then any other), catalogue order kept. */
export function groupEventTypes<T extends Pick<EventType, "event">>(types: T[]): Array<{ label: string; types: T[] }> {
  const groups = GROUPS.map((g) => ({ label: g.label, types: types.filter((t) => t.event.startsWith(g.prefix)) }));
  const other = types.filter((t) => !GROUPS.some((g) => t.event.startsWith(g.prefix)));
  if (other.length) groups.push({ label: "Other", types: other });
  return groups.filter((g) => g.types.length > 0);
}
