import { describe, expect, it } from "vitest";
import { addressRange, isPublicAddress } from "@agiletune/shared";
import { assertPublicUrl, MAX_URL_LENGTH, parseWebhookUrl, UrlRefusedError } from "./url-guard.js";

const refused = [
  "127.0.0.1",
  "127.255.0.9",
  "0.0.0.0",
  "0.1.2.3",
  "10.1.2.3",
  "172.16.0.1",
  "172.31.255.255",
  "192.168.1.1",
  "169.254.169.254",
  "169.254.0.1",
  "100.64.0.1",
  "100.127.255.255",
  "224.0.0.1",
  "239.255.255.250",
  "255.255.255.255",
  "240.0.0.1",
  "192.0.2.10",
  "198.18.0.1",
  "::1",
  "::",
  "fe80::1",
  "fc00::1",
  "fd12:3456::1",
  "fd00:ec2::254",
  "fec0::1",
  "ff02::1",
  "::ffff:127.0.0.1",
  "::ffff:7f00:1",
  "::ffff:10.0.0.1",
  "::ffff:a9fe:a9fe",
  "64:ff9b::7f00:1",
  "2002:7f00:1::",
  "2001:db8::1",
  "not-an-ip",
];
const allowed = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "2a00:1450:4001:82b::200e", "::ffff:8.8.8.8"];

describe("isPublicAddress", () => {
  it.each(refused)("refuses %s", (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });
  it.each(allowed)("accepts %s", (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });
  it("names the range, judging IPv4-mapped IPv6 as IPv4", () => {
    expect(addressRange("::ffff:7f00:1")).toBe("loopback");
    expect(addressRange("[::1]")).toBe("loopback");
    expect(addressRange("169.254.169.254")).toBe("linkLocal");
    expect(addressRange("fd00:ec2::254")).toBe("uniqueLocal");
    expect(addressRange("100.64.1.1")).toBe("carrierGradeNat");
  });
});

describe("parseWebhookUrl", () => {
  const bad: Array<[string, string]> = [
    ["", "must not be empty"],
    ["ftp://example.com/x", "must use http or https"],
    ["javascript:alert(1)", "must use http or https"],
    ["file:///etc/passwd", "must use http or https"],
    ["example.com/hook", "is not a valid absolute URL"],
    ["http://", "is not a valid absolute URL"],
    ["https://user:pw@example.com/", "must not contain a user name or password"],
    ["https://exa\nmple.com/", "must not contain spaces or control characters"],
    ["https://example.com/a b", "must not contain spaces or control characters"],
    ["https://example.com/\u0000", "must not contain spaces or control characters"],
    [`https://example.com/${"a".repeat(MAX_URL_LENGTH)}`, `must be at most ${MAX_URL_LENGTH} characters`],
  ];
  it.each(bad)("refuses %j", (raw, message) => {
    expect(() => parseWebhookUrl(raw)).toThrow(new UrlRefusedError("invalid_url", message));
  });
  it("accepts http and https with ports, paths, queries and unicode host names", () => {
    expect(parseWebhookUrl("https://hooks.example.com:8443/in?x=1").href).toBe("https://hooks.example.com:8443/in?x=1");
    expect(parseWebhookUrl("http://bücher.example/h").hostname).toBe("xn--bcher-kva.example");
  });
});

describe("assertPublicUrl", () => {
  const dns: Record<string, string[]> = {
    "hooks.example.com": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
    "mixed.example.com": ["93.184.216.34", "10.0.0.7"],
    "rebind.example.com": ["::ffff:169.254.169.254"],
    "empty.example.com": [],
  };
  const resolve = async (host: string) => {
    const found = dns[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return found;
  };

  it("accepts a host whose every address is public", async () => {
    const { url, addresses } = await assertPublicUrl("https://hooks.example.com/in", { allowPrivate: false, resolve });
    expect(url.hostname).toBe("hooks.example.com");
    expect(addresses).toEqual(dns["hooks.example.com"]);
  });

  it.each([
    ["http://127.0.0.1:8080/", "loopback"],
    ["http://[::1]/", "loopback"],
    ["http://[::ffff:127.0.0.1]/", "loopback"],
    ["http://2130706433/", "loopback"],
    ["http://0x7f.1/", "loopback"],
    ["http://169.254.169.254/latest/meta-data", "linkLocal"],
    ["http://[fd00:ec2::254]/", "uniqueLocal"],
    ["https://mixed.example.com/", "private"],
    ["https://rebind.example.com/", "linkLocal"],
    ["http://0.0.0.0/", "unspecified"],
    ["http://localhost:3000/", "loopback"],
    ["http://api.LOCALHOST./", "loopback"],
  ])("refuses %s (%s)", async (raw, range) => {
    await expect(assertPublicUrl(raw, { allowPrivate: false, resolve })).rejects.toThrow(
      new UrlRefusedError("private_address", `resolves to a non-public address (${range}); set ALLOW_PRIVATE_URLS=true to allow it`),
    );
  });

  it("refuses a host that does not resolve or has no address, as retriable dns_failed", async () => {
    const err = await assertPublicUrl("https://nowhere.invalid/", { allowPrivate: false, resolve }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UrlRefusedError);
    expect(err).toMatchObject({ code: "dns_failed", message: "host name does not resolve (ENOTFOUND)", retriable: true });
    await expect(assertPublicUrl("https://empty.example.com/", { allowPrivate: false, resolve })).rejects.toMatchObject({ code: "dns_failed" });
  });

  it("gives up on a slow lookup", async () => {
    // A lookup that never answers: only the timeout can end the wait.
    const unanswered = () => new Promise<string[]>(() => undefined);
    await expect(assertPublicUrl("https://slow.example.com/", { allowPrivate: false, resolve: unanswered, dnsTimeoutMs: 20 })).rejects.toMatchObject({
      code: "dns_failed",
      message: "host name lookup timed out",
    });
  });

  it("skips the address check (and DNS) when private URLs are allowed, but not the syntax check", async () => {
    const never = () => Promise.reject(new Error("must not be called"));
    await expect(assertPublicUrl("http://127.0.0.1:9/x", { allowPrivate: true, resolve: never })).resolves.toMatchObject({ addresses: [] });
    await expect(assertPublicUrl("gopher://127.0.0.1/", { allowPrivate: true, resolve: never })).rejects.toMatchObject({ code: "invalid_url" });
  });

  it("resolves localhost through the real resolver and refuses it", async () => {
    await expect(assertPublicUrl("http://localhost:3000/", { allowPrivate: false })).rejects.toMatchObject({ code: "private_address" });
  });
});
