/**
 * Which fields of what the audit log records are secrets, by path: `*` is any one key.
 * A webhook's `secret`, every value of its `headers`, and all of its `auth` but the parts
 * that name rather than prove (CONTRACT §11). A new secret field is one more line here.
 */
const SECRET_PATHS: readonly string[] = ["secret", "headers.*", "auth.*"];

/** Paths under a secret pattern that are not secret. */
const PUBLIC_PATHS: readonly string[] = ["auth.type", "auth.username", "auth.tokenUrl", "auth.clientId", "auth.scope", "auth.audience"];

export const REDACTED = "[redacted]";

function matches(pattern: string, path: readonly string[]): boolean {
  const parts = pattern.split(".");
  return parts.length === path.length && parts.every((part, i) => part === "*" || part === path[i]);
}

function isSecret(path: readonly string[]): boolean {
  return SECRET_PATHS.some((p) => matches(p, path)) && !PUBLIC_PATHS.some((p) => matches(p, path));
}

/**
 * A copy of `value` with every secret replaced by "[redacted]". `null` and absent stay as
 * they are: "removed" and "not given" tell nothing of a secret.
 */
export function redactSecrets(value: unknown, path: readonly string[] = []): unknown {
  if (value === null || value === undefined) return value;
  if (path.length > 0 && isSecret(path)) return REDACTED;
  if (Array.isArray(value)) return value.map((item, i) => redactSecrets(item, [...path, String(i)]));
  if (typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redactSecrets(inner, [...path, key])]));
  }
  return value;
}

/** A field's value before and after a change; absent for "did not exist" (created, deleted). */
export type FieldChange = { from?: unknown; to?: unknown };

/** `changes` as recorded: each field's before and after, each side redacted as the field it is. */
export function redactChanges(changes: Record<string, FieldChange>): Record<string, FieldChange> {
  return Object.fromEntries(
    Object.entries(changes).map(([field, change]) => [
      field,
      {
        ...("from" in change && { from: redactSecrets(change.from, [field]) }),
        ...("to" in change && { to: redactSecrets(change.to, [field]) }),
      },
    ]),
  );
}
