import { describe, expect, it } from "vitest";
import { REDACTED, redactChanges, redactSecrets } from "./audit-redaction.js";

describe("audit log redaction", () => {
  it("hides the secret, every header value and the auth secrets, keeping what names rather than proves", () => {
    const webhook = {
      url: "https://hooks.example.com/in",
      secret: "whsec_abcdefghijklmnop",
      headers: { "X-Api-Key": "k-123456", "X-Gone": null },
      auth: { type: "oauth2", tokenUrl: "https://idp.example.com/token", clientId: "agiletune", clientSecret: "cs-very-secret", scope: "hooks", audience: "api" },
      events: ["task.created"],
    };
    expect(redactSecrets(webhook)).toEqual({
      url: webhook.url,
      secret: REDACTED,
      headers: { "X-Api-Key": REDACTED, "X-Gone": null },
      auth: { type: "oauth2", tokenUrl: "https://idp.example.com/token", clientId: "agiletune", clientSecret: REDACTED, scope: "hooks", audience: "api" },
      events: ["task.created"],
    });
    expect(redactSecrets({ auth: { type: "basic", username: "u", password: "p4ss" } })).toEqual({ auth: { type: "basic", username: "u", password: REDACTED } });
    expect(redactSecrets({ auth: { type: "bearer", token: "t0k" } })).toEqual({ auth: { type: "bearer", token: REDACTED } });
    expect(redactSecrets({ auth: { type: "mtls", certificate: "-----BEGIN", privateKey: "-----BEGIN KEY" } })).toEqual({ auth: { type: "mtls", certificate: REDACTED, privateKey: REDACTED } });
  });

  it("redacts each side of a change as the field it is, and keeps null (removed) and absent (did not exist)", () => {
    expect(
      redactChanges({
        secret: { to: "whsec_new-secret-value" },
        auth: { from: { type: "bearer", token: "old" }, to: null },
        headers: { to: { "X-A": "v" } },
        url: { from: "https://a.example.com", to: "https://b.example.com" },
      }),
    ).toEqual({
      secret: { to: REDACTED },
      auth: { from: { type: "bearer", token: REDACTED }, to: null },
      headers: { to: { "X-A": REDACTED } },
      url: { from: "https://a.example.com", to: "https://b.example.com" },
    });
  });
});
