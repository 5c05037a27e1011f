import { describe, expect, it } from "vitest";
import { deliveryIdFor } from "./delivery-job.js";
import { deliveryTraceContext, newSpanId, parseTraceContext, traceIdOf, withSpanId } from "./trace-context.js";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";

describe("parseTraceContext", () => {
  it("takes a valid traceparent and its tracestate as they came", () => {
    expect(parseTraceContext(`00-${TRACE}-${SPAN}-01`, "a=1,b=2")).toEqual({ traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: "a=1,b=2" });
    expect(parseTraceContext(`00-${TRACE}-${SPAN}-00`, undefined)).toEqual({ traceparent: `00-${TRACE}-${SPAN}-00` });
  });

  it("reads a later version by its first four fields and carries it on as version 00", () => {
    expect(parseTraceContext(`01-${TRACE}-${SPAN}-01-extra`, undefined)).toEqual({ traceparent: `00-${TRACE}-${SPAN}-01` });
  });

  it("ignores what the spec calls invalid, so the event gets a trace per delivery", () => {
    for (const bad of [
      "",
      "garbage",
      `ff-${TRACE}-${SPAN}-01`,
      `00-${"0".repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${"0".repeat(16)}-01`,
      `00-${TRACE}-${SPAN}-01-extra`,
      `00-${TRACE.slice(1)}-${SPAN}-01`,
      `00-${TRACE.replace("4", "g")}-${SPAN}-01`,
    ]) {
      expect(parseTraceContext(bad, "a=1"), bad).toBeUndefined();
    }
    expect(parseTraceContext(undefined, "a=1")).toBeUndefined();
  });

  it("drops an unusable tracestate but keeps the traceparent", () => {
    expect(parseTraceContext(`00-${TRACE}-${SPAN}-01`, "x".repeat(513))).toEqual({ traceparent: `00-${TRACE}-${SPAN}-01` });
    expect(parseTraceContext(`00-${TRACE}-${SPAN}-01`, "a=\u00e9")).toEqual({ traceparent: `00-${TRACE}-${SPAN}-01` });
  });
});

describe("deliveryTraceContext", () => {
  it("is the job's own context when it has one", () => {
    expect(deliveryTraceContext({ deliveryId: "dlv_1", traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: "a=1" })).toEqual({ traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: "a=1" });
  });

  it("without one, a trace of the delivery's own: the same for every attempt of it, another for another delivery", () => {
    const first = deliveryTraceContext({ deliveryId: "dlv_1" });
    expect(first.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(deliveryTraceContext({ deliveryId: "dlv_1" })).toEqual(first);
    expect(traceIdOf(deliveryTraceContext({ deliveryId: "dlv_2" }).traceparent)).not.toBe(traceIdOf(first.traceparent));
  });

  it("takes a delivery id's 32 hex digits as the trace id, and never an all-zero one", () => {
    const id = deliveryIdFor("evt_1", "wh_1");
    const own = deliveryTraceContext({ deliveryId: id });
    expect(own.traceparent).toMatch(/^00-[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-01$/);
    expect(traceIdOf(own.traceparent)).toBe(id.slice(4));
    expect(traceIdOf(deliveryTraceContext({ deliveryId: `dlv_${"0".repeat(32)}` }).traceparent)).not.toBe("0".repeat(32));
  });
});

describe("span ids", () => {
  it("withSpanId keeps the trace and flags", () => {
    expect(withSpanId(`00-${TRACE}-${SPAN}-01`, "1111111111111111")).toBe(`00-${TRACE}-1111111111111111-01`);
  });

  it("newSpanId gives 16 hex digits, not all zero, different each time", () => {
    const ids = Array.from({ length: 1000 }, newSpanId);
    for (const id of ids) expect(id).toMatch(/^(?!0{16})[0-9a-f]{16}$/);
    expect(new Set(ids).size).toBe(1000);
  });
});
