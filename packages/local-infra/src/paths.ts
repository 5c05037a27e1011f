import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the folder holding pnpm-workspace.yaml above this file. */
export const REPO_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "pnpm-workspace.yaml"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the repository root (pnpm-workspace.yaml)");
    dir = parent;
  }
  return dir;
})();

/** Git-ignored: downloaded jars, the built FerretDB, data, logs and pid files. */
export const INFRA_DIR = process.env.AGILETUNE_INFRA_DIR ?? join(REPO_ROOT, ".infra");
export const LOG_DIR = join(INFRA_DIR, "logs");
