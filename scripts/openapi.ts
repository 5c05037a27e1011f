// `pnpm openapi`: writes the admin API's OpenAPI document (services/admin-api/src/openapi.ts,
// the one GET /v1/openapi.json serves) to docs/openapi.json, and the settings page's API
// types generated from it by openapi-typescript to packages/console/src/api-types.generated.ts.
// Both are committed, so the page type-checks and builds from a clean clone with no step
// first; openapi.test.ts fails when either differs from what the code generates now.
// `pnpm build` runs this too, outside production (whose install has no dev dependencies).
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import openapiTS, { astToString, type OpenAPI3 } from "openapi-typescript";
import { buildOpenApiDocument } from "../services/admin-api/src/openapi.js";

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
export const OPENAPI_DOCUMENT_FILE = join(REPO_ROOT, "docs", "openapi.json");
export const CONSOLE_API_TYPES_FILE = join(REPO_ROOT, "packages", "console", "src", "api-types.generated.ts");

const TYPES_HEADER = `// Generated from docs/openapi.json by openapi-typescript (\`pnpm openapi\`, scripts/openapi.ts): do not edit.
// The settings page's API types (api.ts) are aliases of these, so a field the API adds or
// drops is a compile error in the page until it follows.

`;

/** Each generated file's path and the text it should hold now. */
export async function generateOpenApiFiles(): Promise<Array<{ path: string; text: string }>> {
  const document = buildOpenApiDocument();
  const types = astToString(await openapiTS(document as unknown as OpenAPI3));
  return [
    { path: OPENAPI_DOCUMENT_FILE, text: `${JSON.stringify(document, null, 2)}\n` },
    { path: CONSOLE_API_TYPES_FILE, text: TYPES_HEADER + types },
  ];
}

/**
 * Writes the generated files that changed (an unchanged one keeps its time, so the browser
 * tests' `ensureConsoleBuilt` does not rebuild the page for it); says what it did.
 */
export async function writeOpenApiFiles(): Promise<string> {
  const written: string[] = [];
  for (const { path, text } of await generateOpenApiFiles()) {
    if (existsSync(path) && (await readFile(path, "utf8")) === text) continue;
    await writeFile(path, text);
    written.push(relative(REPO_ROOT, path));
  }
  return written.length ? `wrote ${written.join(", ")}` : "docs/openapi.json and the settings page's API types are up to date";
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) console.log(await writeOpenApiFiles());
