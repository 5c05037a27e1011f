import { describe, expect, it } from "vitest";
import { startTracing, tracingOn, tracingRequested } from "./tracing.js";

describe("tracingRequested", () => {
  it("asks for spans only with an OTLP endpoint, and never with the SDK disabled", () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: " " })).toBe(false);
    expect(tracingRequested({ OTEL_SERVICE_NAME: "x", OTEL_TRACES_SAMPLER: "always_on" })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://127.0.0.1:4318/v1/traces" })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318", OTEL_SDK_DISABLED: "TRUE" })).toBe(false);
  });
});

describe("startTracing", () => {
  it("without an endpoint starts nothing: tracing stays off", async () => {
    const tracing = await startTracing("agiletune-test", {});
    expect(tracingOn()).toBe(false);
    await tracing.shutdown();
  });
});
