// The committed schema snapshot (src/db/schema.sql) against pg_dump of a database migrated
// from scratch: a migration that changes the schema shows up in review as a snapshot diff.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import {
  dumpSchema,
  freshDatabase,
  SCHEMA_SNAPSHOT,
  type FreshDatabase,
} from "../support/database.js";

describe("the schema snapshot", () => {
  let fresh: FreshDatabase;
  before(async () => (fresh = await freshDatabase()));
  after(() => fresh?.drop());

  it("is what the migrations create, byte for byte", () => {
    const migrated = dumpSchema(fresh.url);
    const committed = readFileSync(SCHEMA_SNAPSHOT, "utf8");
    assert.equal(
      migrated,
      committed,
      `${SCHEMA_SNAPSHOT} is out of date (${firstDifference(migrated, committed)}): ` +
        "run 'npm run db:snapshot' and commit the result",
    );
  });
});

function firstDifference(migrated: string, committed: string): string {
  const migratedLines = migrated.split("\n");
  const committedLines = committed.split("\n");
  const line = migratedLines.findIndex((text, index) => text !== committedLines[index]);
  const at = line === -1 ? migratedLines.length : line;
  return (
    `line ${at + 1} is ${JSON.stringify(committedLines[at] ?? "<end>")} in the snapshot, ` +
    `${JSON.stringify(migratedLines[at] ?? "<end>")} in the migrated database`
  );
}
