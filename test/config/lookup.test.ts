import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pg from "pg";
import { builtInDefaults } from "../../src/config/defaults.js";
import {
  ConfigError,
  databaseTarget,
  kojiConfig,
  lookupConfig,
  type KoscheiConfig,
} from "../../src/config/index.js";
import { assembleConfig } from "../../src/config/load.js";

const defaults = builtInDefaults({
  configDir: "/etc/koschei",
  dataDir: "/opt/koschei",
  cacheDir: "/home/ann/.cache/koschei",
  stateDir: "/home/ann/.local/share/koschei",
  version: "1.2.3",
});

/** The defaults with the given values merged over them, as if from one file. */
const configWith = (values: Record<string, unknown>): KoscheiConfig =>
  assembleConfig(defaults, [{ source: "test.yaml", values }]);

describe("lookupConfig", () => {
  const config = configWith({});

  it("follows dotted keys through mappings and list positions", () => {
    assert.equal(lookupConfig(config, "koji_config.weburl"), "https://koji.fedoraproject.org/koji");
    assert.equal(lookupConfig(config, "koji_config.build_arches.1"), "x86_64");
    assert.equal(lookupConfig(config, "links.4.name"), "Koji");
  });

  it("returns the whole configuration for the empty key", () => {
    assert.equal(lookupConfig(config, ""), config);
  });

  it("returns null values that are set", () => {
    assert.equal(lookupConfig(configWith({ db_url: null }), "db_url"), null);
  });

  for (const key of ["nope", "koji_config.nope", "koji_config.weburl.x", "links.9", "links.x"]) {
    it(`throws ConfigError for the missing key ${key}`, () => {
      assert.throws(
        () => lookupConfig(config, key),
        (error: unknown) =>
          error instanceof ConfigError && error.message === `Configuration value not found: ${key}`,
      );
    });
  }
});

describe("kojiConfig", () => {
  it("returns the primary and the derived secondary instance", () => {
    const config = configWith({
      koji_config: { server: "https://primary.test/kojihub" },
      secondary_koji_config: { server: "https://secondary.test/kojihub" },
    });
    assert.equal(kojiConfig(config, "primary").server, "https://primary.test/kojihub");
    assert.equal(kojiConfig(config, "secondary").server, "https://secondary.test/kojihub");
    assert.equal(kojiConfig(config, "secondary").max_builds, 30);
  });

  it("lets back-off options of session_opts win over retry", () => {
    const config = configWith({
      koji_config: { retry: { max_retries: 5 }, session_opts: { timeout: 60, other: "kept" } },
    });
    const koji = kojiConfig(config, "primary");
    assert.deepEqual(koji.retry, {
      anon_retry: true,
      max_retries: 5,
      retry_interval: 20,
      offline_retry: true,
      offline_retry_interval: 120,
      timeout: 60,
      connect_timeout: 30,
      idle_timeout: 120,
    });
    assert.deepEqual(koji.session_opts, { timeout: 60, other: "kept" });
    assert.equal(config.koji_config.retry.timeout, 3600, "the loaded config is left alone");
  });
});

describe("databaseTarget", () => {
  const defaultTimeouts = {
    connect_timeout: 10,
    statement_timeout: 300,
    idle_in_transaction_timeout: 600,
  };

  it("uses the embedded PGlite under the state directory when no database is configured", () => {
    assert.deepEqual(databaseTarget(configWith({})), {
      kind: "pglite",
      dataDir: "/home/ann/.local/share/koschei/pglite",
    });
  });

  it("uses db_url as it is", () => {
    const url = "postgres://k@db.example/koschei";
    assert.deepEqual(
      databaseTarget(configWith({ db_url: url, database_config: { database: "x" } })),
      { kind: "postgresql", url, timeouts: defaultTimeouts },
    );
  });

  it("builds the URL from database_config, escaping its parts", () => {
    const config = configWith({
      database_config: {
        host: "db.example",
        port: 5433,
        username: "kos chei",
        password: "p@ss/word",
        database: "koschei",
      },
    });
    assert.deepEqual(databaseTarget(config), {
      kind: "postgresql",
      url: "postgresql://kos%20chei:p%40ss%2Fword@db.example:5433/koschei",
      timeouts: defaultTimeouts,
    });
  });

  it("connects through the local socket when the host is null", () => {
    const config = configWith({
      database_config: { host: null, username: "koschei", database: "koschei" },
    });
    assert.deepEqual(databaseTarget(config), {
      kind: "postgresql",
      url: "postgresql://koschei@/koschei?host=/var/run/postgresql",
      timeouts: defaultTimeouts,
    });
  });

  it("brackets an IPv6 host", () => {
    const config = configWith({ database_config: { host: "::1", database: "k" } });
    assert.deepEqual(databaseTarget(config), {
      kind: "postgresql",
      url: "postgresql://[::1]/k",
      timeouts: defaultTimeouts,
    });
  });

  it("carries the configured time limits", () => {
    const config = configWith({
      db_url: "postgresql://k@db.example/koschei",
      database_config: {
        connect_timeout: 0.5,
        statement_timeout: 0,
        idle_in_transaction_timeout: 30,
      },
    });
    assert.deepEqual(databaseTarget(config), {
      kind: "postgresql",
      url: "postgresql://k@db.example/koschei",
      timeouts: { connect_timeout: 0.5, statement_timeout: 0, idle_in_transaction_timeout: 30 },
    });
  });

  it("refuses a driver other than PostgreSQL", () => {
    const config = configWith({ database_config: { drivername: "mysql", database: "k" } });
    assert.throws(() => databaseTarget(config), /database_config\.drivername: only postgresql/);
  });

  it("builds a URL the real PostgreSQL server accepts", async () => {
    const server = new URL(
      process.env.KOSCHEI_TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
    );
    const config = configWith({
      database_config: {
        host: server.hostname,
        port: Number(server.port || 5432),
        username: decodeURIComponent(server.username),
        password: server.password ? decodeURIComponent(server.password) : null,
        database: decodeURIComponent(server.pathname.slice(1)),
      },
    });
    const target = databaseTarget(config);
    assert.equal(target.kind, "postgresql");
    const client = new pg.Client({
      connectionString: target.kind === "postgresql" ? target.url : "",
    });
    await client.connect();
    try {
      const { rows } = await client.query<{ db: string }>("SELECT current_database() AS db");
      assert.equal(rows[0]!.db, decodeURIComponent(server.pathname.slice(1)));
    } finally {
      await client.end();
    }
  });
});
