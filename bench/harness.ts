// What every bench run starts before its first measurement: the local stack, the bundled
// services, the receiver (killed with any service still running if the run dies), and
// what the run records about the code and the machine.
import { execFileSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import { infraUp, REPO_ROOT, type Infra, type ServiceProcess } from "@agiletune/local-infra";
import { createLogger, type Logger } from "@agiletune/shared";
import { buildServices } from "../scripts/build.js";
import { ReceiverProcess } from "./receiver-client.js";

export type Harness = {
  logger: Logger;
  infra: Infra;
  runId: string;
  receiver: ReceiverProcess;
  /** Services running now, for the exit handler to kill if the run dies. */
  liveServices: Set<ServiceProcess>;
  commit: string;
  machine: { cores: number; cpu: string; memGiB: number; loadAvgAtStart: number | undefined };
};

/** The commit being measured (short hash). */
export function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT }).toString().trim();
  } catch {
    return "unknown";
  }
}

/** Brings up (or reuses) Kafka and the database, builds the services and starts the receiver; run ids start with `runIdPrefix`. */
export async function startHarness(runIdPrefix: string): Promise<Harness> {
  const logger = createLogger("bench", "warn");
  const infra = await infraUp();
  // The services run as production runs them: bundled, under plain node.
  await buildServices();
  const runId = `${runIdPrefix}${Date.now().toString(36)}`;
  const receiver = new ReceiverProcess();
  // A crashed run must not leave services and the receiver behind, holding ports and CPU.
  const liveServices = new Set<ServiceProcess>();
  process.on("exit", () => {
    receiver.kill();
    for (const svc of liveServices) void svc.kill();
  });
  await receiver.ready();
  return { logger, infra, runId, receiver, liveServices, commit: gitCommit(), machine: machineFacts() };
}

/** What a result records of the machine: cores, CPU model, memory, and the load when the run began. */
export function machineFacts(): Harness["machine"] {
  return { cores: cpus().length, cpu: cpus()[0]?.model ?? "?", memGiB: Math.round(totalmem() / 2 ** 30), loadAvgAtStart: loadavg()[0] };
}
