import { createPrivateKey, X509Certificate } from "node:crypto";
import { ENDPOINT_AUTH_TYPES } from "@agiletune/shared";
import { z } from "zod";
import { text, urlField } from "./schema-fields.js";

/** Request fields of a webhook's custom headers and endpoint authentication (docs/endpoint-authentication.md). */

export const MAX_CUSTOM_HEADERS = 20;
const HEADER_NAME_MAX_LENGTH = 64;
const HEADER_VALUE_MAX_LENGTH = 1024;
const CREDENTIAL_MAX_LENGTH = 4096;
const PEM_MAX_LENGTH = 32_768;

/** RFC 9110 token characters. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** Headers the delivery sets itself, or that would change how the request is framed or authenticated. */
const RESERVED_NAMES = new Set(["host", "content-length", "content-type", "user-agent", "transfer-encoding", "connection", "authorization", "traceparent", "tracestate"]);
const RESERVED_PREFIXES = ["x-agiletune-", "webhook-"];

/** Why a custom header's name is refused, or null. */
function headerNameProblem(name: string): string | null {
  if (name.length === 0 || name.length > HEADER_NAME_MAX_LENGTH) return `must be 1 to ${HEADER_NAME_MAX_LENGTH} characters`;
  if (!TOKEN.test(name)) return "is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only)";
  const lower = name.toLowerCase();
  if (RESERVED_NAMES.has(lower) || RESERVED_PREFIXES.some((p) => lower.startsWith(p))) return "is reserved: deliveries set it themselves (use auth for Authorization)";
  return null;
}

const headerValue = z.string("must be a string").max(HEADER_VALUE_MAX_LENGTH, `must be at most ${HEADER_VALUE_MAX_LENGTH} characters`).regex(PRINTABLE_ASCII, "must be printable ASCII");

function checkNames(headers: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  for (const name of Object.keys(headers)) {
    const problem = headerNameProblem(name);
    if (problem) ctx.addIssue({ code: "custom", path: [name], message: problem });
    if (seen.has(name.toLowerCase())) ctx.addIssue({ code: "custom", path: [name], message: "is given twice (header names ignore case)" });
    seen.add(name.toLowerCase());
  }
}

const headersDescription = `custom headers added to every delivery (at most ${MAX_CUSTOM_HEADERS}); values are write-only`;

export const customHeadersField = z
  .record(z.string(), headerValue, "must be an object of header names to values")
  .superRefine(checkNames)
  .refine((h) => Object.keys(h).length <= MAX_CUSTOM_HEADERS, `must have at most ${MAX_CUSTOM_HEADERS} headers`)
  .meta({ description: headersDescription });

export const customHeadersPatchField = z
  .record(z.string(), headerValue.nullable(), "must be an object of header names to values or null")
  .superRefine(checkNames)
  .meta({ description: `${headersDescription}; a string sets one, null removes it, names not given are kept` });

const nonEmpty = (max: number) => text(max).min(1, "must not be empty");
const credential = (max: number) => z.string("must be a string").min(1, "must not be empty").max(max, `must be at most ${max} characters`).regex(PRINTABLE_ASCII, "must be printable ASCII");
const pem = z.string("must be a PEM string").min(1, "must not be empty").max(PEM_MAX_LENGTH, `must be at most ${PEM_MAX_LENGTH} characters`);

/** Whether a PEM certificate and private key belong together, or why not. */
function certificateKeyProblem(certificate: string, privateKey: string): { field: "certificate" | "privateKey"; message: string } | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certificate);
  } catch {
    return { field: "certificate", message: "is not a PEM certificate" };
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(privateKey))) return { field: "privateKey", message: "does not match the certificate" };
  } catch {
    return { field: "privateKey", message: "is not an unencrypted PEM private key" };
  }
  return null;
}

/**
 * The four auth objects. In a PATCH (`secretsOptional`) a secret left out keeps the stored
 * one of the same type, so a page can change a scope without asking for the secret again.
 */
function authVariants(secretsOptional: boolean) {
  const secret = <T extends z.ZodType>(schema: T) => (secretsOptional ? schema.optional() : schema);
  const writeOnly = { description: "write-only" };
  const basic = z.strictObject({
    type: z.literal("basic"),
    username: nonEmpty(256).refine((u) => !u.includes(":"), "must not contain a colon"),
    password: secret(credential(CREDENTIAL_MAX_LENGTH)).meta(writeOnly),
  });
  const bearer = z.strictObject({ type: z.literal("bearer"), token: secret(credential(CREDENTIAL_MAX_LENGTH)).meta(writeOnly) });
  const oauth2 = z.strictObject({
    type: z.literal("oauth2"),
    tokenUrl: urlField.meta({ description: "the authorization server's token endpoint; the address rules of webhook URLs apply" }),
    clientId: nonEmpty(256),
    clientSecret: secret(credential(CREDENTIAL_MAX_LENGTH)).meta(writeOnly),
    scope: nonEmpty(1024).optional(),
    audience: nonEmpty(1024).optional(),
  });
  const mtls = z
    .strictObject({
      type: z.literal("mtls"),
      certificate: pem.meta({ description: "client certificate, PEM" }),
      privateKey: secret(pem).meta({ description: "its private key, PEM, unencrypted; write-only" }),
    })
    .superRefine((m, ctx) => {
      const problem = m.privateKey === undefined ? null : certificateKeyProblem(m.certificate, m.privateKey);
      if (problem) ctx.addIssue({ code: "custom", path: [problem.field], message: problem.message });
    });
  return [basic, bearer, oauth2, mtls] as const;
}

const typeMessage = `must be an object whose type is one of ${ENDPOINT_AUTH_TYPES.join(", ")}`;
const authDescription = "how deliveries authenticate to the endpoint; null for not at all";

export const endpointAuthField = z.discriminatedUnion("type", authVariants(false), typeMessage).nullable().meta({ id: "EndpointAuthInput", description: authDescription });
export type EndpointAuthInput = z.output<typeof endpointAuthField>;

export const endpointAuthPatchField = z
  .discriminatedUnion("type", authVariants(true), typeMessage)
  .nullable()
  .meta({ id: "EndpointAuthPatch", description: `${authDescription}; a secret left out keeps the stored one of the same type` });
export type EndpointAuthPatch = z.output<typeof endpointAuthPatchField>;

export const ed25519Field = z.boolean("must be true or false").meta({ description: "also sign with Ed25519 (v1a in webhook-signature); the public key is signingPublicKey" });
