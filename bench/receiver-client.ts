// The harness's side of the receiver (`receiver.ts`), which runs in a process of its own:
// forks it, learns its port, and asks it for counts over IPC.
import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "@agiletune/local-infra";
import type { Stats } from "./receiver.js";

/**
 * `deadDelivered`: distinct deliveries that reached the dead endpoints; `flakyAccepted`: the
 * flaky endpoints accepted; `orderedAccepted`: distinct deliveries the ordered endpoints
 * accepted; `orderedControl`: events their control webhooks received.
 */
export type ReceiverCounts = Pick<Stats, "received" | "byPrefix"> & { deadDelivered: number; flakyAccepted: number; orderedAccepted: number; orderedControl: number };
export type ReceiverStats = Stats;

export class ReceiverProcess {
  private readonly child: ChildProcess;
  private port = 0;
  // Requests carry an id, so a progress poll and the final read never take each other's answer.
  private readonly answers = new Map<number, (answer: unknown) => void>();
  private requests = 0;

  /** Forks the receiver; `ready()` waits for its port. */
  constructor() {
    this.child = fork(join(REPO_ROOT, "bench/receiver.ts"), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child.on("message", (m: { id?: number; answer?: unknown }) => {
      if (m.id === undefined) return;
      this.answers.get(m.id)?.(m.answer);
      this.answers.delete(m.id);
    });
  }

  async ready(): Promise<void> {
    this.port = await new Promise<number>((resolve) => this.child.once("message", (m: { port: number }) => resolve(m.port)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Opens `count` dead endpoints, each on its own port, down (connections reset); their URLs. */
  async openDead(count: number): Promise<string[]> {
    const endpoints = await this.request<Array<{ path: string; port: number }>>("openDead", { count });
    return endpoints.map(({ path, port }) => `http://127.0.0.1:${port}${path}`);
  }

  /** Brings the dead endpoints up on the same ports; the receiver's time of it. */
  reviveDead(): Promise<number> {
    return this.request("reviveDead");
  }

  async closeDead(): Promise<void> {
    await this.request("closeDead");
  }

  /** received, byPrefix and deadDelivered only, cheap to poll. */
  counts(): Promise<ReceiverCounts> {
    return this.request("counts");
  }

  /** Everything since the last reset, latencies included: once, at the end. */
  stats(): Promise<ReceiverStats> {
    return this.request("stats");
  }

  /** Whether the ordered endpoints refuse their failing keys' requests (off for a warm-up). */
  async orderedFailures(on: boolean): Promise<void> {
    await this.request("orderedFailures", { on });
  }

  async reset(): Promise<void> {
    await this.request("reset");
  }

  /** Closes its server and lets it exit. */
  exit(): void {
    this.child.send({ cmd: "exit" });
  }

  kill(): void {
    this.child.kill();
  }

  private request<T>(cmd: "stats" | "counts" | "reset" | "orderedFailures" | "openDead" | "reviveDead" | "closeDead", args: Record<string, unknown> = {}): Promise<T> {
    const id = ++this.requests;
    return new Promise((resolve) => {
      this.answers.set(id, resolve as (answer: unknown) => void);
      this.child.send({ cmd, id, ...args });
    });
  }
}
