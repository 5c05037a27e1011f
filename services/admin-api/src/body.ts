import type { Context } from "koa";
import getRawBody from "raw-body";
import { ApiError } from "./errors.js";

/** docs/openapi.json: bodies over 1 MB are refused with 413. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads and parses a JSON request body: `undefined` when the request has none. Refuses
 * (before reading) anything not JSON, compressed or not UTF-8 (415), over the limit
 * (413, without buffering more than the limit), invalid UTF-8 or invalid JSON (400).
 */
export async function readJsonBody(ctx: Context, limit = MAX_BODY_BYTES): Promise<unknown> {
  const headers = ctx.req.headers;
  const hasBody = headers["transfer-encoding"] !== undefined || (headers["content-length"] !== undefined && headers["content-length"] !== "0");
  if (!hasBody) return undefined;
  const encoding = (headers["content-encoding"] ?? "identity").toLowerCase();
  if (encoding !== "identity") throw new ApiError("unsupported_media_type", `Content-Encoding ${encoding} is not supported; send the JSON uncompressed`);
  if (!ctx.request.is("application/json", "application/*+json")) {
    throw new ApiError("unsupported_media_type", "the body must be JSON, sent with Content-Type: application/json");
  }
  const charset = ctx.request.charset;
  if (charset && charset.toLowerCase() !== "utf-8" && charset.toLowerCase() !== "utf8") {
    throw new ApiError("unsupported_media_type", "the body must be UTF-8");
  }
  let bytes: Buffer;
  try {
    const length = headers["content-length"];
    bytes = await getRawBody(ctx.req, { limit, length: length === undefined ? undefined : Number(length) });
  } catch (err) {
    const type = (err as { type?: string }).type;
    // Tell the client to stop sending; Node discards whatever else arrives.
    if (type === "entity.too.large") {
      ctx.set("Connection", "close");
      throw new ApiError("payload_too_large", `the body must be at most ${limit} bytes`);
    }
    throw new ApiError("malformed_request", type === "request.size.invalid" ? "the body is shorter or longer than Content-Length" : "the body could not be read");
  }
  let textBody: string;
  try {
    textBody = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError("malformed_request", "the body is not valid UTF-8");
  }
  if (textBody.trim() === "") return undefined;
  try {
    return JSON.parse(textBody) as unknown;
  } catch (err) {
    // V8's message quotes the body; only its position is passed on, so nothing sent is echoed.
    const position = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new ApiError("malformed_request", `the body is not valid JSON${position === undefined ? "" : ` (at position ${position})`}`);
  }
}
