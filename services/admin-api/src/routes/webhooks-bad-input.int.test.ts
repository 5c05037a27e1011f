// What POST and PATCH .../webhooks refuse (and that nothing is written then); ALLOW_PRIVATE_URLS lifts the address check.
import { webhooksCollection } from "@agiletune/shared";
import { expect } from "vitest";
import { apiTest as test } from "@agiletune/testing";

const ORG = "/v1/organizations/org_a/webhooks";
const valid = { url: "https://hooks.example.com/in", contentType: "json", events: ["task.created", "task.updated"] };

test("refuses bad input with a clear 4xx naming the field, and writes nothing", async ({ api, mongo }) => {
  const expectError = async (res: Promise<{ status: number; json: any }>, status: number, code: string, details?: unknown) => {
    const r = await res;
    expect(r.status, JSON.stringify(r.json)).toBe(status);
    expect(r.json.error.code).toBe(code);
    if (details !== undefined) expect(r.json.error.details).toEqual(details);
  };
  const post = (body: unknown) => api.request("POST", ORG, { body });

  await expectError(post({ ...valid, url: "http://127.0.0.1:8080/hook" }), 422, "validation_failed", [
    { field: "url", message: "resolves to a non-public address (loopback); set ALLOW_PRIVATE_URLS=true to allow it" },
  ]);
  await expectError(post({ ...valid, url: "http://[::ffff:7f00:1]/" }), 422, "validation_failed", [
    { field: "url", message: "resolves to a non-public address (loopback); set ALLOW_PRIVATE_URLS=true to allow it" },
  ]);
  await expectError(post({ ...valid, url: "http://169.254.169.254/latest/meta-data/" }), 422, "validation_failed", [
    { field: "url", message: "resolves to a non-public address (linkLocal); set ALLOW_PRIVATE_URLS=true to allow it" },
  ]);
  await expectError(post({ ...valid, url: "https://internal.example.com/" }), 422, "validation_failed", [
    { field: "url", message: "resolves to a non-public address (private); set ALLOW_PRIVATE_URLS=true to allow it" },
  ]);
  await expectError(post({ ...valid, url: "https://rebind.example.com/" }), 422, "validation_failed", [
    { field: "url", message: "resolves to a non-public address (loopback); set ALLOW_PRIVATE_URLS=true to allow it" },
  ]);
  await expectError(post({ ...valid, url: "https://nowhere.example.com/" }), 422, "validation_failed", [{ field: "url", message: "host name does not resolve (ENOTFOUND)" }]);
  await expectError(post({ ...valid, url: "ftp://hooks.example.com/" }), 422, "validation_failed", [{ field: "url", message: "must use http or https" }]);
  await expectError(post({ ...valid, url: `https://hooks.example.com/${"a".repeat(2100)}` }), 422, "validation_failed", [{ field: "url", message: "must be at most 2048 characters" }]);
  await expectError(post({ ...valid, url: "https://hooks.example.com/\u0000\u001b[31m" }), 422, "validation_failed", [{ field: "url", message: "must not contain spaces or control characters" }]);
  await expectError(post({ ...valid, events: ["task.created", "task.exploded"] }), 422, "validation_failed", [{ field: "events.1", message: "is not a known event type (see GET /v1/event-types)" }]);
  await expectError(post({ ...valid, events: [] }), 422, "validation_failed");
  await expectError(post({ ...valid, contentType: "xml" }), 422, "validation_failed", [{ field: "contentType", message: 'must be "json" or "form"' }]);
  await expectError(post({ ...valid, secret: "too-short" }), 422, "validation_failed", [{ field: "secret", message: "must be at least 16 characters" }]);
  await expectError(post({ ...valid, secretz: "x" }), 422, "validation_failed", [{ field: "secretz", message: "is not a known field" }]);
  await expectError(post({ ...valid, active: "true", description: 7 }), 422, "validation_failed", [
    { field: "active", message: "must be true or false" },
    { field: "description", message: "Invalid input: expected string, received number" },
  ]);
  await expectError(post({ ...valid, description: "tab\there" }), 422, "validation_failed", [{ field: "description", message: "must not contain control characters" }]);
  await expectError(post({ ...valid, description: "\u202e\u0085" }), 422, "validation_failed", [{ field: "description", message: "must not contain control characters" }]);
  // A lone surrogate can only be sent as a JSON escape.
  await expectError(api.request("POST", ORG, { rawBody: `{"url":"https://hooks.example.com/","contentType":"json","events":["*"],"description":"\\ud800"}` }), 422, "validation_failed", [
    { field: "description", message: "must be valid Unicode (no unpaired surrogates)" },
  ]);
  // Huge arrays and deep nesting under the 1 MB limit.
  await expectError(post({ ...valid, events: Array(60_000).fill("task.created") }), 422, "validation_failed", [{ field: "events", message: "must list at most 50 event types" }]);
  await expectError(api.request("POST", ORG, { rawBody: "[".repeat(500_000) + "]".repeat(500_000) }), 422, "validation_failed");
  await expectError(post([valid]), 422, "validation_failed", [{ field: "(body)", message: "Invalid input: expected object, received array" }]);
  await expectError(post(null), 422, "validation_failed");
  await expectError(post("a string"), 422, "validation_failed");
  await expectError(api.request("POST", ORG), 422, "validation_failed", [{ field: "(body)", message: "a JSON object body is required" }]);

  // Malformed, oversize, not JSON, not UTF-8.
  await expectError(api.request("POST", ORG, { rawBody: '{"url": "https://hooks.example.com/", secret: "abcdefabcdefabcdef"' }), 400, "malformed_request", []);
  const malformed = await api.request("POST", ORG, { rawBody: '{"url": oops-my-secret-value}' });
  expect(malformed.json.error.message).toBe("the body is not valid JSON");
  expect(malformed.text).not.toContain("oops-my-secret-value");
  await expectError(api.request("POST", ORG, { rawBody: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }), 400, "malformed_request", []);
  const big = await api.request("POST", ORG, { body: { ...valid, description: "x".repeat(1024 * 1024) } });
  expect(big.status).toBe(413);
  expect(big.json).toEqual({ error: { code: "payload_too_large", message: "the body must be at most 1048576 bytes", details: [] } });
  // Chunked, no Content-Length: cut off at the limit all the same.
  const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent++ < 40) controller.enqueue(chunk);
      else controller.close();
    },
  });
  const chunked = await fetch(`${api.baseUrl}${ORG}`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.adminToken}`, "content-type": "application/json" },
    body: stream,
    duplex: "half",
  } as RequestInit);
  expect(chunked.status).toBe(413);
  expect(await chunked.json()).toEqual({ error: { code: "payload_too_large", message: "the body must be at most 1048576 bytes", details: [] } });
  await expectError(api.request("POST", ORG, { rawBody: "url=x", headers: { "content-type": "application/x-www-form-urlencoded" } }), 415, "unsupported_media_type");
  await expectError(api.request("POST", ORG, { rawBody: JSON.stringify(valid), headers: { "content-type": "text/plain" } }), 415, "unsupported_media_type");
  await expectError(api.request("POST", ORG, { rawBody: JSON.stringify(valid), headers: { "content-encoding": "gzip" } }), 415, "unsupported_media_type");
  await expectError(api.request("POST", ORG, { rawBody: JSON.stringify(valid), headers: { "content-type": "application/json; charset=latin1" } }), 415, "unsupported_media_type");

  expect(await webhooksCollection(mongo.db).countDocuments()).toBe(0);

  // Updates: same rules, nothing changed on refusal.
  const created = (await post(valid)).json;
  const path = `${ORG}/${created.id}`;
  await expectError(api.request("PATCH", path, { body: { url: "http://localhost/" } }), 422, "validation_failed", [
    { field: "url", message: "resolves to a non-public address (loopback); set ALLOW_PRIVATE_URLS=true to allow it" },
  ]);
  await expectError(api.request("PATCH", path, { body: { events: ["*"], secret: "0123456789abcdefgh" } }), 422, "validation_failed", [
    { field: "secret", message: "cannot be changed here; use POST .../secret/rotate" },
  ]);
  await expectError(api.request("PATCH", path, { body: {} }), 422, "validation_failed", [
    { field: "(body)", message: "must change at least one of url, contentType, events, active, description, rateLimitPerSecond, ordered, headers, auth, ed25519" },
  ]);
  await expectError(api.request("PATCH", path, { body: { active: null } }), 422, "validation_failed");
  await expectError(api.request("POST", `${path}/secret/rotate`, { body: { secret: "short" } }), 422, "validation_failed", [{ field: "secret", message: "must be at least 16 characters" }]);
  await expectError(api.request("PATCH", `${ORG}/wh_000000000000000000000000`, { body: { active: false } }), 404, "not_found");
  await expectError(api.request("POST", `${ORG}/wh_000000000000000000000000/secret/rotate`), 404, "not_found");
  await expectError(api.request("GET", `${ORG}/${encodeURIComponent("wh_$ne")}`), 404, "not_found");
  const unchanged = await api.request("GET", path);
  const { secret: _secret, ...createdView } = created;
  expect(unchanged.json).toEqual(createdView);
  expect(await webhooksCollection(mongo.db).countDocuments()).toBe(1);
});

test("accepts private URLs when ALLOW_PRIVATE_URLS=true", async ({ startApi }) => {
  const api = await startApi({ allowPrivateUrls: true });
  const res = await api.request("POST", ORG, { body: { ...valid, url: "http://127.0.0.1:9999/hook" } });
  expect(res.status).toBe(201);
  expect(res.json.url).toBe("http://127.0.0.1:9999/hook");
  expect((await api.request("POST", ORG, { body: { ...valid, url: "file:///etc/passwd" } })).status).toBe(422);
});
