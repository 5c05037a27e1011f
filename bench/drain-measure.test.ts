import { describe, expect, it } from "vitest";
import { busyTicks, busyTicksAt, drainLine, drainMeasure, machineCpu, type CpuSample } from "./drain-measure.js";
import { parseSvixDrainOptions } from "./svix-drain.js";

// A real /proc/stat's first lines (two cores): user nice system idle iowait irq softirq steal guest guest_nice.
const PROC_STAT = `cpu  4705 150 1120 16250 520 0 36 12 30 0
cpu0 2353 75 560 8125 260 0 18 6 15 0
cpu1 2352 75 560 8125 260 0 18 6 15 0
intr 114930548 113199788 3 0 5 263 0 4 [...]
ctxt 1990473
`;

describe("busyTicks", () => {
  it("adds every tick of the aggregate line but idle and iowait, guest time not twice", () => {
    expect(busyTicks(PROC_STAT)).toBe(4705 + 150 + 1120 + 0 + 36 + 12);
  });

  it("refuses a text without the aggregate line", () => {
    expect(() => busyTicks("cpu0 1 2 3 4\n")).toThrow("no aggregate cpu line");
  });
});

describe("busyTicksAt", () => {
  const samples: CpuSample[] = [
    { at: 1000, busyTicks: 100 },
    { at: 1100, busyTicks: 120 },
    { at: 1300, busyTicks: 200 },
  ];

  it("interpolates between the samples around the time", () => {
    expect(busyTicksAt(samples, 1050)).toBe(110);
    expect(busyTicksAt(samples, 1200)).toBe(160);
    expect(busyTicksAt(samples, 1100)).toBe(120);
  });

  it("holds the first and last samples outside them", () => {
    expect(busyTicksAt(samples, 900)).toBe(100);
    expect(busyTicksAt(samples, 2000)).toBe(200);
  });
});

describe("machineCpu", () => {
  it("divides the busy time of the window by its deliveries", () => {
    // 2 s at 1.5 cores busy: 300 ticks = 3 CPU seconds, over 6,000 deliveries = 0.5 ms each.
    const samples: CpuSample[] = [
      { at: 0, busyTicks: 0 },
      { at: 1000, busyTicks: 50 },
      { at: 3000, busyTicks: 350 },
      { at: 4000, busyTicks: 400 },
    ];
    expect(machineCpu(samples, { from: 1000, to: 3000, deliveries: 6000 })).toEqual({ windowSeconds: 2, busySeconds: 3, busyCores: 1.5, cpuMsPerDelivery: 0.5 });
  });
});

describe("drainMeasure", () => {
  const samples: CpuSample[] = [
    { at: 0, busyTicks: 0 },
    { at: 20_000, busyTicks: 4000 },
  ];
  const base = { expected: 30_000, deliveries: 30_000, startedAt: 500, firstAt: 2_000, lastAt: 12_000, samples, httpCeiling: 12_000 };

  it("rates the first receipt to the last, and charges the CPU until the log is complete", () => {
    const m = drainMeasure({ ...base, logCompleteAt: 14_000 });
    expect(m).toMatchObject({ deliveriesPerSecond: 3000, drainSeconds: 10, firstDeliveryAfterStartMs: 1500, logCompleteAfterLastDeliveryMs: 2000, percentOfHttpCeiling: 25 });
    // 12 s at 2 cores (200 ticks/s) = 24 CPU seconds over 30,000 deliveries.
    expect(m.machineCpu).toEqual({ windowSeconds: 12, busySeconds: 24, busyCores: 2, cpuMsPerDelivery: 0.8 });
  });

  it("ends the window at the last receipt when the log never completed, and says so", () => {
    const m = drainMeasure({ ...base, logCompleteAt: null, httpCeiling: null });
    expect(m.logCompleteAfterLastDeliveryMs).toBeNull();
    expect(m.machineCpu.windowSeconds).toBe(10);
    expect(m.percentOfHttpCeiling).toBeNull();
    expect(drainLine("svix drain", m)).toBe(
      "svix drain: 30000 of 30000 deliveries drained at 3000/s over 10 s; machine CPU 0.6667 ms/delivery (2 cores busy over 10 s); first delivery 1500 ms after the start; log never complete",
    );
  });
});

describe("parseSvixDrainOptions", () => {
  it("needs the server and a token, and gives the documented defaults", () => {
    expect(parseSvixDrainOptions(["--", "--svix-url", "http://127.0.0.1:8071/", "--token", "t"])).toEqual({
      options: { svixUrl: "http://127.0.0.1:8071", token: "t", messages: 30000, endpoints: 50, concurrency: 32, startWorker: undefined, waitWorkerS: 600, ceilingSeconds: 5 },
    });
    expect(parseSvixDrainOptions(["--token", "t"])).toEqual({ error: "--svix-url is required" });
    expect(parseSvixDrainOptions(["--svix-url", "http://x"])).toEqual({ error: "--token (or SVIX_TOKEN) is required" });
    expect(parseSvixDrainOptions(["--svix-url", "http://x"], { SVIX_TOKEN: "from-env" })).toMatchObject({ options: { token: "from-env" } });
  });

  it("refuses numbers that are not whole, and no endpoints", () => {
    const base = ["--svix-url", "http://x", "--token", "t"];
    expect(parseSvixDrainOptions([...base, "--messages", "2e3"])).toEqual({ error: '--messages must be a whole number, not "2e3"' });
    expect(parseSvixDrainOptions([...base, "--endpoints", "0"])).toEqual({ error: "--endpoints must be at least 1" });
  });
});
