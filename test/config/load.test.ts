import assert from "node:assert/strict";
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadConfig, type Component } from "../../src/config/index.js";
import { configScratch } from "./scratch.js";

const { root: scratch, configDir } = configScratch("koschei-config-test-");

const load = (component: Component, dir: string, extra: NodeJS.ProcessEnv = {}) =>
  loadConfig(component, { HOME: scratch, KOSCHEI_CONFIG_DIR: dir, ...extra });

/** Asserts that loading fails with exactly this one-line ConfigError message. */
function assertConfigError(run: () => unknown, message: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${String(error)}`);
    assert.equal(error.message, message);
    return true;
  });
}

const everyComponentFile = {
  "config.yaml": "version: common\npriorities: {t0: 1, t1: 1}\n",
  "config-backend.yaml": "version: backend\npriorities: {t0: 2}\n",
  "config-frontend.yaml": "version: frontend\n",
  "config-admin.yaml": "version: admin\n",
};

describe("loadConfig: files of each component", () => {
  const dir = configDir(everyComponentFile);

  it("backend reads config.yaml then config-backend.yaml", () => {
    const config = load("backend", dir);
    assert.equal(config.version, "backend");
    assert.deepEqual([config.priorities.t0, config.priorities.t1], [2, 1]);
  });

  it("frontend reads config.yaml then config-frontend.yaml, not the backend's", () => {
    const config = load("frontend", dir);
    assert.equal(config.version, "frontend");
    assert.deepEqual([config.priorities.t0, config.priorities.t1], [1, 1]);
  });

  it("admin reads config.yaml, config-backend.yaml, then config-admin.yaml", () => {
    const config = load("admin", dir);
    assert.equal(config.version, "admin");
    assert.deepEqual([config.priorities.t0, config.priorities.t1], [2, 1]);
  });

  it("skips missing files and uses the defaults", () => {
    const config = load("backend", configDir({}));
    assert.equal(config.priorities.t0, 6);
    assert.equal(config.koji_config.max_builds, 30);
  });

  it("accepts the .yml extension", () => {
    const config = load("backend", configDir({ "config-backend.yml": "version: yml\n" }));
    assert.equal(config.version, "yml");
  });

  it("refuses a file present as both .yaml and .yml", () => {
    const both = configDir({ "config.yaml": "{}\n", "config.yml": "{}\n" });
    assertConfigError(
      () => load("backend", both),
      `${join(both, "config.yaml")} and ${join(both, "config.yml")}: both exist; keep only one of them`,
    );
  });

  it("treats an empty file as setting nothing", () => {
    assert.equal(load("backend", configDir({ "config.yaml": "" })).priorities.t0, 6);
  });
});

describe("loadConfig: merging files", () => {
  it("merges nested mappings and replaces lists, later files winning", () => {
    const dir = configDir({
      "config.yaml": [
        "koji_config:",
        "  build_arches: [i386, x86_64]",
        "  login_args: {cert: /a.pem, ca: /ca.pem}",
        "caching:",
        "  pagure:",
        "    users: {expiration_time: 60}",
        "",
      ].join("\n"),
      "config-backend.yaml": [
        "koji_config:",
        "  build_arches: [aarch64]",
        "  login_args: {cert: /b.pem}",
        "caching:",
        "  pagure:",
        "    users: {backend: dogpile.cache.null}",
        "",
      ].join("\n"),
    });
    const config = load("backend", dir);
    assert.deepEqual(config.koji_config.build_arches, ["aarch64"]);
    assert.deepEqual(config.koji_config.login_args, { cert: "/b.pem", ca: "/ca.pem" });
    assert.deepEqual(config.caching.pagure, {
      users: {
        backend: "dogpile.cache.null",
        expiration_time: 60,
        arguments: { filename: join(scratch, ".cache", "koschei", "pagure-user-cache.dbm") },
      },
    });
    assert.equal(config.koji_config.max_builds, 30);
  });

  it("lets null replace a value that may be unset", () => {
    const dir = configDir({ "config-backend.yaml": "database_config: {host: null}\n" });
    assert.equal(load("backend", dir).database_config.host, null);
  });

  it("accepts keys it does not know, for plugins", () => {
    const dir = configDir({
      "config.yaml": "my_plugin: {level: 3}\nkoji_config: {extra: [1]}\nservices: {mine: {x: 1}}\n",
    });
    const config = load("backend", dir) as unknown as Record<string, unknown>;
    assert.deepEqual(config.my_plugin, { level: 3 });
  });
});

describe("loadConfig: secondary Koji", () => {
  it("is primary mode with a copy of koji_config when nothing is configured", () => {
    const config = load("backend", configDir({}));
    assert.equal(config.secondary_mode, false);
    assert.deepEqual(config.secondary_koji_config, config.koji_config);
  });

  it("inherits unset keys from koji_config and replaces nested mappings whole", () => {
    const dir = configDir({
      "config.yaml": [
        "koji_config:",
        "  server: https://primary.test/kojihub",
        "  max_builds: 5",
        "  login_args: {cert: /primary.pem, ca: /ca.pem}",
        "secondary_koji_config:",
        "  server: https://secondary.test/kojihub",
        "",
      ].join("\n"),
      "config-backend.yaml": "secondary_koji_config:\n  login_args: {ca: /other-ca.pem}\n",
    });
    const config = load("backend", dir);
    assert.equal(config.secondary_mode, true);
    assert.equal(config.secondary_koji_config.server, "https://secondary.test/kojihub");
    assert.equal(config.secondary_koji_config.max_builds, 5);
    assert.deepEqual(config.secondary_koji_config.login_args, { ca: "/other-ca.pem" });
    assert.equal(config.koji_config.server, "https://primary.test/kojihub");
  });

  it("cannot be switched off again by an empty mapping in a later file", () => {
    const dir = configDir({
      "config.yaml": "secondary_koji_config: {weburl: https://secondary.test/koji}\n",
      "config-backend.yaml": "secondary_koji_config: {}\n",
    });
    assert.equal(load("backend", dir).secondary_mode, true);
  });
});

describe("loadConfig: environment", () => {
  it("reads /etc/koschei without KOSCHEI_CONFIG_DIR", () => {
    // Whatever this machine holds there: the copr config path shows the directory used.
    const config = loadConfig("frontend", { HOME: scratch });
    assert.equal(config.copr.config_path, "/etc/koschei/copr-config");
  });

  it("KOSCHEI_DATABASE_URL overrides db_url of the files", () => {
    const dir = configDir({ "config.yaml": "db_url: postgresql://file@localhost/file\n" });
    const url = "postgres://env@127.0.0.1:5432/koschei";
    assert.equal(load("backend", dir, { KOSCHEI_DATABASE_URL: url }).db_url, url);
    assert.equal(load("backend", dir).db_url, "postgresql://file@localhost/file");
  });

  it("rejects a KOSCHEI_DATABASE_URL that is not a PostgreSQL URL, hiding its password", () => {
    assertConfigError(
      () => load("backend", configDir({}), { KOSCHEI_DATABASE_URL: "mysql://u:secret@db/x" }),
      'environment variable KOSCHEI_DATABASE_URL: db_url: expected a postgresql:// or postgres:// URL, got "mysql://…"',
    );
  });

  it("KOSCHEI_CONFIG lists the files to read instead of the directory's", () => {
    const dir = configDir(everyComponentFile);
    const extra = configDir({ "site.yaml": "version: site\n" });
    const list = `${join(dir, "config-admin.yaml")}:${join(extra, "site.yaml")}`;
    const config = load("backend", dir, { KOSCHEI_CONFIG: list });
    assert.equal(config.version, "site");
    assert.equal(config.priorities.t0, 6, "config.yaml was not read");
  });

  it("KOSCHEI_CONFIG naming a missing file is an error", () => {
    const missing = join(scratch, "no-such.yaml");
    assertConfigError(
      () => load("backend", configDir({}), { KOSCHEI_CONFIG: missing }),
      `Config file not found: ${missing}`,
    );
  });
});

describe("loadConfig: errors", () => {
  it("names the file and key of a badly typed value", () => {
    const dir = configDir({
      "config.yaml": "priorities: {build_threshold: 10}\n",
      "config-backend.yaml": "priorities:\n  build_threshold: high\n",
    });
    assertConfigError(
      () => load("backend", dir),
      `${join(dir, "config-backend.yaml")}: priorities.build_threshold: expected a number, got "high"`,
    );
  });

  it("names the earlier file when a later one set only a sibling key", () => {
    const dir = configDir({
      "config.yaml": "koji_config: {max_builds: true}\n",
      "config-backend.yaml": "koji_config: {task_priority: 10}\n",
    });
    assertConfigError(
      () => load("backend", dir),
      `${join(dir, "config.yaml")}: koji_config.max_builds: expected a number, got true`,
    );
  });

  const cases: [string, string, string][] = [
    ["koji_config: [a]\n", "koji_config", "expected a mapping, got a list"],
    [
      "koji_config: {build_arches: x86_64}\n",
      "koji_config.build_arches",
      'expected a list of strings, got "x86_64"',
    ],
    [
      "koji_config: {build_arches: [x86_64, 5]}\n",
      "koji_config.build_arches[1]",
      "expected a string, got 5",
    ],
    [
      "secondary_koji_config: {max_builds: many}\n",
      "secondary_koji_config.max_builds",
      'expected a number, got "many"',
    ],
    [
      "koji_config: {session_opts: {timeout: soon}}\n",
      "koji_config.session_opts.timeout",
      'expected a number, got "soon"',
    ],
    [
      "services: {polling: {watchdog: 1}}\n",
      "services.polling.watchdog",
      "expected true or false, got 1",
    ],
    [
      "services: {mine: {interval: fast}}\n",
      "services.mine.interval",
      'expected a number, got "fast"',
    ],
    ["priorities: {t0: null}\n", "priorities.t0", "expected a number, got null"],
    ["plugins: [copr, {x: 1}]\n", "plugins[1]", "expected a string, got a mapping"],
    ["links: [{name: A, url: 3}]\n", "links[0].url", "expected a string, got 3"],
    ["database_config: {port: '5432'}\n", "database_config.port", 'expected a number, got "5432"'],
    [
      "db_url: sqlite:///x\n",
      "db_url",
      'expected a postgresql:// or postgres:// URL, got "sqlite://…"',
    ],
    [
      "frontend: {auth: {user_re: [1]}}\n",
      "frontend.auth.user_re",
      "expected a string, got a list",
    ],
    [
      "bugreport: {template: {comment: 1}}\n",
      "bugreport.template.comment",
      "expected a string, got 1",
    ],
  ];
  for (const [text, key, problem] of cases) {
    it(`reports ${key}: ${problem}`, () => {
      const dir = configDir({ "config-frontend.yaml": text });
      assertConfigError(
        () => load("frontend", dir),
        `${join(dir, "config-frontend.yaml")}: ${key}: ${problem}`,
      );
    });
  }

  it("reports a YAML syntax error with file and line", () => {
    const dir = configDir({
      "config.yaml": "koji_config:\n  max_builds: 3\n  build_arches: [x86_64]]\nversion: x\n",
    });
    assert.throws(
      () => load("backend", dir),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message.startsWith(
          `${join(dir, "config.yaml")}:3: YAML syntax error: Unexpected flow-seq-end token`,
        ) &&
        !error.message.includes("\n"),
    );
  });

  it("reports duplicate keys as YAML errors", () => {
    const dir = configDir({ "config.yaml": "version: a\nversion: b\n" });
    assert.throws(
      () => load("backend", dir),
      /config\.yaml:2: YAML syntax error: Map keys must be unique/,
    );
  });

  it("refuses a file whose top level is not a mapping", () => {
    const dir = configDir({ "config.yaml": "- a\n- b\n" });
    assertConfigError(
      () => load("backend", dir),
      `${join(dir, "config.yaml")}: expected a mapping of configuration keys, got a list`,
    );
  });
});

describe("loadConfig: the config directory", () => {
  it("refuses a KOSCHEI_CONFIG_DIR that does not exist", () => {
    const missing = join(scratch, "no-such-dir");
    assertConfigError(
      () => load("backend", missing),
      `KOSCHEI_CONFIG_DIR: ${missing}: no such directory`,
    );
  });

  it("refuses a KOSCHEI_CONFIG_DIR that is a file", () => {
    const file = join(configDir({ "config.yaml": "{}\n" }), "config.yaml");
    assertConfigError(() => load("backend", file), `KOSCHEI_CONFIG_DIR: ${file}: not a directory`);
  });

  it("refuses a config.yaml that is a symbolic link to nothing", () => {
    const dir = configDir({});
    const target = join(dir, "gone.yaml");
    symlinkSync(target, join(dir, "config.yaml"));
    assertConfigError(
      () => load("backend", dir),
      `${join(dir, "config.yaml")}: symbolic link to ${target}, which does not exist`,
    );
  });
});

describe("loadConfig: ranges of numbers", () => {
  const refused: [string, string, string][] = [
    ["dependency: {dependency_cache_capacity: -5}", "dependency.dependency_cache_capacity", "expected an integer >= 1, got -5"],
    ["dependency: {dependency_cache_capacity: 0}", "dependency.dependency_cache_capacity", "expected an integer >= 1, got 0"],
    ["dependency: {dependency_cache_capacity: 1.5}", "dependency.dependency_cache_capacity", "expected an integer >= 1, got 1.5"],
    ["database_config: {port: 70000}", "database_config.port", "expected an integer from 1 to 65535, got 70000"],
    ["database_config: {connect_timeout: 0}", "database_config.connect_timeout", "expected a number > 0, got 0"],
    ["database_config: {statement_timeout: -1}", "database_config.statement_timeout", "expected a number >= 0, got -1"],
    ["koji_config: {max_builds: -1}", "koji_config.max_builds", "expected an integer >= 0, got -1"],
    ["koji_config: {load_threshold: -0.5}", "koji_config.load_threshold", "expected a number >= 0, got -0.5"],
    ["koji_config: {task_priority: 2.5}", "koji_config.task_priority", "expected an integer, got 2.5"],
    ["koji_config: {retry: {timeout: 0}}", "koji_config.retry.timeout", "expected a number > 0, got 0"],
    ["secondary_koji_config: {session_opts: {max_retries: 0.5}}", "secondary_koji_config.session_opts.max_retries", "expected an integer >= 0, got 0.5"],
    ["services: {polling: {interval: 0}}", "services.polling.interval", "expected a number > 0, got 0"],
    ["services: {watcher: {memory_limit: 0}}", "services.watcher.memory_limit", "expected an integer >= 1, got 0"],
    ["caching: {koji_arches: {expiration_time: -2}}", "caching.koji_arches.expiration_time", "expected a number >= -1, got -2"],
    ["caching: {pagure: {users: {expiration_time: -2}}}", "caching.pagure.users.expiration_time", "expected a number >= -1, got -2"],
    ["frontend: {packages_per_page: 0}", "frontend.packages_per_page", "expected an integer >= 1, got 0"],
    ["logging: {version: 2}", "logging.version", "expected 1, got 2"],
    ["real_builds_insert_chunk: 0", "real_builds_insert_chunk", "expected an integer >= 1, got 0"],
  ]; // prettier-ignore
  for (const [text, key, problem] of refused) {
    it(`refuses ${text}`, () => {
      const dir = configDir({ "config-backend.yaml": `${text}\n` });
      assertConfigError(
        () => load("backend", dir),
        `${join(dir, "config-backend.yaml")}: ${key}: ${problem}`,
      );
    });
  }

  it("accepts the bounds themselves", () => {
    const dir = configDir({
      "config.yaml": [
        "koji_config: {max_builds: 0, load_threshold: 1.5, retry: {max_retries: 0}}",
        "database_config: {port: 65535, statement_timeout: 0, connect_timeout: 0.5}",
        "caching: {koji_arches: {expiration_time: -1}}",
        "dependency: {dependency_cache_capacity: 1}",
        "",
      ].join("\n"),
    });
    const config = load("backend", dir);
    assert.deepEqual(
      [
        config.koji_config.max_builds,
        config.koji_config.load_threshold,
        config.database_config.port,
      ],
      [0, 1.5, 65535],
    );
  });
});

describe("loadConfig: keys named like Object.prototype's properties", () => {
  it("are plain keys: they reach no prototype and no check of an inherited property", () => {
    const dir = configDir({
      "config.yaml": [
        "__proto__: {polluted: true}",
        "constructor: 5",
        "toString: 5",
        "prototype: {x: 1}",
        "priorities: {__proto__: {t0: 99}, constructor: {x: 1}}",
        "",
      ].join("\n"),
    });
    const config = load("backend", dir) as unknown as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(config), Object.prototype);
    assert.equal(Object.getPrototypeOf(config.priorities), Object.prototype);
    assert.equal(config.polluted, undefined);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(Object.getOwnPropertyDescriptor(config, "__proto__")?.value, {
      polluted: true,
    });
    assert.equal(config.constructor, 5);
    assert.equal(config.toString, 5);
    assert.deepEqual(config.prototype, { x: 1 });
    assert.equal((config.priorities as Record<string, unknown>).t0, 6);
  });
});
