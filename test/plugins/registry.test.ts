// The plugin mechanism (spec 11 §1): enabled plugins are loaded once each, in order; an unknown
// one is a start-up error of every process; a disabled plugin is not even imported; listeners
// get their plugin's context; the services, admin commands and routes of a plugin exist only
// when it is enabled.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EventBus } from "../../src/backend/events.js";
import type { BackendSession } from "../../src/backend/session.js";
import { silentLogger } from "../../src/log/logger.js";
import { installPluginListeners, withPluginServices } from "../../src/plugins/backend.js";
import type { KoscheiPlugin } from "../../src/plugins/plugin.js";
import {
  knownPlugins,
  loadPlugins,
  UnknownPluginError,
  type PluginEntry,
} from "../../src/plugins/registry.js";
import { loadConfig } from "../../src/config/index.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import { migrations } from "../../src/db/index.js";

function recordingRegistry(loaded: string[]): PluginEntry[] {
  return ["one", "two"].map((name) => ({
    name,
    summary: name,
    load: async () => {
      loaded.push(name);
      return { name, summary: name };
    },
  }));
}

describe("loading", () => {
  it("loads the enabled plugins once each, in the configured order, and no others", async () => {
    const loaded: string[] = [];
    const plugins = await loadPlugins(
      { plugins: ["two", "one", "two"] },
      recordingRegistry(loaded),
    );
    assert.deepEqual(
      plugins.map((plugin) => plugin.name),
      ["two", "one"],
    );
    assert.deepEqual(loaded, ["two", "one"]);
    assert.deepEqual(await loadPlugins({ plugins: [] }, recordingRegistry(loaded)), []);
    assert.deepEqual(loaded, ["two", "one"]);
  });

  it("refuses an unknown plugin before loading any", async () => {
    const loaded: string[] = [];
    await assert.rejects(
      loadPlugins({ plugins: ["one", "xyzzy"] }, recordingRegistry(loaded)),
      (error: unknown) =>
        error instanceof UnknownPluginError &&
        error.message === "xyzzy plugin enabled but not installed",
    );
    assert.deepEqual(loaded, []);
  });

  it("every known plugin loads, under its own name", async () => {
    for (const entry of knownPlugins) {
      const plugin = await entry.load();
      assert.equal(plugin.name, entry.name);
      assert.ok(plugin.summary.length > 0, `${entry.name} has a summary`);
    }
  });
});

describe("backend wiring", () => {
  let fresh: FreshDatabase;
  before(async () => {
    fresh = await freshDatabase({ migrated: false });
  });
  after(() => fresh.drop());

  it("listeners get their plugin's context and the payload; removal removes them", async () => {
    const calls: string[] = [];
    const plugin: KoscheiPlugin = {
      name: "probe",
      summary: "probe",
      backend: {
        listeners: {
          polling_event: async (_payload, context) => {
            calls.push(`polling ${(await context.database()) === fresh.database}`);
            calls.push(`session ${(await context.session()).config.plugins.join()}`);
          },
          cleanup: async (payload) => void calls.push(`cleanup ${payload.olderThanMonths}`),
        },
      },
    };
    const emptyDir = mkdtempSync(join(tmpdir(), "koschei-plugins-config-"));
    const config = loadConfig("backend", { HOME: emptyDir, KOSCHEI_CONFIG_DIR: emptyDir });
    rmSync(emptyDir, { recursive: true });
    config.plugins = ["probe"];
    const events = new EventBus(silentLogger);
    const sessions: string[] = [];
    const remove = installPluginListeners([plugin], {
      config,
      log: silentLogger,
      events,
      openDatabase: async () => fresh.database,
      openSession: async (name) => {
        sessions.push(name);
        return { config } as BackendSession;
      },
    });
    await events.dispatch("polling_event", {});
    await events.dispatch("cleanup", { olderThanMonths: 6, userName: "admin" });
    remove();
    await events.dispatch("polling_event", {});
    assert.deepEqual(calls, ["polling true", "session probe", "cleanup 6"]);
    assert.deepEqual(sessions, ["plugin:probe"]);
  });

  it("a plugin's services come after the core ones", () => {
    const service = {
      name: "x",
      summary: "x",
      configKey: "polling",
      runPass: async () => {},
    } as const;
    const plugin: KoscheiPlugin = { name: "p", summary: "p", backend: { services: [service] } };
    assert.deepEqual(
      withPluginServices([], [plugin]).map((s) => s.name),
      ["x"],
    );
  });
});

describe("plugin tables", () => {
  it("come in the plugins' own migrations, applied with no plugin enabled", async () => {
    const fresh = await freshDatabase();
    try {
      const tables = new Set(
        (
          await fresh.database.query<{ table_name: string }>(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
          )
        ).map((row) => row.table_name),
      );
      const declared: string[] = [];
      for (const entry of knownPlugins) {
        for (const migration of (await entry.load()).migrations ?? []) {
          assert.ok(
            migrations.some((known) => known.id === migration.id),
            `${entry.name}: no migration ${migration.id}`,
          );
          for (const table of migration.tables) {
            declared.push(migration.id);
            assert.ok(tables.has(table), `${entry.name}: no table ${table}`);
          }
        }
      }
      assert.deepEqual([...new Set(declared)].sort(), ["0008_copr_tables", "0009_build_group"]);
    } finally {
      await fresh.drop();
    }
  });
});

describe("processes", () => {
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), "koschei-plugins-"));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  const run = (bin: string, args: string[], config: string) => {
    for (const name of ["config-backend.yaml", "config-admin.yaml", "config.yaml"]) {
      writeFileSync(join(home, name), config);
    }
    return spawnSync(process.execPath, [join(process.cwd(), "bin", bin), ...args], {
      env: { ...process.env, KOSCHEI_CONFIG_DIR: home, HOME: home, WATCHDOG_PATH: "" },
      encoding: "utf8",
    });
  };

  it("koschei backend refuses an unknown enabled plugin with exit 1", () => {
    const result = run("koschei", ["backend", "polling", "--once"], "plugins: [xyzzy]\n");
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /xyzzy plugin enabled but not installed/);
  });

  it("the copr services exist only when the plugin is enabled", () => {
    const without = run("koschei", ["backend", "copr-resolver"], "plugins: []\n");
    assert.equal(without.status, 2);
    assert.match(without.stderr, /No such service: copr-resolver/);
    const help = run("koschei", ["backend", "--help"], "plugins: [copr]\n");
    assert.equal(help.status, 0);
    assert.match(help.stdout, /copr-resolver/);
  });

  it("koschei-admin refuses an unknown enabled plugin; --help works without one", () => {
    const bad = run("koschei-admin", ["list-collections"], "plugins: [xyzzy]\n");
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /xyzzy plugin enabled but not installed/);
    const help = run("koschei-admin", ["--help"], "plugins: []\n");
    assert.equal(help.status, 0);
    assert.match(help.stdout, /cleanup/);
    assert.doesNotMatch(help.stdout, /build-group/);
  });

  it("koschei-admin offers an enabled plugin's commands", () => {
    const help = run("koschei-admin", ["--help"], "plugins: [osci]\n");
    assert.equal(help.status, 0);
    assert.match(help.stdout, /create-build-group/);
    const usage = run("koschei-admin", ["create-build-group", "--help"], "plugins: [osci]\n");
    assert.equal(usage.status, 0, usage.stderr);
    assert.match(usage.stdout, /--base-collection/);
  });
});
