import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSRequestTimeoutError } from "kafkajs";
import { BSON, MongoInvalidArgumentError, MongoNetworkError, MongoNetworkTimeoutError, MongoServerError, MongoServerSelectionError, type TopologyDescription } from "mongodb";
import { describe, expect, it } from "vitest";
import { DeliveryError, describeFailure, failureCodeOf, InvalidInputError, isRetryable } from "./errors.js";

/** A broker's error answer as kafkajs raises it (the fields of its protocol error table). */
function protocolError(type: string, code: number, retriable: boolean): KafkaJSProtocolError {
  return new KafkaJSProtocolError(Object.assign(new Error(`broker answered ${type}`), { type, code, retriable }));
}
/** How kafkajs's retrier throws what it did not retry (its types leave out the metadata argument). */
const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: Error, metadata: { cause: Error }) => KafkaJSNonRetriableError;
const givenUp = (cause: Error) => new NonRetriable(cause, { cause });

/** The driver's description of a deployment with no server reachable (only its class is exported as a type). */
const noServers = { type: "Unknown", servers: new Map() } as unknown as TopologyDescription;

function bsonError(): unknown {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  try {
    BSON.serialize(circular);
  } catch (err) {
    return err;
  }
  throw new Error("serialized a circular document");
}

describe("isRetryable", () => {
  it.each([
    ["a lost connection to the broker", new KafkaJSConnectionError("Connection error: ECONNREFUSED", { broker: "127.0.0.1:9092" })],
    [
      "a broker request timeout",
      new KafkaJSRequestTimeoutError("Request Produce(key: 0, version: 7) timed out", { broker: "b", clientId: "fanout", correlationId: 1, createdAt: 0, sentAt: 0, pendingDuration: 0 }),
    ],
    ["a retriable protocol error", protocolError("NOT_LEADER_FOR_PARTITION", 6, true)],
    ["retries exhausted on a leader change", new KafkaJSNumberOfRetriesExceeded(protocolError("LEADER_NOT_AVAILABLE", 5, true), { retryCount: 5, retryTime: 1000 })],
    ["a producer disconnecting", new KafkaJSNonRetriableError("The producer is disconnecting; therefore, it can't safely accept messages anymore")],
    ["a lost connection to the database", new MongoNetworkError("connect ECONNREFUSED 127.0.0.1:27017")],
    ["a database socket timeout", new MongoNetworkTimeoutError("connection 3 to 127.0.0.1:27017 timed out")],
    ["no server to select", new MongoServerSelectionError("Server selection timed out after 30000 ms", noServers)],
    ["a write to a stepped-down primary", new MongoServerError({ code: 10107, codeName: "NotWritablePrimary", errmsg: "not primary" })],
    ["a server shutting down", new MongoServerError({ code: 91, codeName: "ShutdownInProgress", errmsg: "shutdown in progress" })],
    ["a delivery that timed out", new DeliveryError("timeout", "no response in 30000 ms")],
    ["an error nobody classified", new TypeError("Cannot read properties of undefined")],
    ["something thrown that is not an error", "down"],
  ])("retries %s", (_what, err) => {
    expect(isRetryable(err)).toBe(true);
  });

  it.each([
    ["a record over the topic's limit", givenUp(protocolError("MESSAGE_TOO_LARGE", 10, false)), "record_refused"],
    ["a record the broker's validation refuses", givenUp(protocolError("INVALID_RECORD", 87, false)), "record_refused"],
    // kafkajs calls it retriable; the producer has retried it already.
    ["a corrupt record", new KafkaJSNumberOfRetriesExceeded(protocolError("CORRUPT_MESSAGE", 2, true), { retryCount: 5, retryTime: 1000 }), "record_refused"],
    ["a document failing the collection's validation", new MongoServerError({ code: 121, codeName: "DocumentValidationFailure", errmsg: "Document failed validation" }), "document_refused"],
    ["a document over 16 MiB", new MongoServerError({ code: 10334, codeName: "BSONObjectTooLarge", errmsg: "object to insert too large" }), "document_refused"],
    ["a document the driver will not send", new MongoInvalidArgumentError("Document is larger than the maximum size 16777216"), "document_refused"],
    ["a value that is not BSON", bsonError(), "document_refused"],
    ["input our code refuses", new InvalidInputError("not an event"), "invalid_input"],
  ])("does not retry %s", (_what, err, code) => {
    expect(isRetryable(err)).toBe(false);
    expect(failureCodeOf(err)).toBe(code);
  });

  it("believes an error that says itself whether to retry", () => {
    expect(isRetryable(new DeliveryError("gone", "410 Gone"))).toBe(false);
  });
});

describe("describeFailure", () => {
  it("names the code and the broker's or the server's name for the failure", () => {
    expect(describeFailure(givenUp(protocolError("MESSAGE_TOO_LARGE", 10, false)))).toBe("record_refused (MESSAGE_TOO_LARGE): broker answered MESSAGE_TOO_LARGE");
    expect(describeFailure(new MongoServerError({ code: 121, codeName: "DocumentValidationFailure", errmsg: "Document failed validation" }))).toBe(
      "document_refused (DocumentValidationFailure): Document failed validation",
    );
    expect(describeFailure(new InvalidInputError("not an event"))).toBe("invalid_input (InvalidInputError): not an event");
  });
});
