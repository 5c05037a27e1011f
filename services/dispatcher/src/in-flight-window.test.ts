import { describe, expect, it } from "vitest";
import { InFlightWindow, type Taking } from "./in-flight-window.js";

const taken = (window: InFlightWindow, offset: string): Taking => {
  const taking = window.take(offset);
  if (!taking) throw new Error(`${offset} refused`);
  return taking;
};

describe("InFlightWindow", () => {
  it("commits nothing before anything started", () => {
    expect(new InFlightWindow().committable()).toBeNull();
  });

  it("commits only up to the lowest unfinished offset while later ones finish first", () => {
    const window = new InFlightWindow();
    const [t10, t11, t12, t13] = ["10", "11", "12", "13"].map((o) => taken(window, o));
    expect(window.committable()).toBe("10");
    window.finish(t12!);
    window.finish(t13!);
    expect(window.committable()).toBe("10");
    window.finish(t10!);
    expect(window.committable()).toBe("11");
    window.finish(t11!);
    expect(window.committable()).toBe("14");
    expect(window.size).toBe(0);
  });

  it("does not offer an offset again once committed", () => {
    const window = new InFlightWindow();
    window.finish(taken(window, "0"));
    expect(window.committable()).toBe("1");
    window.markCommitted("1");
    expect(window.committable()).toBeNull();
    const t1 = taken(window, "1");
    expect(window.committable()).toBeNull();
    window.finish(t1);
    expect(window.committable()).toBe("2");
  });

  it("refuses what it already took when the partition is read again, in flight or finished", () => {
    const window = new InFlightWindow();
    const t5 = taken(window, "5");
    window.finish(taken(window, "6"));
    expect([window.took("5"), window.took("6"), window.took("7")]).toEqual([true, true, false]);
    expect(window.take("5")).toBeNull();
    expect(window.take("6")).toBeNull();
    taken(window, "7");
    window.finish(t5);
    expect(window.committable()).toBe("7");
  });

  it("keeps a handed-back offset unfinished, in its place, until it is taken again and finished", () => {
    const window = new InFlightWindow();
    const t3 = taken(window, "3");
    const t4 = taken(window, "4");
    window.handBack(t3);
    // The handed-back job's own completion (it was not sent) must not let a commit pass it.
    window.finish(t3);
    window.finish(t4);
    expect(window.committable()).toBe("3");
    expect(window.took("3")).toBe(false);
    const again = taken(window, "3");
    expect(window.committable()).toBe("3");
    // A late completion of the first taking is not this one's.
    window.finish(t3);
    expect(window.committable()).toBe("3");
    window.finish(again);
    expect(window.committable()).toBe("5");
  });

  it("handles offsets beyond 2^53", () => {
    const window = new InFlightWindow();
    window.finish(taken(window, "9007199254740993"));
    expect(window.committable()).toBe("9007199254740994");
  });
});
