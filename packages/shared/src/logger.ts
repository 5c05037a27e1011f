import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Field names that may carry a secret anywhere in a log object; pino replaces them.
 * Defence in depth: code never logs secrets on purpose.
 */
const REDACT_PATHS = [
  "secret",
  "previousSecret",
  "token",
  "authorization",
  "*.secret",
  "*.previousSecret",
  "*.token",
  "*.authorization",
  "*.headers.authorization",
  "req.headers.authorization",
  'headers["x-agiletune-signature"]',
  'headers["webhook-signature"]',
];

export function createLogger(service: string, level = "info"): Logger {
  return pino({
    level,
    base: { service },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
