import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";
import { generateEncryptionKey } from "./secret-box.js";

const key = generateEncryptionKey();

describe("loadConfig", () => {
  it("applies the contract's defaults", () => {
    const config = loadConfig("fanout", {});
    expect(config.KAFKA_BROKERS).toEqual(["localhost:9092"]);
    expect(config.MONGO_URL).toBe("mongodb://localhost:27017/agiletune");
    expect(config.DELIVERY_TIMEOUT_MS).toBe(30_000);
    expect(config.retryDelaysMs).toEqual([60_000, 300_000, 1_800_000, 7_200_000, 43_200_000]);
    expect(config.ALLOW_PRIVATE_URLS).toBe(false);
    expect([config.CIRCUIT_FAILURE_THRESHOLD, config.CIRCUIT_PROBE_INTERVAL, config.DISABLE_AFTER]).toEqual([10, 30_000, 5 * 86_400_000]);
    expect(config.metricsPort).toBe(9101);
    expect(loadConfig("dispatcher", { SECRETS_ENCRYPTION_KEY: key }).metricsPort).toBe(9102);
    expect(loadConfig("retry", {}).metricsPort).toBe(9103);
    expect(loadConfig("admin-api", { ADMIN_TOKEN: "x".repeat(32), SECRETS_ENCRYPTION_KEY: key }).metricsPort).toBe(8080);
  });

  it("parses lists, booleans and delays", () => {
    const config = loadConfig("retry", { KAFKA_BROKERS: "a:9092, b:9093", ALLOW_PRIVATE_URLS: "true", RETRY_DELAYS: "1s,2s,3s,4s,5s", METRICS_PORT: "0" });
    expect(config.KAFKA_BROKERS).toEqual(["a:9092", "b:9093"]);
    expect(config.ALLOW_PRIVATE_URLS).toBe(true);
    expect(config.retryDelaysMs).toEqual([1000, 2000, 3000, 4000, 5000]);
    expect(config.metricsPort).toBe(0);
  });

  it.each([
    ["KAFKA_BROKERS", "not a broker list"],
    ["MONGO_URL", "postgres://x"],
    ["RETRY_DELAYS", "1s,2s"],
    ["DELIVERY_TIMEOUT_MS", "-5"],
    ["DELIVERY_TIMEOUT_MS", "soon"],
    ["ADMIN_API_PORT", "70000"],
    ["ALLOW_PRIVATE_URLS", "yes please"],
    ["LOG_LEVEL", "loud"],
    ["SCHEMA_REGISTRY_URL", "ftp://registry"],
    ["SECRETS_ENCRYPTION_KEY", "dG9vIHNob3J0"],
  ])("names %s when its value %j is bad", (variable, value) => {
    let error: unknown;
    try {
      loadConfig("fanout", { [variable]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toMatch(new RegExp(`^Invalid configuration: ${variable} `));
    expect((error as ConfigError).message).not.toContain("\n");
  });

  it("requires the admin token and the encryption key where they are used", () => {
    expect(() => loadConfig("admin-api", { SECRETS_ENCRYPTION_KEY: key })).toThrow(/ADMIN_TOKEN is required/);
    expect(() => loadConfig("dispatcher", {})).toThrow(/SECRETS_ENCRYPTION_KEY is required/);
    expect(() => loadConfig("fanout", { NODE_ENV: "production" })).toThrow(/ADMIN_TOKEN is required/);
  });

  it("parses the endpoint-health durations and names a bad one", () => {
    const config = loadConfig("dispatcher", { SECRETS_ENCRYPTION_KEY: key, CIRCUIT_PROBE_INTERVAL: "2s", DISABLE_AFTER: "1d", CIRCUIT_FAILURE_THRESHOLD: "3" });
    expect([config.CIRCUIT_FAILURE_THRESHOLD, config.CIRCUIT_PROBE_INTERVAL, config.DISABLE_AFTER]).toEqual([3, 2_000, 86_400_000]);
    expect(() => loadConfig("dispatcher", { SECRETS_ENCRYPTION_KEY: key, DISABLE_AFTER: "five days" })).toThrow(/DISABLE_AFTER/);
  });

  it("keeps the delivery log 30 days by default, and dead letters as long unless told apart", () => {
    const defaults = loadConfig("admin-api", { ADMIN_TOKEN: "x".repeat(32), SECRETS_ENCRYPTION_KEY: key });
    expect([defaults.DELIVERY_LOG_RETENTION, defaults.DEAD_LETTER_RETENTION]).toEqual([30 * 86_400_000, 30 * 86_400_000]);
    expect(loadConfig("fanout", { DELIVERY_LOG_RETENTION: "7d" }).DEAD_LETTER_RETENTION).toBe(7 * 86_400_000);
    const apart = loadConfig("fanout", { DELIVERY_LOG_RETENTION: "2s", DEAD_LETTER_RETENTION: "90d" });
    expect([apart.DELIVERY_LOG_RETENTION, apart.DEAD_LETTER_RETENTION]).toEqual([2_000, 90 * 86_400_000]);
    expect(() => loadConfig("fanout", { DELIVERY_LOG_RETENTION: "forever" })).toThrow(/^Invalid configuration: DELIVERY_LOG_RETENTION /);
    expect(() => loadConfig("fanout", { DEAD_LETTER_RETENTION: "0d" })).toThrow(/^Invalid configuration: DEAD_LETTER_RETENTION .*greater than zero/);
    expect(() => loadConfig("fanout", { DELIVERY_LOG_RETENTION: "30000d" })).toThrow(/DELIVERY_LOG_RETENTION must be at most 24855d/);
  });

  it("reads the portal's public origin and the origins that may frame the page, and names a bad one", () => {
    const admin = { ADMIN_TOKEN: "x".repeat(32), SECRETS_ENCRYPTION_KEY: key };
    expect([loadConfig("admin-api", admin).PUBLIC_URL, loadConfig("admin-api", admin).PORTAL_FRAME_ANCESTORS]).toEqual([undefined, []]);
    const config = loadConfig("admin-api", {
      ...admin,
      PUBLIC_URL: "https://webhooks.agiletune.com/",
      PORTAL_FRAME_ANCESTORS: " https://app.agiletune.com  http://localhost:3000 https://*.agiletune.com",
    });
    expect(config.PUBLIC_URL).toBe("https://webhooks.agiletune.com");
    expect(config.PORTAL_FRAME_ANCESTORS).toEqual(["https://app.agiletune.com", "http://localhost:3000", "https://*.agiletune.com"]);
    expect(() => loadConfig("admin-api", { ...admin, PORTAL_FRAME_ANCESTORS: "https://app.agiletune.com/settings" })).toThrow(/^Invalid configuration: PORTAL_FRAME_ANCESTORS must be origins/);
    expect(() => loadConfig("admin-api", { ...admin, PORTAL_FRAME_ANCESTORS: "'self'; script-src *" })).toThrow(/PORTAL_FRAME_ANCESTORS/);
    expect(() => loadConfig("admin-api", { ...admin, PUBLIC_URL: "ftp://x" })).toThrow(/^Invalid configuration: PUBLIC_URL/);
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig("fanout", { KAFKA_BROKERS: "" }).KAFKA_BROKERS).toEqual(["localhost:9092"]);
  });
});
