import { describe, expect, it } from "vitest";
import { decodeEvent, RegistryUnavailableError, type RegistryDecoder } from "./decode-event.js";

const wire = (id: number, payload = "x") => Buffer.concat([Buffer.from([0]), Buffer.from([id >>> 24, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]), Buffer.from(payload)]);
const failing = (error: unknown): RegistryDecoder => ({ decode: () => Promise.reject(error) });
const event = { id: "evt_1", event: "task.created", timestamp: "2026-03-20T12:00:00Z", organizationId: "org_1", data: { id: "t" } };

describe("decodeEvent", () => {
  it("decodes plain JSON without a registry", async () => {
    expect(await decodeEvent(Buffer.from(JSON.stringify(event)), undefined)).toEqual({ ok: true, value: event });
  });

  it("decodes the wire format through the registry and validates the result", async () => {
    expect(await decodeEvent(wire(7), { decode: async () => event })).toEqual({ ok: true, value: event });
    expect(await decodeEvent(wire(7), { decode: async () => ({ ...event, event: "nope" }) })).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown event type/) });
  });

  it("blames the message for an unknown schema id or a payload that does not decode", async () => {
    expect(await decodeEvent(wire(999), failing(Object.assign(new Error("Schema 999 not found."), { status: 404 })))).toMatchObject({ ok: false, reason: expect.stringMatching(/schema id 999/) });
    expect(await decodeEvent(wire(5), failing(new RangeError("truncated buffer")))).toMatchObject({ ok: false, reason: expect.stringMatching(/does not match schema id 5/) });
  });

  it("blames the registry, not the message, when it cannot be asked", async () => {
    // mappersmith reports a refused connection as status 400.
    await expect(decodeEvent(wire(5), failing(Object.assign(new Error("connect ECONNREFUSED"), { status: 400 })))).rejects.toBeInstanceOf(RegistryUnavailableError);
    await expect(decodeEvent(wire(5), failing(Object.assign(new Error("bad gateway"), { status: 502 })))).rejects.toBeInstanceOf(RegistryUnavailableError);
  });

  it("refuses the wire format when no registry is configured", async () => {
    expect(await decodeEvent(wire(5), undefined)).toMatchObject({ ok: false, reason: expect.stringMatching(/SCHEMA_REGISTRY_URL is not set/) });
  });
});
