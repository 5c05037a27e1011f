// The test harness without vitest, for code that runs outside vitest's fixtures (bench/,
// a browser test's setup): everything `@agiletune/testing` has but the fixtures.
export { startReceiver, type Receiver, type ReceivedRequest, type Responder } from "@agiletune/local-infra/receiver";
export { startTestApi, type ApiResponse, type RequestOptions, type TestApi, type TestApiOptions } from "./api-harness.js";
export { consumeJobs, readTopic, type ReadMessage } from "./kafka-reader.js";
export { makeTestCertificates, startMtlsReceiver, startOAuthServer, type MtlsReceiver, type OAuthServer, type TestCertificates } from "./endpoint-peers.js";
export { LeakError, ResourceTracker, type LeakCheckOptions } from "./leaks.js";
export { capturingLogger } from "./log-capture.js";
export { SHORT_RETRY_DELAYS_MS, startPipeline, type Pipeline, type PipelineOptions } from "./pipeline.js";
export { startStack, type Stack, type StackOptions } from "./stack.js";
export { domainEvent, insertWebhook } from "./test-data.js";
export { sleep, waitFor, type WaitForOptions } from "./wait-for.js";
