// How a backlog's drain is measured, the same for our pipeline (the `drain` scenario) and
// for another webhook server (svix-drain.ts): N deliveries are queued while whatever
// delivers them is stopped, then it is started and the receiver counts. Deliveries/s run
// from the first receipt to the last; the machine's CPU (every process, from /proc/stat)
// over the same window, extended to when the server's own log holds all N, divided by N.
import { readFileSync } from "node:fs";
import type { ReceiverProcess } from "./receiver-client.js";

const CLOCK_TICKS = 100;

/** One reading of /proc/stat: when, and the machine's busy time so far (every CPU), in clock ticks. */
export type CpuSample = { at: number; busyTicks: number };

/**
 * The busy ticks of /proc/stat's first line: user, nice, system, irq, softirq and steal,
 * that is every tick but idle and iowait (guest time is already inside user and nice).
 */
export function busyTicks(procStat: string): number {
  const line = procStat.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) throw new Error("/proc/stat has no aggregate cpu line");
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const fields = [user, nice, system, idle, iowait, irq, softirq, steal].map((x) => x ?? 0);
  return fields.reduce((a, b) => a + b, 0) - fields[3]! - fields[4]!;
}

/** Busy ticks at time `at`, interpolated between the two samples around it (samples in time order). */
export function busyTicksAt(samples: CpuSample[], at: number): number {
  if (!samples.length) throw new Error("no CPU samples");
  if (at <= samples[0]!.at) return samples[0]!.busyTicks;
  for (let i = 1; i < samples.length; i++) {
    const after = samples[i]!;
    if (after.at < at) continue;
    const before = samples[i - 1]!;
    const share = after.at === before.at ? 1 : (at - before.at) / (after.at - before.at);
    return before.busyTicks + share * (after.busyTicks - before.busyTicks);
  }
  return samples.at(-1)!.busyTicks;
}

export type MachineCpu = { windowSeconds: number; busySeconds: number; busyCores: number; cpuMsPerDelivery: number };

