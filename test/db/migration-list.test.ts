// The migration list of src/db/migrations/index.ts against the migration files: a file
// that is not appended to the list would never run, and no test would notice. The plugins'
// tables moved out of 0001_tables into migrations of their own, which must change nothing
// where 0001 already made them.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { migrations } from "../../src/db/index.js";
import { dumpSchema, freshDatabase } from "../support/database.js";

const migrationSources = new URL("../../../src/db/migrations/", import.meta.url);

describe("the migration list", () => {
  it("names every migration file of src/db/migrations, in the order of their numbers", () => {
    const files = readdirSync(migrationSources)
      .filter((name) => /^\d{4}_.*\.ts$/.test(name))
      .map((name) => name.replace(/\.ts$/, ""))
      .sort();
    assert.ok(files.length > 0, `no migration files in ${migrationSources.pathname}`);
    assert.deepEqual(
      migrations.map((m) => m.id),
      files,
    );
  });
});

describe("the plugins' table migrations", () => {
  it("leave a database that already has the tables (from 0001_tables before them) as it is", async () => {
    const fresh = await freshDatabase();
    try {
      const before = dumpSchema(fresh.url);
      for (const id of ["0008_copr_tables", "0009_build_group"]) {
        await fresh.database.query(migrations.find((migration) => migration.id === id)!.sql);
      }
      assert.equal(dumpSchema(fresh.url), before);
    } finally {
      await fresh.drop();
    }
  });
});
