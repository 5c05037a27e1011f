// Vitest global setup for integration tests: one broker and one database server for the
// whole run, started here if nothing is running, stopped at the end if started here.
import { execFileSync } from "node:child_process";
import { infraUp, installJaeger, installZipkin } from "@agiletune/local-infra";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    kafkaBrokers: string;
    mongoUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Where a Docker engine runs, the tests get a real MongoDB 7 rather than FerretDB.
  const container = !process.env.MONGO_URL && dockerEngineAvailable() ? await startMongoContainer() : undefined;
  const infra = await infraUp({ mongoUrl: container?.url });
  // A run that brings its own infrastructure (CI's clean clone) builds the tracing tests' Jaeger
  // and downloads their Zipkin here too, before any test, rather than in their beforeAll while
  // the other worker's tests share the two cores with the Go compiler. With shared
  // infrastructure, the tests fetch them if needed.
  if (!process.env.KAFKA_BROKERS) await Promise.all([installJaeger(), installZipkin()]);
  project.provide("kafkaBrokers", infra.kafkaBrokers);
  project.provide("mongoUrl", infra.mongoUrl);
  const started = [...(container ? ["mongo:7 container"] : []), ...infra.started];
  if (started.length) process.stderr.write(`[infra] started for this run: ${started.join(", ")}\n`);
  return async () => {
    await infra.stop();
    await container?.stop();
  };
}

function dockerEngineAvailable(): boolean {
  try {
    execFileSync("docker", ["info"], { stdio: "ignore", timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

async function startMongoContainer(): Promise<{ url: string; stop: () => Promise<unknown> }> {
  const { MongoDBContainer } = await import("@testcontainers/mongodb");
  const container = await new MongoDBContainer("mongo:7").start();
  return { url: `${container.getConnectionString()}/agiletune?directConnection=true`, stop: () => container.stop() };
}
