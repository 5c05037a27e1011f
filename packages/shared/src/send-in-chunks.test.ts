import type { Message, TopicMessages } from "kafkajs";
import { describe, expect, it } from "vitest";
import { sendInChunks } from "./send-in-chunks.js";

function recordingProducer() {
  const requests: TopicMessages[][] = [];
  return {
    requests,
    producer: {
      sendBatch: async ({ topicMessages }: { topicMessages: TopicMessages[] }) => {
        requests.push(topicMessages);
        return [];
      },
    },
  };
}
const message = (id: number, bytes: number): Message => ({ key: `k${id}`, value: Buffer.alloc(bytes, 120) });
const keys = (request: TopicMessages[]) => request.flatMap((t) => t.messages.map((m) => `${t.topic}:${String(m.key)}`));

describe("sendInChunks", () => {
  it("keeps each request under 512 KB, in order, and a message larger than that alone", async () => {
    const { requests, producer } = recordingProducer();
    const big = [message(0, 200_000), message(1, 200_000), message(2, 200_000), message(3, 900_000), message(4, 10)];
    await sendInChunks(producer, [
      { topic: "a", messages: big },
      { topic: "b", messages: [message(5, 10)] },
    ]);
    expect(requests.map(keys)).toEqual([["a:k0", "a:k1"], ["a:k2"], ["a:k3"], ["a:k4", "b:k5"]]);
  });

  it("makes a lazy iterable's messages only as each request is filled", async () => {
    const { requests, producer } = recordingProducer();
    const madeBeforeRequest: number[] = [];
    let made = 0;
    const original = producer.sendBatch;
    producer.sendBatch = async (args) => {
      madeBeforeRequest.push(made);
      return original(args);
    };
    function* lazily() {
      for (let i = 0; i < 10; i++) {
        made++;
        yield message(i, 200_000);
      }
    }
    await sendInChunks(producer, [{ topic: "a", messages: lazily() }]);
    expect(requests).toHaveLength(5);
    // The first request goes out once its third message shows it is full, not after all ten.
    expect(madeBeforeRequest).toEqual([3, 5, 7, 9, 10]);
  });
});
