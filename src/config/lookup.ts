// Reading a loaded configuration: dotted keys, the Koji instances, the database to use.
import { join } from "node:path";
import { isMapping } from "./merge.js";
import {
  ConfigError,
  type DatabaseConfig,
  type DatabaseTarget,
  type DatabaseTimeouts,
  type KojiInstanceConfig,
  type KoscheiConfig,
} from "./types.js";

/** Value at a dotted key such as "koji_config.weburl"; "" is the whole configuration. */
export function lookupConfig(config: KoscheiConfig, dottedKey: string): unknown {
  if (dottedKey === "") return config;
  let value: unknown = config;
  for (const part of dottedKey.split(".")) {
    if (isMapping(value) && Object.hasOwn(value, part)) value = value[part];
    else if (Array.isArray(value) && /^\d+$/.test(part) && Number(part) < value.length) {
      value = value[Number(part)];
    } else {
      throw new ConfigError(`Configuration value not found: ${dottedKey}`);
    }
  }
  return value;
}

/**
 * Settings of the primary (building) or secondary (package source) Koji. Back-off options
 * given in `session_opts`, the original's knob, win over `retry`.
 */
export function kojiConfig(
  config: KoscheiConfig,
  instance: "primary" | "secondary",
): KojiInstanceConfig {
  const koji = instance === "primary" ? config.koji_config : config.secondary_koji_config;
  const retry = { ...koji.retry };
  // Types were checked at load time (see validate.ts).
  for (const key of Object.keys(retry)) {
    if (koji.session_opts[key] !== undefined) {
      (retry as Record<string, unknown>)[key] = koji.session_opts[key];
    }
  }
  return { ...koji, retry };
}

/**
 * The database to connect to: PostgreSQL when db_url or database_config.database is set,
 * otherwise the embedded PGlite under <directories.statedir>/pglite. PostgreSQL gets the
 * time limits of database_config either way.
 */
export function databaseTarget(config: KoscheiConfig): DatabaseTarget {
  const db = config.database_config;
  const timeouts: DatabaseTimeouts = {
    connect_timeout: db.connect_timeout,
    statement_timeout: db.statement_timeout,
    idle_in_transaction_timeout: db.idle_in_transaction_timeout,
  };
  if (config.db_url) return { kind: "postgresql", url: config.db_url, timeouts };
  if (!db.database) return { kind: "pglite", dataDir: join(config.directories.statedir, "pglite") };
  return { kind: "postgresql", url: databaseConfigUrl(db, db.database), timeouts };
}

/** The URL of the server and database that database_config's parts name. */
function databaseConfigUrl(db: DatabaseConfig, databaseName: string): string {
  if (!/^postgresql(\+\w+)?$/.test(db.drivername)) {
    throw new ConfigError(
      `database_config.drivername: only postgresql is supported, got ${JSON.stringify(db.drivername)}`,
    );
  }
  const credentials = db.username
    ? encodeURIComponent(db.username) +
      (db.password ? `:${encodeURIComponent(db.password)}` : "") +
      "@"
    : "";
  const database = encodeURIComponent(databaseName);
  if (db.host === null || db.host === undefined) {
    // No host: PostgreSQL's local socket directory, as libpq on Fedora uses.
    return `postgresql://${credentials}/${database}?host=/var/run/postgresql`;
  }
  const host = db.host.includes(":") ? `[${db.host}]` : db.host;
  const port = db.port ? `:${db.port}` : "";
  return `postgresql://${credentials}${host}${port}/${database}`;
}
