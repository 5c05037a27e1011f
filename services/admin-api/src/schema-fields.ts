import { z } from "zod";
import { parseWebhookUrl, UrlRefusedError } from "./url-guard.js";

// Field schemas shared by the request schemas (schemas.ts, endpoint-settings-schemas.ts).

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A string without control characters or unpaired surrogates, at most `max` characters. */
export function text(max: number) {
  return z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), "must not contain control characters")
    .refine((s) => s.isWellFormed(), "must be valid Unicode (no unpaired surrogates)");
}

/** A webhook URL or a token endpoint: syntax only; the address rules need DNS and run in the route. */
export const urlField = z.string().superRefine((raw, ctx) => {
  try {
    parseWebhookUrl(raw);
  } catch (err) {
    if (!(err instanceof UrlRefusedError)) throw err;
    ctx.addIssue({ code: "custom", message: err.message });
  }
});
