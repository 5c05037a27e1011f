import { describe, expect, it } from "vitest";
import { ApiError, createClient } from "./api.js";

/** Records each request and answers with the given status and body. */
function recorder(status: number, body: unknown) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const fetchImpl = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(body === undefined ? null : JSON.stringify(body), { status, statusText: status === 200 ? "OK" : "Error", headers: { "content-type": "application/json" } });
  }) as unknown as typeof fetch;
  return { calls, fetchImpl };
}

describe("the page's API client", () => {
  it("sends the token as a bearer header only, with ids and filters encoded in the URL", async () => {
    const { calls, fetchImpl } = recorder(200, { items: [], nextCursor: null });
    const client = createClient("atk_secret-token", () => undefined, fetchImpl);
    await client.listDeliveries("org/1", "wh_1", { status: "failed", event: undefined, cursor: "c u", limit: 25 });
    expect(calls[0]!.url).toBe("/v1/organizations/org%2F1/webhooks/wh_1/deliveries?status=failed&cursor=c+u&limit=25");
    expect(calls[0]!.url).not.toContain("atk_secret-token");
    expect(calls[0]!.init.headers).toEqual({ authorization: "Bearer atk_secret-token", accept: "application/json" });
    expect(calls[0]!.init.credentials).toBe("omit");
  });

  it("recovers with the time as given, or no time at all for the API to refuse; clears a rate limit with null", async () => {
    const { calls, fetchImpl } = recorder(202, { matched: 3 });
    const client = createClient("t", () => undefined, fetchImpl);
    expect(await client.recover("org_1", "wh_1", "2026-03-20T12:00:00.000Z")).toEqual({ matched: 3 });
    await client.recover("org_1", "wh_1", undefined);
    await client.updateWebhook("org_1", "wh_1", { rateLimitPerSecond: null });
    expect(calls.map((c) => [c.init.method, c.url, c.init.body])).toEqual([
      ["POST", "/v1/organizations/org_1/webhooks/wh_1/recover", '{"since":"2026-03-20T12:00:00.000Z"}'],
      ["POST", "/v1/organizations/org_1/webhooks/wh_1/recover", "{}"],
      ["PATCH", "/v1/organizations/org_1/webhooks/wh_1", '{"rateLimitPerSecond":null}'],
    ]);
  });

  it("turns an error body into an ApiError with its details, and tells about a 401", async () => {
    const body = { error: { code: "validation_failed", message: "url: must use http or https", details: [{ field: "url", message: "must use http or https" }] } };
    const refused: ApiError[] = [];
    const client = createClient("t", (e) => refused.push(e), recorder(422, body).fetchImpl);
    const error = await client.createWebhook("org_1", { url: "ftp://x", contentType: "json", events: ["*"], description: "" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, code: "validation_failed", details: body.error.details });
    expect(refused).toEqual([]);

    const signedOut = createClient("t", (e) => refused.push(e), recorder(401, { error: { code: "unauthorized", message: "the token is not valid", details: [] } }).fetchImpl);
    await expect(signedOut.me()).rejects.toMatchObject({ status: 401, message: "the token is not valid" });
    expect(refused.map((e) => e.status)).toEqual([401]);
  });

  it("says so in words when the API cannot be reached or answers without a JSON error", async () => {
    const offline = createClient("t", () => undefined, (async () => {
      throw new TypeError("Failed to fetch");
    }) as unknown as typeof fetch);
    await expect(offline.me()).rejects.toMatchObject({ status: 0, message: "Could not reach the admin API (Failed to fetch). Check that it is running and try again." });
    const proxy = createClient("t", () => undefined, (async () => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" })) as unknown as typeof fetch);
    await expect(proxy.me()).rejects.toMatchObject({ status: 502, message: "The admin API answered 502 Bad Gateway" });
  });
});
