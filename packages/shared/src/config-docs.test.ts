import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { envSchema } from "./config.js";

const doc = readFileSync(new URL("../../../docs/configuration.md", import.meta.url), "utf8");

/** The rows of the first table in docs/configuration.md (the variables the services read): variable → default cell. */
function documentedDefaults(): Map<string, string> {
  const start = doc.indexOf("| variable | default | meaning |");
  const end = doc.indexOf("\n\n", start);
  const rows = doc
    .slice(start, end === -1 ? undefined : end)
    .split("\n")
    .slice(2);
  return new Map(
    rows.map((row) => {
      const [variable, defaultCell] = row.split(" | ").map((cell) => cell.replace(/^\| /, "").trim());
      return [variable!.replace(/`/g, ""), defaultCell!];
    }),
  );
}

/** What the default cell says the default is, as the environment would give it: `undefined` when it names none. */
function writtenDefault(cell: string): string | undefined {
  if (cell === "empty") return "";
  return /^`([^`]*)`/.exec(cell)?.[1];
}

describe("docs/configuration.md", () => {
  const documented = documentedDefaults();
  const fields = envSchema.shape;

  it("lists every variable of the schema, and nothing else", () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(fields).sort());
  });

  it.each(Object.keys(fields))("gives %s the schema's default", (variable) => {
    const field = fields[variable as keyof typeof fields];
    const schemaDefault = field.parse(undefined);
    const written = writtenDefault(documented.get(variable) ?? "");
    if (schemaDefault === undefined) expect(written, "a variable without a default is described in words, not as a value").toBeUndefined();
    else expect(written === undefined ? undefined : field.parse(written)).toEqual(schemaDefault);
  });
});
