// `koschei-admin create-db`, `migrate` and `alembic upgrade head`: creating and upgrading
// the schema of the configured database (PostgreSQL, or the embedded PGlite by default).
import { UsageError, type Command } from "../cli/command.js";
import { databaseTarget, loadConfig } from "../config/index.js";
import {
  createDb,
  migrate,
  openDatabase,
  type Database,
  type MigrateOptions,
  type MigrationResult,
} from "../db/index.js";
import { createLogger } from "../log/logger.js";

async function withAdminDatabase<T>(
  body: (database: Database, options: MigrateOptions) => Promise<T>,
): Promise<T> {
  const config = loadConfig("admin");
  const database = await openDatabase(databaseTarget(config), {
    maxConnections: 1,
    logger: createLogger({ name: "koschei-admin" }),
  });
  try {
    return await body(database, { grantTo: config.unpriv_db_username });
  } finally {
    await database.close();
  }
}

/** One line per applied migration, then where the database stands. */
function formatMigrationResult(location: string, result: MigrationResult): string {
  const lines = result.applied.map((id) => `applied migration ${id}`);
  lines.push(
    result.applied.length === 0
      ? `${location} is up to date at schema version ${result.current}`
      : `${location} is now at schema version ${result.current}`,
  );
  return lines.join("\n") + "\n";
}

/** Runs one schema step (createDb or migrate) on the configured database and prints its result. */
async function applySchemaStep(
  step: (database: Database, options: MigrateOptions) => Promise<MigrationResult>,
): Promise<void> {
  const output = await withAdminDatabase(async (database, options) =>
    formatMigrationResult(database.location, await step(database, options)),
  );
  process.stdout.write(output);
}

export const createDbCommand: Command = {
  name: "create-db",
  summary: "create the database schema on an empty database",
  description:
    "Creates every table, trigger, SQL function and statistics table on the configured " +
    "database, which must have no tables yet, and records the schema version. If " +
    "unpriv_db_username is configured, that role is granted data access. Use 'migrate' " +
    "to upgrade an existing database.",
  run: () => applySchemaStep(createDb),
};

export const migrateCommand: Command = {
  name: "migrate",
  summary: "apply pending schema migrations to the database",
  description:
    "Applies, in order, every schema migration the configured database has not had yet " +
    "(each in its own transaction) and prints what it applied and the resulting schema " +
    "version. Running it on an up-to-date database changes nothing. Also creates the " +
    "schema on an empty database. Like create-db, grants unpriv_db_username data access.",
  run: () => applySchemaStep(migrate),
};

export const alembicCommand: Command = {
  name: "alembic",
  summary: "'alembic upgrade head': the same as migrate",
  description:
    "Kept for operators used to the original Koschei: 'koschei-admin alembic upgrade head' " +
    "applies pending migrations exactly like 'koschei-admin migrate'. The schema is " +
    "versioned by Koschei's own migrations, so no other Alembic command exists.",
  positionals: [{ name: "ARGS", help: "must be: upgrade head", variadic: true }],
  async run(args) {
    const given = args.positionals.join(" ");
    if (given !== "upgrade head") {
      throw new UsageError(
        `${given ? `'${given}' is not supported` : "missing arguments"}: ` +
          "the only Alembic command is 'upgrade head', the same as 'koschei-admin migrate'",
      );
    }
    await applySchemaStep(migrate);
  },
};
