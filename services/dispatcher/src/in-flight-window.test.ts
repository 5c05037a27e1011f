import { describe, expect, it } from "vitest";
import { InFlightWindow } from "./in-flight-window.js";

describe("InFlightWindow", () => {
  it("commits nothing before anything started", () => {
    expect(new InFlightWindow().committable()).toBeNull();
  });

  it("commits only up to the lowest unfinished offset while later ones finish first", () => {
    const window = new InFlightWindow();
    for (const o of ["10", "11", "12", "13"]) window.start(o);
    expect(window.committable()).toBe("10");
    window.finish("12");
    window.finish("13");
    expect(window.committable()).toBe("10");
    window.finish("10");
    expect(window.committable()).toBe("11");
    window.finish("11");
    expect(window.committable()).toBe("14");
    expect(window.size).toBe(0);
  });

  it("does not offer an offset again once committed", () => {
    const window = new InFlightWindow();
    window.start("0");
    window.finish("0");
    expect(window.committable()).toBe("1");
    window.markCommitted("1");
    expect(window.committable()).toBeNull();
    window.start("1");
    expect(window.committable()).toBeNull();
    window.finish("1");
    expect(window.committable()).toBe("2");
  });

  it("handles offsets beyond 2^53", () => {
    const window = new InFlightWindow();
    window.start("9007199254740993");
    window.finish("9007199254740993");
    expect(window.committable()).toBe("9007199254740994");
  });
});
