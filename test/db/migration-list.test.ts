// The migration list of src/db/migrations/index.ts against the migration files: a file
// that is not appended to the list would never run, and no test would notice.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { migrations } from "../../src/db/index.js";

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
