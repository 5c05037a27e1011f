// Leak checks in the manner of graphile/worker: whatever a test opened must be closed when
// it ends, or the test fails. Two nets: the clients the fixtures hand out (and everything
// made from them, the in-process services' consumers and producers included) are watched
// by name, so a leak says which client and where it was made; and the process's sockets,
// servers and child processes are compared with those open when the test began, which
// catches what no fixture saw. The comparison is per test, against the test's own start:
// a vitest worker has handles of its own (its IPC channel, stdio) that are no test's leak.
import { ChildProcess } from "node:child_process";
import type { Server as HttpServer } from "node:http";
import { Server, Socket } from "node:net";
import type { Admin, Consumer, ConsumerConfig, Kafka, Producer, ProducerConfig } from "kafkajs";
import type { MongoClient } from "mongodb";
import { sleep } from "./wait-for.js";

type Watched = { what: string; isOpen: () => boolean; close: () => Promise<unknown> };

export type LeakCheckOptions = {
  /** How long a socket, server or child process may take to go after the test (default 3 s). */
  graceMs?: number;
  /**
   * false: check the watched resources only, not the process's handles. For a process
   * whose other handles come and go on their own (a browser test's connection to its browser).
   */
  handles?: boolean;
};

/** Long enough for the far end of a closed connection to see it closed. */
const DEFAULT_GRACE_MS = 3_000;

export class LeakError extends Error {
  constructor(readonly leaks: string[]) {
    super(`the test left ${leaks.length} thing(s) open:\n  ${leaks.join("\n  ")}`);
    this.name = "LeakError";
  }
}

/**
 * Watches what one test opens. Make it before the test opens anything (the fixtures do),
 * hand its wrapped clients to the code under test, and call `check()` after everything
 * the test made was meant to be closed.
 */
export class ResourceTracker {
  private readonly watched: Watched[] = [];
  private readonly baseline = new Set<object>(activeHandles());

  /** Watches a resource by name: still open at `check()` means leaked. */
  watch(what: string, isOpen: () => boolean, close: () => Promise<unknown>): void {
    this.watched.push({ what, isOpen, close });
  }

  /**
   * Watches every producer, consumer and admin made from `kafka` from now on (connected
   * means open), whoever makes them: the test, or a service it started with this client.
   */
  kafka(kafka: Kafka): Kafka {
    const producer = kafka.producer.bind(kafka);
    const consumer = kafka.consumer.bind(kafka);
    const admin = kafka.admin.bind(kafka);
    kafka.producer = (config?: ProducerConfig): Producer => {
      const client = producer(config);
      this.watchKafkaClient(client, `Kafka producer${config?.transactionalId ? ` ${config.transactionalId}` : ""}`);
      return client;
    };
    kafka.consumer = (config: ConsumerConfig): Consumer => {
      const client = consumer(config);
      this.watchKafkaClient(client, `Kafka consumer of group ${config.groupId}`);
      return client;
    };
    kafka.admin = (...args: Parameters<Kafka["admin"]>): Admin => {
      const client = admin(...args);
      this.watchKafkaClient(client, "Kafka admin");
      return client;
    };
    return kafka;
  }

  /** Watches a connected MongoClient until it is closed. */
  mongoClient(client: MongoClient, what = "MongoClient"): MongoClient {
    let open = true;
    client.on("topologyOpening", () => (open = true));
    client.on("topologyClosed", () => (open = false));
    this.watch(
      `${what} (made ${creationSite()})`,
      () => open,
      () => client.close(),
    );
    return client;
  }

  /** Watches a listening server (HTTP or plain TCP) until it is closed. */
  server<S extends Server | HttpServer>(server: S, what = "server"): S {
    const site = creationSite();
    this.watch(
      `${what} ${describeAddress(server)} (made ${site})`,
      () => server.listening,
      () => closeServer(server),
    );
    return server;
  }

  private watchKafkaClient(client: Producer | Consumer | Admin, what: string): void {
    const site = creationSite();
    let open = false;
    // The three client kinds name their events alike ("producer.connect", "consumer.connect", ...).
    const events = client.events as { CONNECT: string; DISCONNECT: string };
    const on = client.on as (event: string, listener: () => void) => unknown;
    on(events.CONNECT, () => (open = true));
    on(events.DISCONNECT, () => (open = false));
    this.watch(
      `${what} still connected (made ${site})`,
      () => open,
      () => client.disconnect(),
    );
  }

