// `koschei-admin config` run as a real child process through ./bin/koschei-admin.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { configScratch } from "./scratch.js";

const bin = fileURLToPath(new URL("../../../bin/koschei-admin", import.meta.url));
const { root: scratch, configDir } = configScratch("koschei-admin-config-test-");

function koscheiAdmin(dir: string, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, KOSCHEI_CONFIG_DIR: dir, HOME: scratch };
  delete env.KOSCHEI_CONFIG;
  delete env.KOSCHEI_DATABASE_URL;
  delete env.XDG_CACHE_HOME;
  delete env.XDG_DATA_HOME;
  const result = spawnSync(process.execPath, [bin, "config", ...args], { env, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("koschei-admin config", () => {
  const dir = configDir({
    "config.yaml": "priorities: {t0: 1}\n",
    "config-backend.yaml": "koji_config: {max_builds: 7, weburl: https://backend.test/koji}\n",
    "config-admin.yaml": "koji_config: {weburl: https://admin.test/koji}\n",
    "config-frontend.yaml": "koji_config: {max_builds: 99}\n",
  });

  it("prints a scalar plainly, merged from config, backend and admin files", () => {
    assert.deepEqual(koscheiAdmin(dir, "koji_config.max_builds"), {
      status: 0,
      stdout: "7\n",
      stderr: "",
    });
    assert.equal(koscheiAdmin(dir, "koji_config.weburl").stdout, "https://admin.test/koji\n");
  });

  it("prints a mapping as YAML, or as JSON with --json", () => {
    const expected = {
      newly_added: 3000,
      build_threshold: 256,
      package_update: 256,
      failed_build_priority: 200,
      t0: 1,
      t1: 168,
    };
    const asYaml = koscheiAdmin(dir, "priorities");
    assert.equal(asYaml.status, 0);
    assert.deepEqual(parse(asYaml.stdout), expected);
    assert.ok(asYaml.stdout.includes("t0: 1\n"));
    assert.deepEqual(JSON.parse(koscheiAdmin(dir, "priorities", "--json").stdout), expected);
  });

  it("prints everything without a key", () => {
    const whole = parse(koscheiAdmin(dir).stdout) as Record<string, unknown>;
    assert.equal(whole.secondary_mode, false);
    assert.equal(
      (whole.directories as Record<string, string>).statedir,
      join(scratch, ".local/share/koschei"),
    );
  });

  it("reports an unknown key in one line with exit code 1", () => {
    assert.deepEqual(koscheiAdmin(dir, "koji_config.nope"), {
      status: 1,
      stdout: "",
      stderr: "koschei-admin config: Configuration value not found: koji_config.nope\n",
    });
  });

  it("reports a bad configuration file in one line with exit code 1", () => {
    const bad = configDir({ "config-admin.yaml": "priorities:\n  build_threshold: high\n" });
    assert.deepEqual(koscheiAdmin(bad, "priorities"), {
      status: 1,
      stdout: "",
      stderr:
        `koschei-admin config: ${join(bad, "config-admin.yaml")}: ` +
        'priorities.build_threshold: expected a number, got "high"\n',
    });
  });
});
