import { describe, expect, it } from "vitest";
import { lineFormatter, logFormat } from "./log-format.js";

describe("logFormat", () => {
  it("is pretty in a terminal and JSON elsewhere unless LOG_FORMAT says", () => {
    expect([logFormat(undefined, true), logFormat("", true), logFormat(undefined, false)]).toEqual(["pretty", "pretty", "json"]);
    expect([logFormat("json", true), logFormat("pretty", false)]).toEqual(["json", "pretty"]);
    expect(() => logFormat("text", true)).toThrow('LOG_FORMAT must be "json" or "pretty" (got "text")');
  });
});

describe("lineFormatter", () => {
  const line = (o: object) => JSON.stringify({ level: 30, time: "2026-03-20T12:00:01.234Z", service: "fanout", ...o });
  // Local time: the expected hour is whatever this machine's zone makes of the timestamp.
  const at = `${new Date("2026-03-20T12:00:01.234Z").toTimeString().slice(0, 8)}.234`;

  it("prints one readable line per log object, the component first and the service left to the prefix", () => {
    const pretty = lineFormatter("pretty", { colorize: false });
    expect(pretty(line({ port: 9101, msg: "ops endpoint listening" }))).toEqual([`[${at}] INFO: ops endpoint listening {"port":9101}`]);
    expect(pretty(line({ component: "fanout", msg: "fanout consuming" }))).toEqual([`[${at}] INFO: fanout consuming`]);
    expect(pretty(line({ level: 50, component: "kafkajs", error: "The request timed out", msg: "Response Produce(key: 0, version: 7)" }))).toEqual([
      `[${at}] ERROR: kafkajs: Response Produce(key: 0, version: 7) {"error":"The request timed out"}`,
    ]);
  });

  it("puts an error's stack on the lines below", () => {
    const pretty = lineFormatter("pretty", { colorize: false });
    const out = pretty(line({ level: 60, err: { type: "Error", message: "boom", stack: "Error: boom\n    at start (main.mjs:1:1)" }, msg: "start-up failed" }));
    expect(out[0]).toBe(`[${at}] FATAL: start-up failed `);
    expect(out).toContain("          Error: boom");
    expect(out).toContain("              at start (main.mjs:1:1)");
  });

  it("passes anything else through, and leaves JSON alone when asked for JSON", () => {
    const pretty = lineFormatter("pretty", { colorize: false });
    expect(pretty("dispatcher: Invalid configuration: RETRY_DELAYS expected exactly 5")).toEqual(["dispatcher: Invalid configuration: RETRY_DELAYS expected exactly 5"]);
    expect(pretty("{not json")).toEqual(["{not json"]);
    expect(lineFormatter("json", { colorize: false })(line({ msg: "x" }))).toEqual([line({ msg: "x" })]);
  });
});
