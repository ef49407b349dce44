// Locates the shared specification/contracts/benchmark directory for tests: env
// KOSCHEI_SHARED_DIR, else `../shared` next to the repository root (found by walking up from
// this file to package.json, so it works from both test/ and the compiled dist/test/).

import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the repository root (no package.json above)");
    dir = parent;
  }
  return dir;
}

/** Absolute path of the shared directory, or of a path inside it. */
export function sharedPath(...parts: string[]): string {
  const base = process.env.KOSCHEI_SHARED_DIR ?? join(repositoryRoot(), "..", "shared");
  return resolve(base, ...parts);
}
