/**
 * Why a delivery attempt failed. Each code says whether another attempt can help, so
 * the dispatcher asks the error instead of parsing messages.
 */
export const DELIVERY_ERROR_CODES = {
  /** A non-2xx answer (redirects included: they are not followed). */
  http_status: { retriable: true },
  /** 410 Gone: the receiver says the endpoint is no more (docs/endpoint-health.md: the webhook is deactivated). */
  gone: { retriable: false },
  /** No full response within DELIVERY_TIMEOUT_MS. */
  timeout: { retriable: true },
  connection_failed: { retriable: true },
  dns_failed: { retriable: true },
  /** The URL resolved to a refused address (private, loopback, metadata...). */
  private_address: { retriable: false },
  invalid_url: { retriable: false },
  /** OAuth 2.0: the token endpoint gave no access token (its answer is in the message); nothing was sent to the endpoint. */
  token_request_failed: { retriable: true },
  /** The webhook's secret cannot be decrypted, so the request cannot be signed. */
  unsignable: { retriable: false },
} as const;

export type DeliveryErrorCode = keyof typeof DELIVERY_ERROR_CODES;

export class DeliveryError extends Error {
  constructor(
    readonly code: DeliveryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "DeliveryError";
  }

  get retriable(): boolean {
    return DELIVERY_ERROR_CODES[this.code].retriable;
  }
}

/**
 * What a failed call to the broker, the database or our own code amounts to. Each code
 * says whether trying the same call again can help: an outage can pass, a record the
 * broker refuses or a document the database refuses will be refused every time.
 */
export const FAILURE_CODES = {
  /** The broker is away, moving leaders or coordinators, or slow: wait it out. */
  broker_unavailable: { retriable: true },
  /** The database is away, electing a primary, shutting down or slow: wait it out. */
  database_unavailable: { retriable: true },
  /** The broker refuses this record (too large, invalid, corrupt): it never will take it. */
  record_refused: { retriable: false },
  /** The database refuses this document (validation, too large, not BSON): it never will take it. */
  document_refused: { retriable: false },
  /** Our own check refused the input (an `InvalidInputError`). */
  invalid_input: { retriable: false },
  /**
   * Anything else: retried, as every failure was before codes existed. Setting input aside
   * because of an unforeseen failure (a bug, an unlisted outage) would divert good events.
   */
  unknown: { retriable: true },
} as const;

export type FailureCode = keyof typeof FAILURE_CODES;

/** Input our code refuses; the same input is refused every time, so it is never retried. */
export class InvalidInputError extends Error {
  readonly code = "invalid_input";
  readonly retriable = false;
  constructor(message: string) {
    super(message);
    this.name = "InvalidInputError";
  }
}

/**
 * Kafka error codes about the record itself (kafkajs marks CORRUPT_MESSAGE retriable: a
 * flipped bit on the way can pass, but a record corrupt as produced never will, and the
 * producer has already retried it).
 */
const REFUSED_RECORD_TYPES = new Set([
  "CORRUPT_MESSAGE",
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "INVALID_RECORD",
  "INVALID_TIMESTAMP",
  "INVALID_REQUIRED_ACKS",
  "UNSUPPORTED_COMPRESSION_TYPE",
  "UNSUPPORTED_FOR_MESSAGE_FORMAT",
]);

/** MongoDB server codes that refuse the document or query itself (the same from FerretDB). */
const REFUSED_DOCUMENT_CODES = new Set([
  2, // BadValue
  9, // FailedToParse
  10334, // BSONObjectTooLarge
  11000, // DuplicateKey
  14, // TypeMismatch
  17419, // a document grown over 16 MiB by an update
  52, // DollarPrefixedFieldName
  121, // DocumentValidationFailure
]);

/** Driver errors raised before anything reaches the server: the document cannot be sent. */
const REFUSED_DOCUMENT_CLASSES = new Set(["BSONError", "BSONVersionError", "MongoInvalidArgumentError"]);
/** Driver errors of a connection or topology that can come back. */
const UNAVAILABLE_DATABASE_CLASSES = new Set([
  "MongoNetworkError",
  "MongoNetworkTimeoutError",
  "MongoServerSelectionError",
  "MongoServerClosedError",
  "MongoTopologyClosedError",
  "MongoNotConnectedError",
  "MongoPoolClearedError",
  "MongoOperationTimeoutError",
  "MongoWriteConcernError",
]);

type ErrorLike = { name?: unknown; code?: unknown; type?: unknown; retriable?: unknown; cause?: unknown };

function kafkaCode(err: ErrorLike): FailureCode | null {
  if (typeof err.name !== "string" || !err.name.startsWith("KafkaJS")) return null;
  if (typeof err.type === "string" && REFUSED_RECORD_TYPES.has(err.type)) return "record_refused";
  // kafkajs wraps what it gave up on (KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded): the cause says why.
  if (err.cause && typeof err.cause === "object") {
    const cause = kafkaCode(err.cause as ErrorLike);
    if (cause) return cause;
  }
  // Every other broker failure, even one kafkajs calls non-retriable (a disconnecting
  // producer, a missing coordinator, a lock timeout), is about the broker, not the record.
  return "broker_unavailable";
}

function mongoCode(err: ErrorLike): FailureCode | null {
  if (typeof err.name !== "string") return null;
  if (REFUSED_DOCUMENT_CLASSES.has(err.name)) return "document_refused";
  if (UNAVAILABLE_DATABASE_CLASSES.has(err.name)) return "database_unavailable";
  if (!err.name.startsWith("Mongo")) return null;
  if (typeof err.code === "number" && REFUSED_DOCUMENT_CODES.has(err.code)) return "document_refused";
  // Not primary, shutting down, interrupted, write conflicts, timeouts: the server's
  // other answers are about its state, not the document.
  return "database_unavailable";
}

/** The failure code of anything thrown. */
export function failureCodeOf(err: unknown): FailureCode {
  if (err instanceof InvalidInputError) return "invalid_input";
  if (!err || typeof err !== "object") return "unknown";
  const like = err as ErrorLike;
  return kafkaCode(like) ?? mongoCode(like) ?? "unknown";
}

/**
 * Whether trying again can help. An error that says so itself (`retriable`, as
 * `DeliveryError` does) is believed; broker and database errors are classified by
 * `failureCodeOf`; anything else is retried.
 */
export function isRetryable(err: unknown): boolean {
  const code = failureCodeOf(err);
  if (code === "unknown" && err && typeof err === "object" && typeof (err as ErrorLike).retriable === "boolean") return (err as ErrorLike).retriable as boolean;
  return FAILURE_CODES[code].retriable;
}

/** One line naming a failure for an `x-error` header or a log: the code, the broker's or server's own name for it, the message. */
export function describeFailure(err: unknown): string {
  const like = (err && typeof err === "object" ? err : {}) as ErrorLike & { message?: unknown; codeName?: unknown };
  const root = like.name === "KafkaJSNonRetriableError" || like.name === "KafkaJSNumberOfRetriesExceeded" ? ((like.cause ?? like) as typeof like) : like;
  const specific = typeof root.type === "string" ? root.type : typeof root.codeName === "string" ? root.codeName : typeof root.name === "string" ? root.name : "Error";
  const message = typeof root.message === "string" ? root.message : String(err);
  return `${failureCodeOf(err)} (${specific}): ${message}`;
}
