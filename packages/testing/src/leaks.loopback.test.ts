import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { LeakError, ResourceTracker } from "./leaks.js";

// Real servers, sockets and a child process: the check must see what a test really leaves open.
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

async function listening(): Promise<Server & { port: number }> {
  const server = createServer((_req, res) => res.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return Object.assign(server, { port: (server.address() as AddressInfo).port });
}

describe("the leak check", () => {
  it("fails on a server left listening, names its address, and closes it", async () => {
    const tracker = new ResourceTracker();
    const server = await listening();
    servers.push(server);
    const error = await tracker.check({ graceMs: 200 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(LeakError);
    expect((error as LeakError).leaks).toEqual([`server on 127.0.0.1:${server.port} still listening`]);
    expect(server.listening).toBe(false);
  });

  it("fails on a connection left open, though the server was there before the test", async () => {
    const server = await listening();
    servers.push(server);
    const tracker = new ResourceTracker();
    const socket = connect(server.port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    await expect(tracker.check({ graceMs: 200 })).rejects.toThrow(new RegExp(`socket 127\\.0\\.0\\.1:${socket.localPort} → 127\\.0\\.0\\.1:${server.port} still open`));
    expect(socket.destroyed).toBe(true);
  });

  it("names a watched server and where it was made", async () => {
    const tracker = new ResourceTracker();
    const server = tracker.server(await listening(), "the receiver");
    servers.push(server);
    await expect(tracker.check({ graceMs: 200 })).rejects.toThrow(new RegExp(`the receiver on 127\\.0\\.0\\.1:${server.port} \\(made at packages/testing/src/leaks\\.loopback\\.test\\.ts:\\d+`));
  });

  it("fails on a child process left running, and kills it", async () => {
    const tracker = new ResourceTracker();
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"], { stdio: "ignore" });
    await new Promise((resolve) => child.once("spawn", resolve));
    const exited = new Promise((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
    await expect(tracker.check({ graceMs: 200 })).rejects.toThrow(new RegExp(`child process ${child.pid} \\(.*node -e setTimeout.*\\) still running`));
    expect(await exited).toBe("SIGKILL");
  });

  it("passes when everything opened was closed, including a keep-alive connection its server closed", async () => {
    const tracker = new ResourceTracker();
    const server = await listening();
    // fetch keeps its connection for reuse; the server closing it must be enough.
    expect(await (await fetch(`http://127.0.0.1:${server.port}/`)).text()).toBe("ok");
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await expect(tracker.check()).resolves.toBeUndefined();
  });
});
