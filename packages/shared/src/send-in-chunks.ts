import type { Message, Producer, TopicMessages } from "kafkajs";

/** Messages may be made as they are sent: a chunk fanned out to many webhooks is then never encoded whole. */
export type LazyTopicMessages = { topic: string; messages: Iterable<Message> };

/** Comfortably under the broker's default 1 MB record-batch limit. */
const MAX_REQUEST_BYTES = 512 * 1024;

function approximateSize(message: Message): number {
  let size = 64;
  if (message.key) size += message.key.length;
  if (message.value) size += message.value.length;
  for (const [name, value] of Object.entries(message.headers ?? {})) size += name.length + (value ? String(value).length : 0);
  return size;
}

/**
 * `sendBatch` in requests of bounded size, one at a time, so a chunk of large events never
 * trips the broker's size limit as a whole, and at most one request's messages need to be
 * in memory. Resolves when every message is acknowledged.
 */
export async function sendInChunks(producer: Pick<Producer, "sendBatch">, topicMessages: LazyTopicMessages[]): Promise<void> {
  let request: TopicMessages[] = [];
  let requestBytes = 0;
  const flush = async () => {
    if (request.length) await producer.sendBatch({ topicMessages: request });
    request = [];
    requestBytes = 0;
  };
  for (const { topic, messages } of topicMessages) {
    for (const message of messages) {
      const size = approximateSize(message);
      if (requestBytes + size > MAX_REQUEST_BYTES) await flush();
      const last = request[request.length - 1];
      if (last?.topic === topic) last.messages.push(message);
      else request.push({ topic, messages: [message] });
      requestBytes += size;
    }
  }
  await flush();
}
