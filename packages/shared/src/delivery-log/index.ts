// The delivery log (collections `deliveries`, `delivery_attempts`, `dead_letters`): its
// shapes, and every workaround the database needs, live in this folder only.
export {
  attemptCountOf,
  attemptsCollection,
  attemptsInside,
  parkedCollection,
  payloadFrom,
  storedAttempts,
  storedPayloadOf,
  deadLettersCollection,
  deliveriesCollection,
  DELIVERY_STATUSES,
  newDeliveryEntry,
  RESPONSE_BODY_LOG_LIMIT,
} from "./documents.js";
export type { AttemptDoc, AttemptRecord, DeadLetterDoc, DeliveryDoc, DeliveryStatus, Payload } from "./documents.js";
export {
  countByStatus,
  countReplayable,
  deadLetterQuery,
  findDelivery,
  listDeadLetters,
  listDeliveries,
  loadAttempts,
  markRecovered,
  markReplayed,
  nextRecoverable,
  nextReplayable,
  oldestParked,
  parkedDeliveryIds,
  REPLAY_BATCH_SIZE,
} from "./reader.js";
export type { DeadLetterFilter, RecoverFilter } from "./reader.js";
export { DeliveryLogWriter, forgetPendingDelivery, recordPendingDelivery } from "./writer.js";
export type { LoggedAttempt, StatusChange } from "./writer.js";
export { LogWriter, type LogCommand } from "./batched-writer.js";
export { ensureTtlIndexes, expiredFilter, retentionCutoff, serverHasTtlIndexes, startRetention, sweepExpired, ttlIndexes } from "./retention.js";
export type { Retention, RetentionPeriods, SweepCounts, SweepOptions } from "./retention.js";
