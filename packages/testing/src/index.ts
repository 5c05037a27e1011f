// Test support for the workspace, used only by tests (and bench/): vitest fixtures that hand
// out the real broker, database, services and loopback receivers and fail a test that
// leaves any of them open, plus the harness they are built on.
export * from "./harness.js";
export { apiTest, integrationTest, pipelineTest, type InfraFixtures } from "./fixtures.js";
