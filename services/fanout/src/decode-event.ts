import { parseJsonDomainEvent, validateDomainEvent, type DomainEvent, type ParseResult } from "@agiletune/shared";

/** The part of @kafkajs/confluent-schema-registry we use; injectable for tests. */
export type RegistryDecoder = { decode(buffer: Buffer): Promise<unknown> };

/** The registry could not be asked (down, timeout, 5xx): the message is not at fault, so retry it. */
export class RegistryUnavailableError extends Error {
  constructor(readonly cause: unknown) {
    super(`schema registry unavailable: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = "RegistryUnavailableError";
  }
}

/** Confluent wire format: magic byte 0, then a 4-byte schema id, then the payload. */
function isRegistryWireFormat(bytes: Buffer): boolean {
  return bytes.length >= 5 && bytes[0] === 0;
}

/**
 * Plain JSON, or the schema-registry wire format when a registry is configured. Returns
 * a reason for anything the message itself gets wrong; throws RegistryUnavailableError
 * when only the registry is to blame.
 */
export async function decodeEvent(bytes: Buffer | null, registry: RegistryDecoder | undefined): Promise<ParseResult<DomainEvent>> {
  if (!bytes || !isRegistryWireFormat(bytes)) return parseJsonDomainEvent(bytes);
  if (!registry) return { ok: false, reason: "schema-registry wire format, but SCHEMA_REGISTRY_URL is not set" };
  let decoded: unknown;
  try {
    decoded = await registry.decode(bytes);
  } catch (err) {
    const status = (err as { status?: number }).status;
    // 404: unknown schema id; 422: unusable schema. mappersmith reports network errors as 400.
    if (status === 404 || status === 422) return { ok: false, reason: `schema id ${bytes.readUInt32BE(1)}: ${(err as Error).message}` };
    if (typeof status === "number") throw new RegistryUnavailableError(err);
    return { ok: false, reason: `payload does not match schema id ${bytes.readUInt32BE(1)}: ${(err as Error).message}` };
  }
  // Avro decodes to class instances; a JSON round trip makes it the plain event its JSON twin is.
  return validateDomainEvent(JSON.parse(JSON.stringify(decoded)));
}
