// Schema creation and migration, run against an EMPTY database of either backend.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  createDb,
  DatabaseNotEmptyError,
  migrate,
  migrations,
  schemaVersion,
  type Database,
} from "../../../src/db/index.js";

const everyId = migrations.map((m) => m.id);
const newest = everyId.at(-1)!;

/** Tables the data model requires (spec 01 §2, §6; outbox: src/messaging), besides schema_migrations. */
const expectedTables = [
  "admin_notice", "applied_change", "base_package", "build", "build_group",
  "buildroot_problem", "collection", "collection_group", "collection_group_relation",
  "copr_rebuild", "copr_rebuild_request", "copr_resolution_change", "dependency",
  "group_acl", "koji_task", "log_entry", "outbox", "package", "package_group",
  "package_group_relation", "repo_mapping", "resolution_change", "resolution_problem",
  "resource_consumption_stats", "scalar_stats", "unapplied_change", "user",
]; // prettier-ignore

function migrationTests(emptyDatabase: () => Database): void {
  it("an empty database has no schema version", async () => {
    assert.equal(await schemaVersion(emptyDatabase()), undefined);
  });

  it("migrate refuses a database whose tables Koschei did not create", async () => {
    const database = emptyDatabase();
    await database.query("CREATE TABLE unrelated (n integer)");
    try {
      await assert.rejects(migrate(database), (error: unknown) => {
        assert.ok(error instanceof DatabaseNotEmptyError);
        assert.equal(
          error.message,
          `${database.location} has tables (unrelated) but no Koschei schema; migrate ` +
            "upgrades only a database Koschei created, or creates the schema on an empty one",
        );
        return true;
      });
      assert.equal(await schemaVersion(database), undefined);
    } finally {
      await database.query("DROP TABLE unrelated");
    }
  });

  it("migrating a database from an older version applies only the missing migrations", async () => {
    const database = emptyDatabase();
    const first = await migrate(database, { migrations: migrations.slice(0, 1) });
    assert.deepEqual(first, { applied: [everyId[0]], current: everyId[0] });
    const rest = await migrate(database);
    assert.deepEqual(rest, { applied: everyId.slice(1), current: newest });
  });

  it("migrating again is a no-op", async () => {
    assert.deepEqual(await migrate(emptyDatabase()), { applied: [], current: newest });
  });

  it("creates every table of the data model", async () => {
    const rows = await emptyDatabase().query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
    );
    assert.deepEqual(
      rows.map((r) => r.name),
      [...expectedTables, "schema_migrations"].sort(),
    );
  });

  it("keeps the <table>_id_seq sequence names", async () => {
    const rows = await emptyDatabase().query<{ name: string }>(
      "SELECT sequencename AS name FROM pg_sequences WHERE schemaname = current_schema()",
    );
    const names = rows.map((r) => r.name);
    for (const table of ["collection", "package", "build", "dependency", "unapplied_change"]) {
      assert.ok(names.includes(`${table}_id_seq`), `${table}_id_seq missing from ${names}`);
    }
  });

  it("create-db refuses a database that already has tables", async () => {
    await assert.rejects(createDb(emptyDatabase()), (error: unknown) => {
      assert.ok(error instanceof DatabaseNotEmptyError);
      assert.match(error.message, /already has tables \(.*\); use 'koschei-admin migrate'/);
      return true;
    });
  });

  it("refuses a database migrated by a newer program", async () => {
    const database = emptyDatabase();
    await assert.rejects(
      migrate(database, { migrations: migrations.slice(0, 2) }),
      new Error(
        `the database has migrations this program does not know (${everyId.slice(2).join(", ")}); ` +
          "it was upgraded by a newer Koschei",
      ),
    );
  });
}

function createDbTests(emptyDatabase: () => Database): void {
  it("create-db creates the whole schema on an empty database", async () => {
    assert.deepEqual(await createDb(emptyDatabase()), { applied: everyId, current: newest });
    assert.deepEqual(await migrate(emptyDatabase()), { applied: [], current: newest });
  });
}

/** Back to an empty database: everything of ours lives in the public schema. */
async function dropSchema(database: Database): Promise<void> {
  await database.query("DROP SCHEMA public CASCADE");
  await database.query("CREATE SCHEMA public");
}

/**
 * Schema creation on a database that starts EMPTY; the database ends up with the full
 * schema, ready for the behaviour suites.
 */
export function schemaTests(database: () => Database): void {
  describe("create-db", () => createDbTests(database));
  describe("migrations from an empty database", () => {
    before(() => dropSchema(database()));
    migrationTests(database);
  });
}
