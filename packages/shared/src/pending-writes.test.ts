import { describe, expect, it } from "vitest";
import { PendingWrites } from "./pending-writes.js";

describe("PendingWrites", () => {
  it("waits for the writes tracked before the call, failed ones too, and not for later ones", async () => {
    const writes = new PendingWrites();
    let finish!: () => void;
    let done = false;
    writes.track(new Promise<void>((resolve) => (finish = resolve)).then(() => void (done = true)));
    writes.track(Promise.reject(new Error("refused")));
    const settled = writes.settled();
    writes.track(new Promise<void>(() => {}));
    finish();
    await settled;
    expect(done).toBe(true);
  });
});
