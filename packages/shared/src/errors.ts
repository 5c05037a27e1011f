/**
 * Why a delivery attempt failed. Each code says whether another attempt can help, so
 * the dispatcher asks the error instead of parsing messages.
 */
export const DELIVERY_ERROR_CODES = {
  /** A non-2xx answer (redirects included: they are not followed). */
  http_status: { retriable: true },
  /** 410 Gone: the receiver says the endpoint is no more (CONTRACT §8: the webhook is deactivated). */
  gone: { retriable: false },
  /** No full response within DELIVERY_TIMEOUT_MS. */
  timeout: { retriable: true },
  connection_failed: { retriable: true },
  dns_failed: { retriable: true },
  /** The URL resolved to a refused address (private, loopback, metadata...). */
  private_address: { retriable: false },
  invalid_url: { retriable: false },
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
