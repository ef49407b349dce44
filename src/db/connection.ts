// Opening a database: a PostgreSQL server through a connection pool, or the embedded
// PGlite in a data directory (or in memory). Both answer with the same JavaScript types:
// bigint and count(*) as numbers, intervals as PostgreSQL's text, timestamptz as Dates,
// and both run in UTC.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { CompiledQuery, Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import {
  DATABASE_TIMEOUT_DEFAULTS,
  type DatabaseTarget,
  type DatabaseTimeouts,
} from "../config/index.js";
import { silentLogger, type Logger } from "../log/logger.js";
import { currentProcessOwner, isRunning, type ProcessOwner } from "../process/process-owner.js";
import { PgliteDialect } from "./pglite-dialect.js";
import type { Schema } from "./schema.js";

/** What queries need: the typed query builder and a raw-SQL escape hatch. */
export interface DatabaseConnection {
  readonly kind: DatabaseTarget["kind"];
  readonly db: Kysely<Schema>;
  /** Runs one SQL statement with $1… parameters and returns its rows. */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
}

export interface Database extends DatabaseConnection {
  /** Where the data lives, for messages: the URL without its password, or the directory. */
  readonly location: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL pool size (default 10); PGlite is always a single session. */
  maxConnections?: number;
  /** Where problems noticed in the background go (an idle connection lost). */
  logger?: Logger;
  /**
   * false turns PostgreSQL's JIT compilation off in every session of the pool: for short
   * queries whose estimated cost triggers it (sorting a whole collection), compiling takes
   * longer than running them.
   */
  jit?: boolean;
}

/** A PostgreSQL server that cannot be reached, refuses us, or does not answer in time. */
export class DatabaseConnectError extends Error {
  override name = "DatabaseConnectError";
}

/** The data directory that keeps a PGlite database in memory only (for tests). */
export const IN_MEMORY = "memory://";

const INT8_OID = 20;
const INTERVAL_OID = 1186;

const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === INT8_OID) return Number;
    if (oid === INTERVAL_OID) return (text: string) => text;
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig["getTypeParser"],
};

export async function openDatabase(
  target: DatabaseTarget,
  options: OpenOptions = {},
): Promise<Database> {
  return target.kind === "postgresql"
    ? openPostgresql(target.url, target.timeouts ?? DATABASE_TIMEOUT_DEFAULTS, options)
    : openPglite(target.dataDir);
}

function openPostgresql(url: string, timeouts: DatabaseTimeouts, options: OpenOptions): Database {
  const milliseconds = (seconds: number) => Math.round(seconds * 1000);
  const connectTimeout = milliseconds(timeouts.connect_timeout);
  // The connect timeout goes to each client, not to the pool, where it would also bound
  // the wait for a pooled connection that a long transaction is using.
  class TimedClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super({ ...config, connectionTimeoutMillis: connectTimeout });
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    Client: TimedClient,
    // Session settings; a limit of 0 is sent too, as it means "none", not "the server's".
    options: [
      "-c TimeZone=UTC",
      `-c statement_timeout=${milliseconds(timeouts.statement_timeout)}`,
      `-c idle_in_transaction_session_timeout=${milliseconds(timeouts.idle_in_transaction_timeout)}`,
      ...(options.jit === false ? ["-c jit=off"] : []),
    ].join(" "),
    types: pgTypes,
    // A server that vanishes mid-session, without a reset ever arriving, is noticed by the
    // kernel's keep-alive probes, which start after a minute of silence.
    keepAlive: true,
    keepAliveInitialDelayMillis: 60_000,
  });
  const logger = options.logger ?? silentLogger;
  const address = serverAddress(url);
  // An idle connection dropped by the server must not crash the process; the pool
  // replaces it and the next query reports any lasting problem.
  pool.on("error", (error) => {
    logger.warn({ err: error, server: address }, "database connection lost");
  });
  const connect = async (): Promise<pg.PoolClient> => {
    try {
      return await pool.connect();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new DatabaseConnectError(
        `cannot connect to the database server ${address}: ` +
          (/timeout/i.test(reason)
            ? `no answer within ${timeouts.connect_timeout} s (database_config.connect_timeout)`
            : reason),
        { cause: error },
      );
    }
  };
  const db = new Kysely<Schema>({
    dialect: new PostgresDialect({ pool: { connect, end: () => pool.end() } }),
  });
  return {
    kind: "postgresql",
    location: redactPassword(url),
    db,
    query: rawQuery(db),
    close: () => db.destroy(),
  };
}

