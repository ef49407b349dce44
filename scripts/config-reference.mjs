// Writes docs/configuration.md, the configuration reference, from the built-in defaults,
// the doc comments of src/config/types.ts and the validation rules. Run after `npx tsc -b`:
//   node scripts/config-reference.mjs           rewrite docs/configuration.md
//   node scripts/config-reference.mjs --check   exit 1 if the committed file is out of date
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { configReference } = await import(join(root, "dist/src/config/reference.js"));
const text = configReference(readFileSync(join(root, "src/config/types.ts"), "utf8"));
const target = join(root, "docs/configuration.md");

if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {
    // missing: out of date
  }
  if (current !== text) {
    console.error("docs/configuration.md is out of date: run node scripts/config-reference.mjs");
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  console.log("wrote docs/configuration.md");
}
