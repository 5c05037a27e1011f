import { afterPosition } from "@agiletune/shared";
import { z } from "zod";
import { validationFailed } from "./errors.js";

/**
 * An opaque position in a list sorted newest first by (time, id): the time and id of the
 * last item returned. The next page holds the items strictly after it, so inserts and
 * deletes between pages neither repeat nor skip the items already seen.
 */
export type Cursor = { at: Date; id: string };

const cursorSchema = z.strictObject({ v: z.literal(1), t: z.number().int().nonnegative(), i: z.string().min(1).max(200) });

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ v: 1, t: cursor.at.getTime(), i: cursor.id })).toString("base64url");
}

/** Throws a 422 naming `query.cursor` when the cursor was not made by `encodeCursor`. */
export function decodeCursor(raw: string): Cursor {
  const invalid = () => validationFailed([{ field: "query.cursor", message: "is not a cursor returned by this API" }]);
  if (raw.length > 512 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  const parsed = cursorSchema.safeParse(value);
  if (!parsed.success) throw invalid();
  return { at: new Date(parsed.data.t), id: parsed.data.i };
}

/** The Mongo filter for "after this cursor" (see `afterPosition`). */
export const afterCursor = afterPosition;

/** Splits a `limit + 1` fetch into the page and the cursor of the next one (null at the end). */
export function page<T>(docs: T[], limit: number, position: (doc: T) => Cursor): { items: T[]; nextCursor: string | null } {
  const items = docs.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: docs.length > limit && last !== undefined ? encodeCursor(position(last)) : null };
}
