// Test support: the admin API on an ephemeral loopback port against the test's own
// database and topics, with every response and log line captured, every response checked
// against the OpenAPI document, and a scan for leaked secrets at the end.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createProducer } from "@agiletune/shared";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { Kafka, Producer } from "kafkajs";
import type { Db } from "mongodb";
// The admin API's modules by path: the harness needs more of them (the operations list,
// the producer type) than the package's entry point exports.
import { createApp, type AppDeps } from "../../../services/admin-api/src/app.js";
import type { JobProducer } from "../../../services/admin-api/src/dlq-replay.js";
import { buildOpenApiDocument } from "../../../services/admin-api/src/openapi.js";
import { OPERATIONS } from "../../../services/admin-api/src/openapi-operations.js";
import type { ResolveHost } from "../../../services/admin-api/src/url-guard.js";
import { capturingLogger } from "./log-capture.js";

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** Public names for tests; anything else does not resolve. */
const TEST_DNS: Record<string, string[]> = {
  "hooks.example.com": ["93.184.216.34"],
  "other.example.com": ["2606:2800:220:1:248:1893:25c8:1946"],
  "internal.example.com": ["10.0.0.5"],
  "rebind.example.com": ["93.184.216.34", "::ffff:127.0.0.1"],
};
const testResolver: ResolveHost = async (host) => {
  const found = TEST_DNS[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  return found;
};

export type ApiResponse = { status: number; headers: Record<string, string>; text: string; json: any };
export type RequestOptions = { token?: string | null; body?: unknown; rawBody?: string | Buffer; headers?: Record<string, string> };

type Captured = { method: string; path: string; requestBody: string; response: ApiResponse };

const doc = buildOpenApiDocument() as {
  components: { schemas: Record<string, object> };
  paths: Record<string, Record<string, { responses: Record<string, { content?: { "application/json"?: { schema: { $ref: string } } } }> }>>;
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema(schema, `#/components/schemas/${name}`);
const routeMatchers = OPERATIONS.map((op) => ({
  op,
  regex: new RegExp(`^${op.path.replace(/:[A-Za-z]+/g, "[^/]+")}$`),
  openapiPath: op.path.replace(/:([A-Za-z]+)/g, "{$1}"),
}));

/** Problems of one response against the document: undocumented status, or body not matching the schema. */
export function openApiProblems(method: string, path: string, res: ApiResponse): string[] {
  const match = routeMatchers.find((m) => m.op.method === method.toLowerCase() && m.regex.test(path.split("?")[0]!));
  if (!match) {
    // Unknown routes and methods still answer with the error shape.
    return validate("#/components/schemas/Error", res.json) ?? [];
  }
  const documented = doc.paths[match.openapiPath]![match.op.method]!.responses[String(res.status)];
  if (!documented) return [`${method} ${match.op.path} answered ${res.status}, which is not documented`];
  const ref = documented.content?.["application/json"]?.schema.$ref;
  if (!ref) return res.text === "" || match.op.path === "/metrics" ? [] : [`${method} ${match.op.path} ${res.status} has a body but documents none`];
  return (validate(ref, res.json) ?? []).map((p) => `${method} ${match.op.path} ${res.status}: ${p}`);
}

function validate(ref: string, value: unknown): string[] | undefined {
  const fn: ValidateFunction | undefined = ajv.getSchema(ref);
  if (!fn) return [`no schema ${ref}`];
  return fn(value) ? undefined : (fn.errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? ""} ${JSON.stringify(e.params)}`);
}

/**
 * Every known secret must appear only in the one response that issued it (the `secret`
 * of a create/rotate response, the `token` of an API key response) and in no log line.
 * Returns a description of every leak.
 */
export function findLeakedSecrets(captured: Array<{ response: ApiResponse; requestBody: string }>, logLines: string[], extraSecrets: string[]): string[] {
  const issuedBy = new Map<string, number[]>();
  const secrets = new Set(extraSecrets.filter((s) => s.length >= 8));
  captured.forEach((c, i) => {
    // A portal session's link carries its secret in the fragment.
    const link = typeof c.response.json?.url === "string" ? (c.response.json.url as string).split("#")[1] : undefined;
    for (const value of [c.response.json?.secret, c.response.json?.token, link]) {
      if (typeof value === "string") {
        secrets.add(value);
        issuedBy.set(value, [...(issuedBy.get(value) ?? []), i]);
      }
    }
    // Secrets chosen by the client count too: the webhook secret, custom header values, auth secrets.
    for (const chosen of secretsSent(c.requestBody)) if (chosen.length >= 8) secrets.add(chosen);
  });
  const leaks: string[] = [];
  for (const secret of secrets) {
    captured.forEach((c, i) => {
      const where = c.response.text + JSON.stringify(c.response.headers);
      if (where.includes(secret) && !(issuedBy.get(secret) ?? []).includes(i)) leaks.push(`response #${i} contains a secret (${secret.slice(0, 6)}…)`);
    });
    const issuers = issuedBy.get(secret) ?? [];
    if (issuers.length > 1) leaks.push(`secret ${secret.slice(0, 6)}… was returned by ${issuers.length} responses`);
    logLines.forEach((line, i) => {
      if (line.includes(secret)) leaks.push(`log line #${i} contains a secret (${secret.slice(0, 6)}…)`);
    });
  }
  return leaks;
}

/** The write-only values of a request body (WEBHOOK_SECRET_FIELD_PATHS): none of them may come back. */
function secretsSent(requestBody: string): string[] {
  let sent: { secret?: unknown; headers?: unknown; auth?: unknown };
  try {
    sent = JSON.parse(requestBody);
  } catch {
    return [];
  }
  if (!sent || typeof sent !== "object") return [];
  const values: unknown[] = [sent.secret];
  if (sent.headers && typeof sent.headers === "object") values.push(...Object.values(sent.headers));
  if (sent.auth && typeof sent.auth === "object") {
    const auth = sent.auth as Record<string, unknown>;
    values.push(auth.password, auth.token, auth.clientSecret, auth.privateKey);
  }
  return values.filter((v): v is string => typeof v === "string");
}

