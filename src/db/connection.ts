// Opening a database: a PostgreSQL server through a connection pool, or the embedded
// PGlite in a data directory (or in memory). Both answer with the same JavaScript types:
// bigint and count(*) as numbers, intervals as PostgreSQL's text, timestamptz as Dates,
// and both run in UTC.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { CompiledQuery, Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { DatabaseTarget } from "../config/index.js";
import { maskPasswords } from "../log/mask.js";
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
    ? openPostgresql(target.url, options.maxConnections ?? 10)
    : openPglite(target.dataDir);
}

function openPostgresql(url: string, maxConnections: number): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: maxConnections,
    options: "-c TimeZone=UTC",
    types: pgTypes,
  });
  // An idle connection dropped by the server must not crash the process; the pool
  // replaces it and the next query reports any lasting problem.
  pool.on("error", (error) => {
    process.stderr.write(`database connection lost: ${error.message}\n`);
  });
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: "postgresql",
    location: maskPasswords(url),
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
 * PGlite is a single process-local session: a second opener of the same directory, in this
 * or another process, would corrupt it. A lock file next to the directory names the owner.
 */
function claimDataDirectory(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = `${dataDir}.lock`;
  mkdirSync(dirname(lockFile), { recursive: true });
  try {
    writeFileSync(lockFile, `${process.pid}\n`, { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const owner = Number(readFileSync(lockFile, "utf8").trim());
    if (Number.isInteger(owner) && owner > 0 && processIsAlive(owner)) {
      throw new Error(
        `the embedded database ${dataDir} is in use by process ${owner}` +
          (owner === process.pid ? " (this one)" : ""),
      );
    }
    // Left behind by a process that died: take it over.
    writeFileSync(lockFile, `${process.pid}\n`);
  }
  return () => rmSync(lockFile, { force: true });
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
