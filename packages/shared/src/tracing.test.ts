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

  it("follows OTEL_TRACES_EXPORTER: an exporter it names counts with its endpoint set", () => {
    const zipkin = "http://127.0.0.1:9411/api/v2/spans";
    const otlp = "http://127.0.0.1:4318";
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: "zipkin", OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkin })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: " otlp , zipkin ", OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkin })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: "otlp,zipkin", OTEL_EXPORTER_OTLP_ENDPOINT: otlp })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: "console" })).toBe(true);
    // Named without its endpoint, or its endpoint without it being named: nothing.
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: "zipkin" })).toBe(false);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: "zipkin", OTEL_EXPORTER_OTLP_ENDPOINT: otlp })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkin })).toBe(false);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: "jaeger", OTEL_EXPORTER_OTLP_ENDPOINT: otlp })).toBe(false);
    // As the SDK reads it: `none` first is off, `none` among others means the default (OTLP).
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: otlp })).toBe(false);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: "zipkin,none", OTEL_EXPORTER_OTLP_ENDPOINT: otlp })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: "", OTEL_EXPORTER_OTLP_ENDPOINT: otlp })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: "zipkin", OTEL_EXPORTER_ZIPKIN_ENDPOINT: zipkin, OTEL_SDK_DISABLED: "true" })).toBe(false);
  });
});

describe("startTracing", () => {
  it("without an endpoint starts nothing: tracing stays off", async () => {
    const tracing = await startTracing("agiletune-test", {});
    expect(tracingOn()).toBe(false);
    await tracing.shutdown();
  });
});
