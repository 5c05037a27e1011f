import { describe, expect, it } from "vitest";
import { findLeakedSecrets, openApiProblems, type ApiResponse } from "./api-harness.js";

const res = (status: number, json: unknown, headers: Record<string, string> = {}): ApiResponse => ({ status, headers, text: JSON.stringify(json), json });

describe("the leak scan the integration tests rely on", () => {
  it("allows a secret only in the response that issued it", () => {
    const issued = { response: res(201, { id: "wh_1", secret: "whsec_abcdefghijklmnop" }), requestBody: "" };
    expect(findLeakedSecrets([issued], [], [])).toEqual([]);
    const echoed = { response: res(200, { id: "wh_1", note: "whsec_abcdefghijklmnop" }), requestBody: "" };
    expect(findLeakedSecrets([issued, echoed], [], [])).toEqual(["response #1 contains a secret (whsec_…)"]);
  });

  it("catches secrets chosen by the client, operator tokens in headers and secrets in log lines", () => {
    const create = { response: res(201, { id: "wh_1", secret: "my-chosen-secret-123" }), requestBody: JSON.stringify({ secret: "my-chosen-secret-123" }) };
    const header = { response: res(200, {}, { "x-debug": "op_token_value_123" }), requestBody: "" };
    expect(findLeakedSecrets([create, header], ['{"msg":"got my-chosen-secret-123"}'], ["op_token_value_123"])).toEqual([
      "response #1 contains a secret (op_tok…)",
      "log line #0 contains a secret (my-cho…)",
    ]);
  });
});

describe("the OpenAPI response check the integration tests rely on", () => {
  it("accepts a documented response and reports undocumented statuses and shape drift", () => {
    const ok = res(200, { status: "ok" });
    expect(openApiProblems("GET", "/healthz", ok)).toEqual([]);
    expect(openApiProblems("GET", "/healthz", res(418, {}))).toEqual(["GET /healthz answered 418, which is not documented"]);
    expect(openApiProblems("GET", "/v1/organizations/o/webhooks/wh_1", res(200, { id: "wh_1" }))[0]).toMatch(
      /^GET \/v1\/organizations\/:orgId\/webhooks\/:webhookId 200: \(root\) must have required property/,
    );
    expect(openApiProblems("GET", "/nowhere", res(404, { error: { code: "not_found", message: "x", details: [] } }))).toEqual([]);
    expect(openApiProblems("GET", "/nowhere", res(404, { oops: 1 })).length).toBeGreaterThan(0);
  });
});
