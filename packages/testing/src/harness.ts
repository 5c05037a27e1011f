// The test harness without vitest: for code that runs outside vitest's fixtures (bench/,
// a browser test's setup). Tests import `@agiletune/testing`, which has all of this too.
export { startReceiver, type Receiver, type ReceivedRequest, type Responder } from "@agiletune/local-infra/receiver";
export { findLeakedSecrets, openApiProblems, startTestApi, testResolver, TEST_DNS, type ApiResponse, type RequestOptions, type TestApi, type TestApiOptions } from "./api-harness.js";
export { consumeJobs, readTopic, type ReadMessage } from "./kafka-reader.js";
export { LeakError, ResourceTracker, type LeakCheckOptions } from "./leaks.js";
export { domainEvent, insertWebhook, SHORT_RETRY_DELAYS_MS, startPipeline, type Pipeline, type PipelineOptions } from "./pipeline.js";
export { startStack, type Stack, type StackOptions } from "./stack.js";
export { sleep, waitFor, type WaitForOptions } from "./wait-for.js";
