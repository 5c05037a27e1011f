import { createRequire } from "node:module";
import { logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { kafkaLogLevel } from "./kafka.js";

// kafkajs' table of broker error codes: the texts it puts in a response error's `error` field.
const { errorCodes } = createRequire(import.meta.url)("kafkajs/src/protocol/error.js") as { errorCodes: Array<{ type: string; message: string }> };
const textOf = (type: string) => errorCodes.find((e) => e.type === type)!.message;

describe("kafkaLogLevel", () => {
  it("puts the start-up races kafkajs retries at debug, by kafkajs' own texts", () => {
    for (const type of ["GROUP_LOAD_IN_PROGRESS", "NOT_COORDINATOR_FOR_GROUP", "GROUP_COORDINATOR_NOT_AVAILABLE", "NOT_LEADER_FOR_PARTITION", "LEADER_NOT_AVAILABLE"]) {
      expect([type, kafkaLogLevel(logLevel.ERROR, "Response JoinGroup(key: 11, version: 5)", { error: textOf(type) })]).toEqual([type, "debug"]);
    }
    expect(kafkaLogLevel(logLevel.ERROR, "Response CreateTopics(key: 19, version: 3)", { error: "Topic creation errors" })).toBe("debug");
    expect(kafkaLogLevel(logLevel.ERROR, "Response Metadata(key: 3, version: 6)", { error: textOf("UNKNOWN_TOPIC_OR_PARTITION") })).toBe("debug");
  });

  it("leaves every other error at error", () => {
    // The same text from another request is not the topic-creation race.
    expect(kafkaLogLevel(logLevel.ERROR, "Response Produce(key: 0, version: 7)", { error: "Topic creation errors" })).toBe("error");
    for (const type of ["REQUEST_TIMED_OUT", "UNKNOWN_TOPIC_OR_PARTITION", "INVALID_REPLICATION_FACTOR", "TOPIC_AUTHORIZATION_FAILED", "MESSAGE_TOO_LARGE"]) {
      expect([type, kafkaLogLevel(logLevel.ERROR, "Response Produce(key: 0, version: 7)", { error: textOf(type) })]).toEqual([type, "error"]);
    }
    // Not a response line: a consumer that crashed on a race still crashed.
    expect(kafkaLogLevel(logLevel.ERROR, `Crash: KafkaJSProtocolError: ${textOf("GROUP_LOAD_IN_PROGRESS")}`, { error: textOf("GROUP_LOAD_IN_PROGRESS") })).toBe("error");
    expect(kafkaLogLevel(logLevel.ERROR, "Connection error: connect ECONNREFUSED 127.0.0.1:9092", {})).toBe("error");
    expect(kafkaLogLevel(logLevel.WARN, "The group is rebalancing, re-joining", {})).toBe("warn");
  });
});
