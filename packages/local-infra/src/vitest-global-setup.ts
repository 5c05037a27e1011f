// Vitest global setup for integration tests: one broker and one database server for the
// whole run, started here if nothing is running, stopped at the end if started here.
import type { TestProject } from "vitest/node";
import { infraUp } from "./infra.js";

declare module "vitest" {
  export interface ProvidedContext {
    kafkaBrokers: string;
    mongoUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const infra = await infraUp({ useContainers: true });
  project.provide("kafkaBrokers", infra.kafkaBrokers);
  project.provide("mongoUrl", infra.mongoUrl);
  if (infra.started.length) process.stderr.write(`[infra] started for this run: ${infra.started.join(", ")}\n`);
  return () => infra.stop();
}
