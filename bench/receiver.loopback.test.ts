import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReceiverProcess } from "./receiver-client.js";

/** One POST on a fresh connection: its status, or the error code it failed with. */
function post(url: string, deliveryId: string): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(url, { method: "POST", agent: false, headers: { "content-type": "application/json", "x-agiletune-delivery": deliveryId } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode! }));
    });
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(JSON.stringify({ data: { producedAt: Date.now() } }));
  });
}

describe("the receiver's dead endpoints", () => {
  const receiver = new ReceiverProcess();
  beforeAll(() => receiver.ready());
  afterAll(async () => {
    await receiver.closeDead();
    receiver.exit();
  });

  it("reset every connection while down and count it, then take deliveries on the same port, counting repeats", async () => {
    const [first, second] = await receiver.openDead(2);
    expect(new URL(first!).port).not.toBe(new URL(second!).port);
    expect(await post(first!, "dlv_1")).toEqual({ error: "ECONNRESET" });
    expect(await post(first!, "dlv_1")).toEqual({ error: "ECONNRESET" });
    expect(await post(second!, "dlv_9")).toEqual({ error: "ECONNRESET" });

    const revivedAt = await receiver.reviveDead();
    expect(await post(first!, "dlv_1")).toEqual({ status: 200 });
    expect(await post(first!, "dlv_2")).toEqual({ status: 200 });
    expect(await post(first!, "dlv_1")).toEqual({ status: 200 });

    expect((await receiver.counts()).deadDelivered).toBe(2);
    const { dead } = await receiver.stats();
    expect(dead.revivedAt).toBe(revivedAt);
    expect(dead.endpoints.map(({ firstArrivalAt, ...rest }) => ({ ...rest, ids: Object.keys(firstArrivalAt).sort() }))).toEqual([
      { path: "/dead/0", port: Number(new URL(first!).port), connectionsWhileDown: 2, requests: 3, duplicates: 1, ids: ["dlv_1", "dlv_2"] },
      { path: "/dead/1", port: Number(new URL(second!).port), connectionsWhileDown: 1, requests: 0, duplicates: 0, ids: [] },
    ]);
    expect(dead.endpoints[0]!.firstArrivalAt.dlv_1).toBeGreaterThanOrEqual(revivedAt);
  });

  it("open down again, with fresh counts, when opened anew", async () => {
    const [url] = await receiver.openDead(1);
    expect(await post(url!, "dlv_3")).toEqual({ error: "ECONNRESET" });
    const { dead } = await receiver.stats();
    expect(dead).toMatchObject({ revivedAt: 0, endpoints: [{ path: "/dead/0", connectionsWhileDown: 1, requests: 0 }] });
  });
});
