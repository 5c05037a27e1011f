// The delivery log (collections `deliveries`, `delivery_attempts`, `dead_letters`,
// `parked_deliveries`): its current layout lives in this folder only, its earlier layouts in
// migrate-legacy.ts only, and what the database server needs done its own way in the store
// profile (../store-profile.ts).
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
export type { AttemptDoc, AttemptRecord, DeadLetterDoc, DeliveryDoc, DeliveryStatus, ParkedDoc, Payload } from "./documents.js";
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
export { migrateLegacyLayout, type MigrationCounts } from "./migrate-legacy.js";
export { ensureTtlIndexes, expiredFilter, retentionCutoff, startRetention, sweepExpired, ttlIndexes } from "./retention.js";
export type { Retention, RetentionPeriods, SweepCounts, SweepOptions } from "./retention.js";
export { activeChains, chainIdOf, deliveryStatus, dropChains, endHeld, heldJob, heldOfWebhook, holdDelivery, loadChain, newChain, nextHeld, releaseHeld, saveChain } from "./ordering.js";
export type { ChainDoc, ChainLink } from "./ordering.js";
