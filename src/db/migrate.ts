// Applying the schema migrations. Each migration runs in its own transaction together
// with the row recording it in schema_migrations, under a transaction-scoped advisory
// lock, so concurrent migrators apply every migration exactly once.
import { sql, type Kysely } from "kysely";
import type { Database } from "./connection.js";
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

export class DatabaseNotEmptyError extends Error {}

const createMigrationsTable = `
CREATE TABLE IF NOT EXISTS schema_migrations (
    id varchar PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
)`;

/** Applies every pending migration; a no-op on an up-to-date database. */
export async function migrate(
  database: Database,
  options: MigrateOptions = {},
): Promise<MigrationResult> {
  const migrations = options.migrations ?? allMigrations;
  const applied: string[] = [];
  for (;;) {
    const next = await database.db.transaction().execute(async (trx) => {
      await transactionLock(trx, { namespace: LockNamespace.migration, key: 0 });
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
      await sql.raw(pending.sql).execute(trx);
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
  const tables = await database.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`,
  );
  if (tables.length > 0) {
    const names = tables.map((t) => t.name);
    const shown = names.length > 5 ? [...names.slice(0, 5), "…"] : names;
    throw new DatabaseNotEmptyError(
      `${database.location} already has tables (${shown.join(", ")}); ` +
        "use 'koschei-admin migrate' to upgrade an existing Koschei database",
    );
  }
  return migrate(database, options);
}

/** Id of the newest applied migration, or undefined for a database without our schema. */
export async function schemaVersion(database: Database): Promise<string | undefined> {
  const [exists] = await database.query<{ present: boolean }>(
    `SELECT to_regclass('schema_migrations') IS NOT NULL AS present`,
  );
  if (!exists?.present) return undefined;
  return (await appliedIds(database.db)).at(-1);
}

async function appliedIds(db: Kysely<Schema>): Promise<string[]> {
  const rows = await db.selectFrom("schema_migrations").select("id").orderBy("id").execute();
  return rows.map((row) => row.id);
}

async function grantDataAccess(database: Database, role: string): Promise<void> {
  const grantee = quoteIdentifier(role);
  await database.query(
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${grantee}`,
  );
  await database.query(`GRANT SELECT, USAGE ON ALL SEQUENCES IN SCHEMA public TO ${grantee}`);
}
