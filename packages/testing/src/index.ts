// Test support for the workspace, used only by tests (and bench/): vitest fixtures that hand
// out the real broker, database, services, admin API and loopback receivers and fail a test
// that leaves any of them open, with the helpers tests use beside them. The functions the
// fixtures are built on are in `@agiletune/testing/harness`, for use outside vitest.
export type { Receiver, ReceivedRequest, Responder } from "@agiletune/local-infra/receiver";
export type { ApiResponse, RequestOptions, TestApi, TestApiOptions } from "./api-harness.js";
export { apiTest, integrationTest, pipelineTest, type InfraFixtures } from "./fixtures.js";
export { consumeJobs, readTopic, type ReadMessage } from "./kafka-reader.js";
export { makeTestCertificates, startMtlsReceiver, startOAuthServer, type MtlsReceiver, type OAuthServer, type TestCertificates } from "./endpoint-peers.js";
export { freePort } from "./free-port.js";
export { capturingLogger } from "./log-capture.js";
export { LeakError, ResourceTracker, type LeakCheckOptions } from "./leaks.js";
export type { Pipeline, PipelineOptions } from "./pipeline.js";
export { domainEvent, insertWebhook } from "./test-data.js";
export { sleep, waitFor, type WaitForOptions } from "./wait-for.js";
export { kafkaClusterTest } from "./cluster-fixtures.js";
