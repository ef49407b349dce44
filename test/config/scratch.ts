// Scratch space for the config tests: a temporary directory (also their HOME) removed after
// the test file, and fresh config directories inside it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";

export interface ConfigScratch {
  root: string;
  /** A fresh config directory holding the given files. */
  configDir(files: Record<string, string>): string;
}

export function configScratch(prefix: string): ConfigScratch {
  const root = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(root, { recursive: true, force: true }));
  let dirCount = 0;
  return {
    root,
    configDir(files) {
      const dir = join(root, `conf${++dirCount}`);
      mkdirSync(dir);
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
      return dir;
    },
  };
}
