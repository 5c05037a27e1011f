import type { KafkaMessage, Message } from "kafkajs";

/**
 * An event as it goes to the invalid topic: its key, value and headers unchanged, with
 * `x-error` saying why and `x-original-*` where it was, so it can be found and replayed.
 */
export function setAsideMessage(message: KafkaMessage, from: { topic: string; partition: number }, reason: string): Message {
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      "x-error": reason,
      "x-original-topic": from.topic,
      "x-original-partition": String(from.partition),
      "x-original-offset": message.offset,
      "x-original-timestamp": message.timestamp,
    },
  };
}
