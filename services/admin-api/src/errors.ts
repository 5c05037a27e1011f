import { z } from "zod";

/**
 * The admin API's errors: one literal union of codes, each with its HTTP status and
 * whether the caller can usefully retry the same request. Routes throw `ApiError`; the
 * error middleware in app.ts turns it into docs/openapi.json's body
 * `{"error": {"code", "message", "details"}}` (`errorBodySchema`, also the document's `Error`).
 */
export const API_ERROR_CODES = {
  malformed_request: { status: 400, retriable: false },
  unauthorized: { status: 401, retriable: false },
  forbidden: { status: 403, retriable: false },
  not_found: { status: 404, retriable: false },
  method_not_allowed: { status: 405, retriable: false },
  conflict: { status: 409, retriable: false },
  idempotency_key_reused: { status: 409, retriable: false },
  payload_too_large: { status: 413, retriable: false },
  unsupported_media_type: { status: 415, retriable: false },
  validation_failed: { status: 422, retriable: false },
  internal: { status: 500, retriable: true },
  unavailable: { status: 503, retriable: true },
} as const;

export type ApiErrorCode = keyof typeof API_ERROR_CODES;

/** One offending input: `field` is a dotted path (`events.2`), `query.limit`, or `(body)`; `pointer` the same as a JSON pointer into the body where the API gives one (publishing events). */
const errorDetailSchema = z.strictObject({ field: z.string(), message: z.string(), pointer: z.string().optional() });
export type ErrorDetail = z.output<typeof errorDetailSchema>;

export const errorBodySchema = z
  .strictObject({
    error: z.strictObject({
      code: z.enum(Object.keys(API_ERROR_CODES) as [ApiErrorCode, ...ApiErrorCode[]]),
      message: z.string(),
      details: z.array(errorDetailSchema),
    }),
  })
  .meta({ id: "Error" });
export type ErrorBody = z.output<typeof errorBodySchema>;

export class ApiError extends Error {
  readonly details: ErrorDetail[];

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    details: ErrorDetail[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ApiError";
    this.details = details;
  }

  get status(): number {
    return API_ERROR_CODES[this.code].status;
  }

  get retriable(): boolean {
    return API_ERROR_CODES[this.code].retriable;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export const notFound = (what: string): ApiError => new ApiError("not_found", `${what} not found`);

/** Ping, redeliver and recover: the dispatcher would only cancel what they queue. */
export const inactiveWebhook = (): ApiError => new ApiError("conflict", "the webhook is inactive; activate it (PATCH active: true) first");

export const validationFailed = (details: ErrorDetail[]): ApiError =>
  new ApiError("validation_failed", details.length === 1 ? `${details[0]!.field}: ${details[0]!.message}` : "the request is not valid", details);

/** Our fault, or nothing a retry would change: the message says nothing more, the log has the cause. */
const internalError = (cause: unknown): ApiError => new ApiError("internal", "internal error; it has been logged", [], { cause });

/**
 * What an error says about retrying (its `retriable` flag), or undefined when it says
 * nothing. kafkajs errors carry the flag; its retrier reports giving up as a non-retriable
 * error whose `cause` is the failure it gave up on (`KafkaJSNumberOfRetriesExceeded` on a
 * connection error, a `KafkaJSNonRetriableError` around that), so the innermost flag in the
 * `cause` chain is the one that describes what went wrong.
 */
export function retriableFlag(err: unknown): boolean | undefined {
  let flag: boolean | undefined;
  const seen = new Set<unknown>();
  for (let e = err; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    const retriable = (e as { retriable?: unknown }).retriable;
    if (typeof retriable === "boolean") flag = retriable;
  }
  return flag;
}

/** MongoDB driver errors that mean the server is away, not that the request was wrong. */
function isMongoUnavailable(err: unknown): boolean {
  return /^Mongo(ServerSelection|Network|NotConnected|Topology)/.test((err as Error)?.name ?? "");
}

/**
 * Any error as the API answers it: an `ApiError` as it is; a dependency that may come
 * back (a retriable Kafka error, an unreachable database) as 503 `unavailable` with
 * `message`; anything else, non-retriable Kafka errors included, as 500 `internal`.
 */
export function toApiError(err: unknown, message = "a dependency is unavailable; try again"): ApiError {
  if (err instanceof ApiError) return err;
  const retriable = retriableFlag(err);
  if (retriable === true || (retriable === undefined && isMongoUnavailable(err))) return new ApiError("unavailable", message, [], { cause: err });
  return internalError(err);
}
