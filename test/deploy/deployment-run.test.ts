// The deployment's first steps run for real: the built bins with deploy/config as the
// configuration directory against a fresh PostgreSQL database (KOSCHEI_TEST_DATABASE_URL), as
// the compose file, the migrate Job and the systemd units run them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { freshDatabase, type FreshDatabase } from "../support/database.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

describe("deployment with deploy/config", () => {
  let db: FreshDatabase;
  const home = mkdtempSync(join(tmpdir(), "koschei-deploy-run-"));

  const run = (program: string, ...args: string[]) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KOSCHEI_CONFIG_DIR: join(root, "deploy/config"),
      KOSCHEI_DATABASE_URL: db.url,
      FEDORA_MESSAGING_CONF: join(root, "deploy/config/fedora-messaging.toml"),
      HOME: home,
      XDG_CACHE_HOME: join(home, "cache"),
      XDG_DATA_HOME: join(home, "data"),
    };
    delete env.KOSCHEI_CONFIG;
    return spawnSync(process.execPath, [join(root, "bin", program), ...args], {
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
  };

  before(async () => {
    db = await freshDatabase({ migrated: false });
  });

  after(async () => {
    await db?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  it("koschei-admin migrate creates the schema, and a second run finds it up to date", () => {
    const first = run("koschei-admin", "migrate");
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^applied migration /m);
    assert.match(first.stdout, /is now at schema version \d+/);
    const second = run("koschei-admin", "migrate");
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /is up to date at schema version \d+/);
  });

  it("the admin reads config.yaml and config-backend.yaml", () => {
    const result = run("koschei-admin", "config", "dependency.dependency_cache_capacity");
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), "60000");
  });

  it("the frontend refuses to start with the example's placeholder secret", () => {
    const result = run("koschei", "frontend", "--listen", "127.0.0.1:0");
    assert.equal(result.status, 1);
    assert.match(result.stderr, /flask\.SECRET_KEY is the built-in placeholder/);
  });
});