/** The machine's CPU over [from, to] (ms since the epoch), and per delivery. */
export function machineCpu(samples: CpuSample[], window: { from: number; to: number; deliveries: number }): MachineCpu {
  const windowSeconds = Math.max(0.001, (window.to - window.from) / 1000);
  const busySeconds = (busyTicksAt(samples, window.to) - busyTicksAt(samples, window.from)) / CLOCK_TICKS;
  return {
    windowSeconds: round(windowSeconds, 3),
    busySeconds: round(busySeconds, 2),
    busyCores: round(busySeconds / windowSeconds, 2),
    cpuMsPerDelivery: round((busySeconds * 1000) / Math.max(1, window.deliveries), 4),
  };
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Reads /proc/stat every `intervalMs` until stopped. */
class MachineCpuSampler {
  private readonly samples: CpuSample[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number) {
    this.read();
    this.timer = setInterval(() => this.read(), intervalMs);
  }

  private read(): void {
    this.samples.push({ at: Date.now(), busyTicks: busyTicks(readFileSync("/proc/stat", "utf8")) });
  }

  stop(): CpuSample[] {
    clearInterval(this.timer);
    this.read();
    return this.samples;
  }
}

/**
 * A drain's figures. `deliveries` counts every request the receiver answered (a repeat
 * counts too); the log is complete when the server's own record holds `expected` successes.
 */
export type DrainMeasure = {
  expected: number;
  deliveries: number;
  deliveriesPerSecond: number;
  /** First receipt to last. */
  drainSeconds: number;
  /** From the moment the deliverers were told to start to the first receipt: their start-up. */
  firstDeliveryAfterStartMs: number;
  /** From the last receipt until the log was seen to hold every delivery; null if it never did. */
  logCompleteAfterLastDeliveryMs: number | null;
  /** Over first receipt → max(last receipt, log complete). */
  machineCpu: MachineCpu;
  httpCeilingRequestsPerSecond: number | null;
  percentOfHttpCeiling: number | null;
};

/** Pure: the figures from the receiver's first and last receipt, the log's completion and the CPU samples. */
export function drainMeasure(opts: {
  expected: number;
  deliveries: number;
  startedAt: number;
  firstAt: number;
  lastAt: number;
  logCompleteAt: number | null;
  samples: CpuSample[];
  httpCeiling: number | null;
}): DrainMeasure {
  const drainSeconds = Math.max(0.001, (opts.lastAt - opts.firstAt) / 1000);
  const deliveriesPerSecond = Math.round(opts.deliveries / drainSeconds);
  return {
    expected: opts.expected,
    deliveries: opts.deliveries,
    deliveriesPerSecond,
    drainSeconds: round(drainSeconds, 3),
    firstDeliveryAfterStartMs: opts.firstAt - opts.startedAt,
    logCompleteAfterLastDeliveryMs: opts.logCompleteAt === null ? null : Math.max(0, opts.logCompleteAt - opts.lastAt),
    machineCpu: machineCpu(opts.samples, { from: opts.firstAt, to: Math.max(opts.lastAt, opts.logCompleteAt ?? 0), deliveries: opts.deliveries }),
    httpCeilingRequestsPerSecond: opts.httpCeiling,
    percentOfHttpCeiling: opts.httpCeiling ? round((deliveriesPerSecond / opts.httpCeiling) * 100, 1) : null,
  };
}

/** The one-line summary. */
export function drainLine(label: string, m: DrainMeasure): string {
  const log = m.logCompleteAfterLastDeliveryMs === null ? "log never complete" : `log complete ${m.logCompleteAfterLastDeliveryMs} ms after the last`;
  const ceiling = m.httpCeilingRequestsPerSecond === null ? "" : ` = ${m.percentOfHttpCeiling}% of raw HTTP (${m.httpCeilingRequestsPerSecond} req/s)`;
  return (
    `${label}: ${m.deliveries} of ${m.expected} deliveries drained at ${m.deliveriesPerSecond}/s${ceiling} over ${m.drainSeconds} s; ` +
    `machine CPU ${m.machineCpu.cpuMsPerDelivery} ms/delivery (${m.machineCpu.busyCores} cores busy over ${m.machineCpu.windowSeconds} s); ` +
    `first delivery ${m.firstDeliveryAfterStartMs} ms after the start; ${log}`
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the deliverers (`start`), waits until the receiver has `expected` requests (or
 * nothing arrives for `stallMs`, or nothing at all within `firstWithinMs`), then until
 * `logComplete()` says the server's log holds them all (checked only then, so the check's
 * own cost stays out of the drain; at most `logWithinMs`). The receiver is reset first.
 */
export async function measureDrain(opts: {
  receiver: ReceiverProcess;
  expected: number;
  start: () => Promise<void>;
  logComplete: () => Promise<boolean>;
  httpCeiling: number | null;
  firstWithinMs: number;
  stallMs: number;
  logWithinMs: number;
  onProgress?: (received: number) => void;
}): Promise<DrainMeasure> {
  const { receiver, expected } = opts;
  await receiver.reset();
  const sampler = new MachineCpuSampler(100);
  const startedAt = Date.now();
  await opts.start();
  let last = 0;
  let lastChangeAt = Date.now();
  for (;;) {
    const { received } = await receiver.counts();
    opts.onProgress?.(received);
    if (received >= expected) break;
    if (received !== last) lastChangeAt = Date.now();
    last = received;
    if (received === 0 && Date.now() - startedAt > opts.firstWithinMs) break;
    if (received > 0 && Date.now() - lastChangeAt > opts.stallMs) break;
    await sleep(250);
  }
  let logCompleteAt: number | null = null;
  for (const until = Date.now() + opts.logWithinMs; Date.now() < until; await sleep(250)) {
    if (await opts.logComplete()) {
      logCompleteAt = Date.now();
      break;
    }
  }
  const samples = sampler.stop();
  const stats = await receiver.stats();
  if (!stats.received) throw new Error(`no delivery arrived within ${opts.firstWithinMs / 1000} s of the start`);
  return drainMeasure({ expected, deliveries: stats.received, startedAt, firstAt: stats.firstAt, lastAt: stats.lastAt, logCompleteAt, samples, httpCeiling: opts.httpCeiling });
}
