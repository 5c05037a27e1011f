import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts", "scripts/**/*.test.ts", "bench/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/*.loopback.test.ts", "**/node_modules/**"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          // Real HTTP (or TCP) servers and clients on 127.0.0.1, and nothing else: no broker,
          // no database, so no global setup, and they run beside the unit tests.
          name: "loopback",
          include: ["packages/*/src/**/*.loopback.test.ts", "services/*/src/**/*.loopback.test.ts", "bench/**/*.loopback.test.ts"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "integration",
          include: ["packages/*/src/**/*.int.test.ts", "services/*/src/**/*.int.test.ts", "test/**/*.int.test.ts"],
          globalSetup: ["packages/testing/src/vitest-global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Two cores run the broker, the database and the services under test too.
          maxWorkers: 2,
          // Unit and loopback tests first: they fail fast and need no infrastructure.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
