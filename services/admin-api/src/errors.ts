import { z } from "zod";

/**
 * The admin API's errors: one literal union of codes, each with its HTTP status and
 * whether the caller can usefully retry the same request. Routes throw `ApiError`; the
 * error middleware in app.ts turns it into CONTRACT §5's body
 * `{"error": {"code", "message", "details"}}` (`errorBodySchema`, also the document's `Error`).
 */
export const API_ERROR_CODES = {
  malformed_request: { status: 400, retriable: false },
  unauthorized: { status: 401, retriable: false },
  forbidden: { status: 403, retriable: false },
  not_found: { status: 404, retriable: false },
  method_not_allowed: { status: 405, retriable: false },
  conflict: { status: 409, retriable: false },
  payload_too_large: { status: 413, retriable: false },
  unsupported_media_type: { status: 415, retriable: false },
  validation_failed: { status: 422, retriable: false },
  internal: { status: 500, retriable: true },
  unavailable: { status: 503, retriable: true },
} as const;

export type ApiErrorCode = keyof typeof API_ERROR_CODES;

/** One offending input: `field` is a dotted path (`events.2`), `query.limit`, or `(body)`. */
const errorDetailSchema = z.strictObject({ field: z.string(), message: z.string() });
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

export const validationFailed = (details: ErrorDetail[]): ApiError =>
  new ApiError("validation_failed", details.length === 1 ? `${details[0]!.field}: ${details[0]!.message}` : "the request is not valid", details);
