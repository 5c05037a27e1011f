import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./paths.js";

export type ServiceName = "fanout" | "dispatcher" | "retry" | "admin-api";

/** A service as its own OS process: its TypeScript sources under tsx, or its `pnpm build` bundle. */
export class ServiceProcess {
  private child: ChildProcess | null = null;
  output = "";

  constructor(
    readonly name: ServiceName,
    private readonly env: NodeJS.ProcessEnv,
    private readonly opts: {
      /** Extra node flags, e.g. --cpu-prof, which NODE_OPTIONS does not accept. */
      nodeArgs?: string[];
      /** Run services/<name>/dist/main.mjs, as production does; the caller builds it first. */
      bundled?: boolean;
    } = {},
  ) {}

  /**
   * Starts it and resolves when it logs that it is ready. A member restarted after a kill is
   * ready once its group has waited out the killed member's session (30 s), and a loaded
   * machine can double that.
   */
  async start(timeoutMs = 120_000): Promise<void> {
    const entry = this.opts.bundled ? [join(REPO_ROOT, "services", this.name, "dist", "main.mjs")] : ["--import", "tsx", join(REPO_ROOT, "services", this.name, "src", "main.ts")];
    const child = spawn(process.execPath, [...(this.opts.nodeArgs ?? []), ...entry], {
      env: { ...process.env, ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    // Only this run's output counts: after a restart, the last instance's "ready" line is
    // still in `output`, and must not pass for this one's.
    const from = this.output.length;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} not ready within ${timeoutMs} ms:\n${this.output.slice(-2000)}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (/"msg":"(fanout ready|dispatcher ready|retry ready|admin API listening)"/.test(this.output.slice(from))) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", (c: Buffer) => (this.output += c.toString()));
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${signal ?? code}) before ready:\n${this.output.slice(-2000)}`));
      });
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The port of its /healthz, /readyz and /metrics, from its start-up log (METRICS_PORT=0 picks one). */
  get opsPort(): number | undefined {
    const matches = [...this.output.matchAll(/"port":(\d+),"msg":"(?:ops endpoint listening[^"]*|admin API listening)"/g)];
    const last = matches.at(-1);
    return last ? Number(last[1]) : undefined;
  }

  /** A metric from its /metrics, summed over the series carrying `labels` (0 if none has yet). */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.opsPort}/metrics`)).text();
    const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    let sum = 0;
    for (const line of text.split("\n")) {
      const series = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
      if (series?.[1] === name && wanted.every((w) => series[2]?.includes(w))) sum += Number(series[3]);
    }
    return sum;
  }

  /** Kills it without warning: no shutdown code runs. */
  async kill(): Promise<void> {
    await this.signal("SIGKILL");
  }

  /** SIGTERM; resolves with the exit code, or the signal's name if a signal ended it. */
  async stop(): Promise<number | string | null> {
    return this.signal("SIGTERM");
  }

  private async signal(signal: NodeJS.Signals): Promise<number | string | null> {
    const child = this.child;
    if (!child) return null;
    // Already gone: say how, so a test sees "SIGABRT" (say) rather than a bare null.
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? `${child.signalCode} before ${signal}`;
    const exited = new Promise<number | string | null>((resolve) => child.once("exit", (code, by) => resolve(code ?? by)));
    child.kill(signal);
    this.child = null;
    return exited;
  }
}
