import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateOpenApiFiles } from "./openapi.js";

describe("the committed OpenAPI files", () => {
  it("docs/openapi.json and the settings page's generated API types are what the admin API's openapi.ts makes now (`pnpm openapi` rewrites them)", async () => {
    const files = await generateOpenApiFiles();
    expect(files.map((f) => f.path.replace(/.*?(docs|packages)\//, "$1/"))).toEqual(["docs/openapi.json", "packages/console/src/api-types.generated.ts"]);
    for (const { path, text } of files) expect(readFileSync(path, "utf8"), `${path} is stale: run pnpm openapi`).toBe(text);
  });
});