export type TestApi = {
  baseUrl: string;
  adminToken: string;
  encryptionKey: string;
  db: Db;
  producer: Producer;
  logLines: string[];
  captured: Captured[];
  request: (method: string, path: string, opts?: RequestOptions) => Promise<ApiResponse>;
  /** An organization API key made through the API. */
  createOrgKey: (orgId: string) => Promise<string>;
  /** Stops, then checks the OpenAPI conformance of every response and that no secret leaked (throws if not). Once; later calls return the first's result. */
  close: () => Promise<void>;
  clockAt: (d: Date | null) => void;
};

export type TestApiOptions = {
  db: Db;
  kafka: Kafka;
  topics: { deliveries: string; events: string };
  allowPrivateUrls?: boolean;
  producer?: JobProducer;
  kafkaReady?: () => Promise<void>;
  /** Seals webhook secrets; share it with the dispatcher that is to deliver this API's webhooks. */
  encryptionKey?: string;
  /** PORTAL_FRAME_ANCESTORS: origins that may frame the settings page. */
  frameAncestors?: string[];
};

/** The admin API on an ephemeral loopback port (see the top of this file). */
export async function startTestApi(opts: TestApiOptions): Promise<TestApi> {
  const adminToken = `op_${randomBytes(24).toString("hex")}`;
  const encryptionKey = opts.encryptionKey ?? randomBytes(32).toString("base64");
  // Trace level and no redaction: the code itself must not log secrets.
  const { logger, lines: logLines } = capturingLogger("trace");
  const producer = createProducer(opts.kafka);
  await producer.connect();
  let fixedNow: Date | null = null;
  // Listening first: portal links are built on the address (PUBLIC_URL).
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const deps: AppDeps = {
    db: opts.db,
    producer: opts.producer ?? producer,
    topics: opts.topics,
    config: {
      ADMIN_TOKEN: adminToken,
      SECRETS_ENCRYPTION_KEY: encryptionKey,
      ALLOW_PRIVATE_URLS: opts.allowPrivateUrls ?? false,
      PUBLIC_URL: baseUrl,
      PORTAL_FRAME_ANCESTORS: opts.frameAncestors ?? [],
    },
    logger,
    clock: () => fixedNow ?? new Date(),
    resolveHost: testResolver,
    kafkaReady: opts.kafkaReady ?? (async () => undefined),
  };
  server.on("request", createApp(deps).callback());
  const captured: Captured[] = [];

  const request = async (method: string, path: string, ro: RequestOptions = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = { ...ro.headers };
    const token = ro.token === undefined ? adminToken : ro.token;
    if (token !== null) headers.authorization ??= `Bearer ${token}`;
    let body: string | Buffer | undefined = ro.rawBody;
    if (ro.body !== undefined) body = JSON.stringify(ro.body);
    if (body !== undefined) headers["content-type"] ??= "application/json";
    const res = await fetch(baseUrl + path, { method, headers, body });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const response: ApiResponse = { status: res.status, headers: Object.fromEntries(res.headers.entries()), text, json };
    captured.push({ method, path, requestBody: typeof body === "string" ? body : "", response });
    return response;
  };

  let closed: Promise<void> | undefined;
  async function close(): Promise<void> {
    let stored: string[];
    try {
      // Stored forms of the secrets must not show up anywhere either.
      stored = [
        ...(await opts.db.collection("webhooks").find().toArray()).flatMap((w) => [
          w.secretSealed,
          w.previousSecretSealed,
          ...(w.headers ?? []).map((h: { valueSealed: string }) => h.valueSealed),
          ...Object.entries(w.auth ?? {}).flatMap(([field, value]) => (field.endsWith("Sealed") ? [value] : [])),
          w.signingKey?.privateKeySealed,
          w.signingKey?.previousPrivateKeySealed,
        ]),
        ...(await opts.db.collection("api_keys").find().toArray()).map((k) => k.tokenHash),
        ...(await opts.db.collection("portal_sessions").find().toArray()).flatMap((p) => [p.linkHash, p.tokenHash]),
      ].filter((s): s is string => typeof s === "string");
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await producer.disconnect();
    }
    const problems = [
      ...findLeakedSecrets(captured, logLines, [adminToken, encryptionKey, ...stored]),
      ...captured.flatMap((c) => openApiProblems(c.method, c.path, c.response)),
      ...captured.filter((c) => c.response.status >= 500 && c.response.status !== 503).map((c) => `${c.method} ${c.path} answered ${c.response.status}`),
    ];
    if (problems.length) {
      const errors = logLines.filter((l) => /"level":(50|60)/.test(l)).map((l) => (JSON.parse(l) as { err?: { message?: string } }).err?.message ?? l.slice(0, 200));
      throw new Error(`after the test:\n${problems.join("\n")}${errors.length ? `\nerror log lines:\n${errors.join("\n")}` : ""}`);
    }
  }

  return {
    baseUrl,
    adminToken,
    encryptionKey,
    db: opts.db,
    producer,
    logLines,
    captured,
    request,
    clockAt: (d) => {
      fixedNow = d;
    },
    createOrgKey: async (orgId) => {
      const res = await request("POST", `/v1/organizations/${orgId}/api-keys`);
      if (res.status !== 201) throw new Error(`api key: ${res.status} ${res.text}`);
      return res.json.token as string;
    },
    close: () => (closed ??= close()),
  };
}
