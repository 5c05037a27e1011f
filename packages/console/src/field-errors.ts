import type { ErrorDetail } from "./api.js";

/** The webhook form's fields, named as the API names them in a 422's `details`. */
export type FormField = "url" | "contentType" | "secret" | "events" | "description" | "rateLimitPerSecond" | "ordered" | "headers" | "auth" | "ed25519";
const FIELDS: readonly FormField[] = ["url", "contentType", "secret", "events", "description", "rateLimitPerSecond", "ordered", "headers", "auth", "ed25519"];

/**
 * Splits a 422's details into messages per form field (`events.2` belongs to `events`)
 * and the rest, which the form shows at its top.
 */
export function fieldErrors(details: ErrorDetail[]): { byField: Partial<Record<FormField, string[]>>; other: ErrorDetail[] } {
  const byField: Partial<Record<FormField, string[]>> = {};
  const other: ErrorDetail[] = [];
  for (const detail of details) {
    const head = detail.field.split(".")[0] as FormField;
    if (FIELDS.includes(head)) {
      const index = detail.field.split(".")[1];
      (byField[head] ??= []).push(
        index !== undefined && head === "events"
          ? `entry ${Number(index) + 1} ${detail.message}`
          : index !== undefined && head !== "events"
            ? `${detail.field.slice(head.length + 1)} ${detail.message}`
            : detail.message,
      );
    } else {
      other.push(detail);
    }
  }
  return { byField, other };
}