async function openPglite(dataDir: string): Promise<Database> {
  const inMemory = dataDir === IN_MEMORY;
  const releaseDirectory = inMemory ? () => {} : claimDataDirectory(dataDir);
  let pglite: PGlite;
  try {
    if (!inMemory) checkDataDirectory(dataDir);
    pglite = await PGlite.create(inMemory ? undefined : dataDir);
    await pglite.exec("SET TIME ZONE 'UTC'");
  } catch (error) {
    releaseDirectory();
    throw error;
  }
  const db = new Kysely<Schema>({ dialect: new PgliteDialect(pglite) });
  return {
    kind: "pglite",
    location: inMemory ? "in memory (embedded PGlite)" : `${dataDir} (embedded PGlite)`,
    db,
    query: rawQuery(db),
    close: async () => {
      try {
        await db.destroy();
      } finally {
        releaseDirectory();
      }
    },
  };
}

/** The raw-SQL function of a Kysely instance, bound to whatever connection it uses. */
export function rawQuery(db: Kysely<Schema>): DatabaseConnection["query"] {
  return async <Row>(text: string, params: readonly unknown[] = []) =>
    (await db.executeQuery<Row>(CompiledQuery.raw(text, [...params]))).rows;
}

/**
 * A data directory is new, empty, or an existing database (PostgreSQL keeps its version
 * in PG_VERSION): PGlite must not write its files among somebody's other files.
 */
function checkDataDirectory(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  const entries = readdirSync(dataDir);
  if (entries.length > 0 && !entries.includes("PG_VERSION")) {
    throw new Error(
      `${dataDir} is not empty and holds no embedded database (no PG_VERSION file); ` +
        "give a new or empty directory",
    );
  }
}

/**
 * PGlite is a single process-local session: a second opener of the same directory, in this
 * or another process, would corrupt it. A lock file next to the directory names the owner
 * by PID and start time, so that a PID reused by an unrelated process is not taken for it.
 */
function claimDataDirectory(dataDir: string): () => void {
  const lockFile = `${dataDir}.lock`;
  mkdirSync(dirname(lockFile), { recursive: true });
  const ours = currentProcessOwner();
  for (;;) {
    try {
      writeFileSync(lockFile, `${ours.pid} ${ours.startTime ?? ""}`.trim() + "\n", { flag: "wx" });
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = readLockOwner(lockFile);
    if (owner && isRunning(owner)) {
      throw new Error(
        `the embedded database ${dataDir} is in use by process ${owner.pid}` +
          (owner.pid === process.pid ? " (this one)" : "") +
          ` (lock file ${lockFile})`,
      );
    }
    // Left behind by a process that ended: remove it and claim the directory again.
    rmSync(lockFile, { force: true });
  }
}

function readLockOwner(lockFile: string): ProcessOwner | undefined {
  let text: string;
  try {
    text = readFileSync(lockFile, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const [pid, startTime] = text.trim().split(/\s+/);
  const owner = Number(pid);
  if (!Number.isInteger(owner) || owner <= 0) return undefined;
  return { pid: owner, startTime };
}

/** host:port, or the socket path, of a PostgreSQL URL: what messages may show of it. */
function serverAddress(url: string): string {
  const parsed = new URL(url);
  const host =
    parsed.searchParams.get("host") ?? (decodeURIComponent(parsed.hostname) || "localhost");
  const port = parsed.searchParams.get("port") ?? (parsed.port || "5432");
  return host.startsWith("/") ? join(host, `.s.PGSQL.${port}`) : `${host}:${port}`;
}

function redactPassword(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]*):[^@/]*@/, "$1:***@");
}
