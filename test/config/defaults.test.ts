import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { builtInDefaults, userDirectories } from "../../src/config/defaults.js";
import { assembleConfig } from "../../src/config/load.js";
import { lookupConfig } from "../../src/config/lookup.js";
import { isMapping } from "../../src/config/merge.js";
import { ruleFor } from "../../src/config/validate.js";

const context = {
  configDir: "/etc/koschei",
  dataDir: "/opt/koschei",
  cacheDir: "/home/ann/.cache/koschei",
  stateDir: "/home/ann/.local/share/koschei",
  version: "1.2.3",
};

describe("built-in defaults", () => {
  const config = assembleConfig(builtInDefaults(context), []);

  it("has a value for representative keys of every section", () => {
    const expected: Record<string, unknown> = {
      "database_config.drivername": "postgresql",
      "database_config.host": "localhost",
      "database_config.connect_timeout": 10,
      "database_config.statement_timeout": 300,
      "database_config.idle_in_transaction_timeout": 600,
      "koji_config.server": "https://koji.fedoraproject.org/kojihub",
      "koji_config.topurl": "https://kojipkgs.fedoraproject.org",
      "koji_config.weburl": "https://koji.fedoraproject.org/koji",
      "koji_config.login_method": "logout",
      "koji_config.max_builds": 30,
      "koji_config.build_arches": ["i386", "x86_64", "armhfp"],
      "koji_config.load_threshold": 0.5,
      "koji_config.task_timeout": 172800,
      "koji_config.multicall_chunk_size": 100,
      "koji_config.build_from_repo_id": false,
      "koji_config.srpm_relative_path_root": "..",
      "koji_config.retry.max_retries": 1000,
      "koji_config.retry.offline_retry_interval": 120,
      "koji_config.retry.timeout": 3600,
      "dependency.persist_chunk_size": 150,
      "dependency.cache_l2_capacity": 100,
      "dependency.resolve_for_arch": "x86_64",
      "dependency.repo_arch": "x86_64",
      "priorities.newly_added": 3000,
      "priorities.build_threshold": 256,
      "priorities.failed_build_priority": 200,
      "priorities.t1": 168,
      "services.polling.interval": 1200,
      "services.scheduler.interval": 3,
      "services.watcher.watchdog": false,
      plugins: [],
      "fedmsg.topic": "org.fedoraproject.prod.buildsys",
      "fedmsg.instance": "primary",
      "fedmsg-publisher.enabled": false,
      "fedmsg-publisher.modname": "koschei",
      "amqp.url": "amqp://guest:guest@localhost:5672/%2F",
      "amqp.exchange": "amq.topic",
      "amqp.topic_prefix": "org.fedoraproject.prod",
      "pagure.owner_alias_url": "https://src.fedoraproject.org/extras/pagure_owner_alias.json",
      "copr.copr_owner": "koschei",
      "copr.config_path": "/etc/koschei/copr-config",
      "copr.max_builds": 15,
      "osci.namespace": "osci",
      "osci.contact.irc": "#koschei",
      "caching.koji_arches.expiration_time": 3600,
      "caching.pagure.users.arguments.filename": "/home/ann/.cache/koschei/pagure-user-cache.dbm",
      "directories.cachedir": "/home/ann/.cache/koschei",
      "directories.statedir": "/home/ann/.local/share/koschei",
      "directories.templates": "/opt/koschei/templates",
      "directories.static_url": "/static",
      "flask.SECRET_KEY": "isecretlylovebabymetal",
      "frontend.frontpage": "package_list",
      "frontend.packages_per_page": 100,
      "frontend.builds_per_page": 15,
      "frontend.auth.user_re": "(.+)",
      "frontend.auth.user_env": "REMOTE_USER",
      "logging.loggers.copr.level": "CRITICAL",
      "links.0.name": "Packages",
      "bugreport.url": "https://bugzilla.redhat.com/enter_bug.cgi?{query}",
      "bugreport.template.short_desc": "{name}: FTBFS in {collection}",
      version: "1.2.3",
      real_builds_insert_chunk: 50,
      secondary_mode: false,
    };
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(lookupConfig(config, key), value, key);
    }
  });

  it("leaves optional keys unset", () => {
    for (const key of ["db_url", "unpriv_db_username", "bypass_login", "frontend.external_url"]) {
      assert.throws(() => lookupConfig(config, key), /Configuration value not found/);
    }
  });

  it("gives the bug report comment the reproduction command", () => {
    assert.match(
      config.bugreport.template.comment!,
      /koji build --scratch \{collection\.target\} \{name\}-\{version\}-\{release\}\.\{arch\}\.rpm/,
    );
  });
});

describe("userDirectories", () => {
  it("uses the XDG variables when they are absolute paths", () => {
    assert.deepEqual(userDirectories({ XDG_CACHE_HOME: "/c", XDG_DATA_HOME: "/d" }, "/home/ann"), {
      cacheDir: "/c/koschei",
      stateDir: "/d/koschei",
    });
  });

  it("falls back to ~/.cache and ~/.local/share, ignoring relative XDG values", () => {
    assert.deepEqual(userDirectories({ XDG_CACHE_HOME: "relative" }, "/home/ann"), {
      cacheDir: "/home/ann/.cache/koschei",
      stateDir: "/home/ann/.local/share/koschei",
    });
  });
});

/** Dotted paths of every number among the defaults (mappings only; no list holds numbers). */
function numberPaths(value: unknown, path: string[] = []): string[][] {
  if (typeof value === "number") return [path];
  if (!isMapping(value)) return [];
  return Object.entries(value).flatMap(([key, item]) => numberPaths(item, [...path, key]));
}

describe("validation rules", () => {
  it("give every numeric default a range or an integer constraint", () => {
    const paths = numberPaths(builtInDefaults(context));
    const dotted = paths.map((path) => path.join("."));
    assert.ok(dotted.includes("koji_config.retry.timeout"), "the walk misses nested numbers");
    const unchecked = paths
      .filter((path) => {
        const range = ruleFor(path)?.range;
        return !range?.integer && range?.min === undefined && range?.above === undefined;
      })
      .map((path) => path.join("."));
    assert.deepEqual(unchecked, []);
  });
});
