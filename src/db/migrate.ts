// Applying the schema migrations. Each migration runs in its own transaction together
// with the row recording it in schema_migrations, under a transaction-scoped advisory
// lock, so concurrent migrators apply every migration exactly once.
import { sql, type Kysely } from "kysely";
import { rawQuery, type Database } from "./connection.js";
import { LockNamespace, transactionLock } from "./locks.js";
import { migrations as allMigrations, type Migration } from "./migrations/index.js";
import { quoteIdentifier } from "./pglite-dialect.js";
import type { Schema } from "./schema.js";

export interface MigrationResult {
  /** Ids of the migrations this call applied, in order (empty when up to date). */
  applied: string[];
  /** Id of the newest applied migration. */
  current: string;
}

export interface MigrateOptions {
  /** Role granted data access after migrating (config key unpriv_db_username). */
  grantTo?: string | null;
  /** The migrations to apply; all of them unless a test asks for a prefix. */
  migrations?: readonly Migration[];
}

/** The database has tables that Koschei did not create. */
export class DatabaseNotEmptyError extends Error {}

const createMigrationsTable = `
CREATE TABLE IF NOT EXISTS schema_migrations (
    id varchar PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
)`;

/** SQLSTATE of a canceled statement, e.g. one that ran into statement_timeout. */
const QUERY_CANCELED = "57014";

/**
 * Applies every pending migration; a no-op on an up-to-date database. Refuses a database
 * that has tables but no schema_migrations: somebody else's data.
 */
export async function migrate(
  database: Database,
  options: MigrateOptions = {},
): Promise<MigrationResult> {
  const migrations = options.migrations ?? allMigrations;
  // Checked first: failing only after creating the schema would make create-db refuse a retry.
  if (options.grantTo && database.kind === "postgresql") {
    await checkRoleExists(database, options.grantTo);
  }
  const applied: string[] = [];
  for (;;) {
    const next = await database.db.transaction().execute(async (trx) => {
      await transactionLock(trx, { namespace: LockNamespace.migration, key: 0 });
      if (!(await hasMigrationsTable(trx))) {
        const tables = await tableNames(trx);
        if (tables.length > 0) {
          throw new DatabaseNotEmptyError(
            `${database.location} has tables (${listed(tables)}) but no Koschei schema; ` +
              "migrate upgrades only a database Koschei created, or creates the schema on an empty one",
          );
        }
      }
      await sql.raw(createMigrationsTable).execute(trx);
      const done = await appliedIds(trx);
      const unknown = done.filter((id) => !migrations.some((m) => m.id === id));
      if (unknown.length > 0) {
        throw new Error(
          `the database has migrations this program does not know (${unknown.join(", ")}); ` +
            "it was upgraded by a newer Koschei",
        );
      }
      const pending = migrations.find((m) => !done.includes(m.id));
      if (!pending) return undefined;
      await applyMigration(trx, pending);
      await trx.insertInto("schema_migrations").values({ id: pending.id }).execute();
      return pending.id;
    });
    if (next === undefined) break;
    applied.push(next);
  }
  if (options.grantTo && database.kind === "postgresql") {
    await grantDataAccess(database, options.grantTo);
  }
  const current = (await schemaVersion(database)) ?? "none";
  return { applied, current };
}

/**
 * Creates the schema on an empty database. Refuses when its schema already has tables,
 * so it never mixes with data of unknown origin; `migrate` upgrades existing databases.
 */
export async function createDb(
  database: Database,
  options: MigrateOptions = {},
): Promise<MigrationResult> {
  const tables = await tableNames(database.db);
  if (tables.length > 0) {
    throw new DatabaseNotEmptyError(
      `${database.location} already has tables (${listed(tables)}); ` +
        "use 'koschei-admin migrate' to upgrade an existing Koschei database",
    );
  }
  return migrate(database, options);
}

/** Id of the newest applied migration, or undefined for a database without our schema. */
export async function schemaVersion(database: Database): Promise<string | undefined> {
  if (!(await hasMigrationsTable(database.db))) return undefined;
  return (await appliedIds(database.db)).at(-1);
}

async function applyMigration(trx: Kysely<Schema>, migration: Migration): Promise<void> {
  try {
    await sql.raw(migration.sql).execute(trx);
  } catch (error) {
    if ((error as { code?: unknown }).code !== QUERY_CANCELED) throw error;
    throw new Error(
      `migration ${migration.id} was canceled (${(error as Error).message}); if it ran ` +
        "longer than database_config.statement_timeout, raise that (0 = no limit) and migrate again",
      { cause: error },
    );
  }
}

async function hasMigrationsTable(db: Kysely<Schema>): Promise<boolean> {
  const [row] = await rawQuery(db)<{ present: boolean }>(
    `SELECT to_regclass('schema_migrations') IS NOT NULL AS present`,
  );
  return row!.present;
}

async function tableNames(db: Kysely<Schema>): Promise<string[]> {
  const rows = await rawQuery(db)<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`,
  );
  return rows.map((row) => row.name);
}

/** The first few names, for a one-line message. */
function listed(names: string[]): string {
  return (names.length > 5 ? [...names.slice(0, 5), "…"] : names).join(", ");
}

async function appliedIds(db: Kysely<Schema>): Promise<string[]> {
  const rows = await db.selectFrom("schema_migrations").select("id").orderBy("id").execute();
  return rows.map((row) => row.id);
}

async function checkRoleExists(database: Database, role: string): Promise<void> {
  const rows = await database.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [role]);
  if (rows.length === 0) {
    throw new Error(
      `the role ${role} (unpriv_db_username) does not exist; create it, or unset ` +
        "unpriv_db_username, then run this again",
    );
  }
}

async function grantDataAccess(database: Database, role: string): Promise<void> {
  const grantee = quoteIdentifier(role);
  await database.query(
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${grantee}`,
  );
  await database.query(`GRANT SELECT, USAGE ON ALL SEQUENCES IN SCHEMA public TO ${grantee}`);
}
