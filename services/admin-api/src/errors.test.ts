import { createServer } from "node:net";
import kafkajs from "kafkajs";
import { MongoNetworkError } from "mongodb";
import { describe, expect, it } from "vitest";
import { ApiError, retriableFlag, toApiError } from "./errors.js";

// kafkajs is CommonJS and builds its exports by spreading; Node's ESM named-export detection misses the error classes.
const { Kafka, logLevel, KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSRequestTimeoutError } = kafkajs;

/** A protocol error as kafkajs makes it from a broker's error code (src/protocol/error.js). */
const protocolError = (type: string, code: number, retriable: boolean) => new KafkaJSProtocolError(Object.assign(new Error(`broker said ${type}`), { type, code, retriable }));

/** How kafkajs's retrier reports an error it does not retry (src/retry/index.js); the typings omit the second argument. */
const notRetried = (e: Error) => new (KafkaJSNonRetriableError as unknown as new (e: Error, m: { cause: unknown }) => Error)(e, { cause: e.cause ?? e });

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("toApiError: Kafka errors by their retriable flag", () => {
  it.each([
    ["a connection error", new KafkaJSConnectionError("Connection error: connect ECONNREFUSED 127.0.0.1:9092", { broker: "127.0.0.1:9092" })],
    ["a request timeout", new KafkaJSRequestTimeoutError("Request Produce(key: 0, version: 7) timed out")],
    ["a retriable protocol error", protocolError("NOT_LEADER_FOR_PARTITION", 6, true)],
    ["retries given up on a connection error", new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError("Connection timeout"), { retryCount: 5, retryTime: 3000 })],
    ["an outer retrier's wrapper of exhausted retries", notRetried(new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError("Connection timeout"), { retryCount: 5, retryTime: 3000 }))],
  ])("%s: 503, try again", (_, err) => {
    const apiError = toApiError(err, "the delivery queue is unavailable; try again");
    expect([apiError.status, apiError.code, apiError.message, apiError.cause]).toEqual([503, "unavailable", "the delivery queue is unavailable; try again", err]);
  });

  it.each([
    ["a non-retriable error", new KafkaJSNonRetriableError("Invalid topic agiletune deliveries")],
    ["a non-retriable protocol error", protocolError("MESSAGE_TOO_LARGE", 10, false)],
    ["the retrier's wrapper of a non-retriable protocol error", notRetried(protocolError("INVALID_TOPIC_EXCEPTION", 17, false))],
    // Only the flag counts, not the name a Kafka error happens to carry.
    ["an error named like a Kafka error without the flag", Object.assign(new Error("broker away"), { name: "KafkaJSConnectionError" })],
  ])("%s: 500, it would fail again the same way", (_, err) => {
    const apiError = toApiError(err, "the delivery queue is unavailable; try again");
    expect([apiError.status, apiError.code, apiError.message, apiError.cause]).toEqual([500, "internal", "internal error; it has been logged", err]);
  });

  it("reads the innermost flag of the cause chain, and survives a cycle", () => {
    expect(retriableFlag(new Error("plain"))).toBeUndefined();
    expect(retriableFlag(new KafkaJSNonRetriableError("x"))).toBe(false);
    expect(retriableFlag(new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError("x"), { retryCount: 1, retryTime: 1 }))).toBe(true);
    const a = new Error("a", { cause: undefined as unknown });
    const b = Object.assign(new Error("b", { cause: a }), { retriable: true });
    Object.assign(a, { cause: b });
    expect(retriableFlag(a)).toBe(true);
  });

  it("what a real kafkajs client throws when nothing answers on the broker's port is a 503", async () => {
    const kafka = new Kafka({ brokers: [`127.0.0.1:${await closedPort()}`], logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 20 } });
    const producer = kafka.producer();
    const err = await producer.connect().then(
      () => expect.unreachable("connected to a closed port"),
      (e: unknown) => e,
    );
    // kafkajs itself marks the wrapper non-retriable; the connection error inside it is not.
    expect(err).toMatchObject({ retriable: false, cause: { retriable: true } });
    expect(toApiError(err).status).toBe(503);
  });

  it("other errors: ApiError as it is, unreachable MongoDB 503, anything else 500", () => {
    const conflict = new ApiError("conflict", "no");
    expect(toApiError(conflict)).toBe(conflict);
    const mongo = new MongoNetworkError("connection 1 to 127.0.0.1:27017 closed");
    expect([toApiError(mongo).status, toApiError(mongo).message]).toEqual([503, "a dependency is unavailable; try again"]);
    const bug = new TypeError("cannot read properties of undefined");
    expect([toApiError(bug).status, toApiError(bug).cause]).toEqual([500, bug]);
  });
});
