// docs/configuration.md is generated (scripts/config-reference.mjs); these tests keep it
// current and complete.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { builtInDefaults } from "../../src/config/defaults.js";
import { isMapping } from "../../src/config/merge.js";
import {
  configReference,
  configReferenceKeys,
  REFERENCE_CONTEXT,
} from "../../src/config/reference.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const typesSource = readFileSync(`${root}src/config/types.ts`, "utf8");
const committed = readFileSync(`${root}docs/configuration.md`, "utf8");

/** Every leaf of the defaults as the reference spells it (lists and empty mappings are leaves). */
function leafPaths(value: unknown, prefix: string[] = []): string[] {
  if (!isMapping(value) || (Object.keys(value).length === 0 && prefix.length > 0)) {
    return [
      prefix.map((part) => (part === "" || part.includes(".") ? `"${part}"` : part)).join("."),
    ];
  }
  return Object.entries(value).flatMap(([key, item]) => leafPaths(item, [...prefix, key]));
}

describe("configuration reference", () => {
  it("is what regenerating it gives (run node scripts/config-reference.mjs after a change)", () => {
    assert.equal(configReference(typesSource), committed);
  });

  it("is the same however the machine's directories are set", () => {
    const script = fileURLToPath(new URL("../../../scripts/config-reference.mjs", import.meta.url));
    const env = {
      ...process.env,
      HOME: "/nonexistent",
      XDG_CACHE_HOME: "/somewhere/else",
      KOSCHEI_CONFIG_DIR: "/tmp",
    };
    const result = spawnSync(process.execPath, [script, "--check"], { env, encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
  });

  it("has a row for every key of the built-in defaults", () => {
    const rows = new Set(configReferenceKeys(typesSource).map((key) => key.path));
    const defaults = builtInDefaults(REFERENCE_CONTEXT);
    const missing = leafPaths(defaults).filter((path) => !rows.has(path));
    assert.deepEqual(missing, []);
    for (const path of leafPaths(defaults)) {
      assert.ok(committed.includes(`| \`${path}\` |`), `${path} is not in docs/configuration.md`);
    }
  });

  it("lists the keys without a default (database name, memory limits, repo_url…) as unset", () => {
    const keys = new Map(configReferenceKeys(typesSource).map((key) => [key.path, key]));
    for (const path of [
      "db_url",
      "database_config.database",
      "database_config.port",
      "koji_config.repo_url",
      "services.repo-resolver.memory_limit",
      "frontend.external_url",
    ]) {
      assert.equal(keys.get(path)?.defaultText, "unset", path);
    }
    assert.equal(keys.get("database_config.port")?.accepts, "integer from 1 to 65535, or null");
  });

  it("describes every key", () => {
    const undescribed = configReferenceKeys(typesSource)
      .filter((key) => key.description === "")
      .map((key) => key.path);
    assert.deepEqual(undescribed, [], "add a doc comment in types.ts or an entry in reference.ts");
  });

  it("shows machine-specific defaults as their rule", () => {
    assert.match(committed, /\| `directories\.cachedir` \| `\$XDG_CACHE_HOME\/koschei` \|/);
    assert.match(committed, /\| `directories\.statedir` \| `\$XDG_DATA_HOME\/koschei` \|/);
    assert.match(committed, /\| `copr\.config_path` \| `<config dir>\/copr-config` \|/);
    assert.doesNotMatch(committed, /\/home\/|\/root\//);
  });
});