  /**
   * What is still open: watched resources first, then sockets, servers and child processes
   * opened since this tracker was made that are still there after `graceMs` (a connection
   * closed by its peer takes a moment to go). Closes nothing.
   */
  async findLeaks(opts: LeakCheckOptions = {}): Promise<string[]> {
    const watched = this.watched.filter((w) => w.isOpen()).map((w) => w.what);
    return [...watched, ...(opts.handles === false ? [] : await this.handleLeaks(opts.graceMs))];
  }

  /**
   * Throws a LeakError naming everything still open, after closing it all, so that one
   * test's leak neither hangs the run nor shows up again in the next test.
   */
  async check(opts: LeakCheckOptions = {}): Promise<void> {
    const leaked = this.watched.filter((w) => w.isOpen());
    for (const w of [...leaked].reverse()) await w.close().catch(() => undefined);
    // Then what closing those did not close (their sockets go with them).
    const leftovers = opts.handles === false ? [] : await this.handleLeaks(opts.graceMs);
    if (opts.handles !== false) for (const handle of this.freshHandles()) destroyHandle(handle);
    const leaks = [...leaked.map((w) => w.what), ...leftovers];
    if (leaks.length) throw new LeakError(leaks);
  }

  private async handleLeaks(graceMs = DEFAULT_GRACE_MS): Promise<string[]> {
    const deadline = Date.now() + graceMs;
    let fresh = this.freshHandles();
    while (fresh.length && Date.now() < deadline) {
      await sleep(50);
      fresh = this.freshHandles();
    }
    return fresh.map(describeHandle);
  }

  private freshHandles(): object[] {
    return activeHandles().filter((h) => !this.baseline.has(h) && isLeakable(h));
  }
}

/** `process._getActiveHandles` is undocumented but stable since Node 0.x; it lists the owners (Socket, Server, ChildProcess), which say what and where. */
function activeHandles(): object[] {
  return (process as unknown as { _getActiveHandles: () => object[] })._getActiveHandles();
}

/** TCP sockets, listening servers and child processes; pipes and TTYs are the worker's or a child's own stdio. */
function isLeakable(handle: object): boolean {
  if (handle instanceof ChildProcess) return true;
  if (handle instanceof Server) return handle.listening;
  if (handle instanceof Socket) return handle.remotePort !== undefined && !handle.destroyed;
  return false;
}

function describeHandle(handle: object): string {
  if (handle instanceof ChildProcess) return `child process ${handle.pid} (${handle.spawnargs.join(" ").slice(0, 120)}) still running`;
  if (handle instanceof Server) return `server ${describeAddress(handle)} still listening`;
  const s = handle as Socket;
  return `socket ${s.localAddress}:${s.localPort} → ${s.remoteAddress}:${s.remotePort} still open`;
}

function destroyHandle(handle: object): void {
  if (handle instanceof ChildProcess) handle.kill("SIGKILL");
  else if (handle instanceof Server) void closeServer(handle);
  else if (handle instanceof Socket) handle.destroy();
}

function describeAddress(server: Server | HttpServer): string {
  const address = server.address();
  if (address === null) return "(not listening)";
  return typeof address === "string" ? `on ${address}` : `on ${address.address}:${address.port}`;
}

function closeServer(server: Server | HttpServer): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    if ("closeAllConnections" in server) server.closeAllConnections();
  });
}

/** The first caller outside this package and node_modules (else in it): where the leaked thing was made. */
function creationSite(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  // "    at fn (/abs/file.ts:1:2)" or "    at /abs/file.ts:1:2"; node: internals have no path.
  const files = stack
    .split("\n")
    .slice(1)
    .map((frame) =>
      frame
        .replace(/^\s*at\s+/, "")
        .replace(/^.*\((.*)\)$/, "$1")
        .replace(/^file:\/\//, ""),
    )
    .filter((location) => location.startsWith("/") && !location.includes("/node_modules/") && !location.includes("/packages/testing/src/leaks.ts"));
  const outside = files.filter((l) => !l.includes("/packages/testing/src/"));
  const relative = (l: string) => (l.startsWith(`${process.cwd()}/`) ? l.slice(process.cwd().length + 1) : l);
  // A shared factory (createProducer) made it: its caller says whose it is.
  const [first, second] = outside;
  if (first?.includes("/packages/shared/src/") && second) return `at ${relative(second)} through ${relative(first)}`;
  return `at ${relative(first ?? files[0] ?? "an unknown place")}`;
}
