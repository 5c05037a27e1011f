import type { DeliveryJob } from "@agiletune/shared";
import { describe, expect, it } from "vitest";
import { RecentSuccesses } from "./repeats.js";

const job = (fields: Partial<DeliveryJob> = {}): DeliveryJob => ({ deliveryId: "dlv_1", source: "event", attempt: 0, enqueuedAt: 1_000, ...fields }) as DeliveryJob;
const nothing = () => undefined;

describe("RecentSuccesses", () => {
  it("a copy of an event's delivery that succeeded is a repeat, whatever its attempt or enqueue time; one that did not is sent", async () => {
    const recent = new RecentSuccesses();
    expect(await recent.claim(job(), nothing)).toBe("claimed");
    recent.release(job());
    // Failed, so not remembered: its retry, and another copy of it, are sent.
    expect(await recent.claim(job({ attempt: 1 }), nothing)).toBe("claimed");
    recent.succeededWith(job({ attempt: 1 }));
    recent.release(job({ attempt: 1 }));
    expect(await recent.claim(job(), nothing)).toBe("repeat");
    expect(await recent.claim(job({ attempt: 1, enqueuedAt: 5_000 }), nothing)).toBe("repeat");
    expect(await recent.claim(job({ deliveryId: "dlv_2" }), nothing)).toBe("claimed");
  });

  it("a redelivery, replay or ping asked for again is its own delivery; a copy of the same one is a repeat", async () => {
    const recent = new RecentSuccesses();
    recent.succeededWith(job());
    for (const source of ["redeliver", "replay", "ping"] as const) {
      const asked = job({ source, enqueuedAt: 2_000 });
      expect(await recent.claim(asked, nothing)).toBe("claimed");
      recent.succeededWith(asked);
      recent.release(asked);
      expect(await recent.claim(job({ source, enqueuedAt: 2_000 }), nothing)).toBe("repeat");
      expect(await recent.claim(job({ source, enqueuedAt: 3_000 }), nothing)).toBe("claimed");
      recent.release(job({ source, enqueuedAt: 3_000 }));
    }
  });

  it("a copy under way makes the next wait, told first; it is sent if the first did not succeed, and not if it did", async () => {
    const recent = new RecentSuccesses();
    expect(await recent.claim(job(), nothing)).toBe("claimed");
    let told = 0;
    let second: string | undefined;
    const waiting = Promise.resolve(recent.claim(job(), () => told++)).then((c) => (second = c));
    await Promise.resolve();
    expect([told, second]).toEqual([1, undefined]);
    recent.release(job());
    await waiting;
    expect(second).toBe("claimed");

    const third = recent.claim(job(), nothing);
    recent.succeededWith(job());
    recent.release(job());
    expect(await third).toBe("repeat");
  });

  it("remembers the last `capacity` successes, a success seen again counting as recent", async () => {
    const recent = new RecentSuccesses(2);
    for (const id of ["dlv_a", "dlv_b", "dlv_a", "dlv_c"]) recent.succeededWith(job({ deliveryId: id }));
    expect(await recent.claim(job({ deliveryId: "dlv_a" }), nothing)).toBe("repeat");
    expect(await recent.claim(job({ deliveryId: "dlv_c" }), nothing)).toBe("repeat");
    expect(await recent.claim(job({ deliveryId: "dlv_b" }), nothing)).toBe("claimed");
  });
});
