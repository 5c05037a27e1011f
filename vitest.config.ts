import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts", "scripts/**/*.test.ts", "bench/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "**/node_modules/**"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "integration",
          include: ["packages/*/src/**/*.int.test.ts", "services/*/src/**/*.int.test.ts", "test/**/*.int.test.ts"],
          globalSetup: ["packages/local-infra/src/vitest-global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Two cores run the broker, the database and the services under test too.
          maxWorkers: 2,
          // Unit tests first: they fail fast and need no infrastructure.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
