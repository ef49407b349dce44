// The database layer on the embedded PGlite: one in-memory instance for this file, plus
// one in a data directory for what concerns files.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe } from "node:test";
import { openDatabase, type Database } from "../../src/db/index.js";
import { freshPglite } from "../support/database.js";
import { buildTriggerTests } from "./suites/build-triggers.js";
import { createDbTests, migrationTests } from "./suites/migrations.js";

const scratch = mkdtempSync(join(tmpdir(), "koschei-pglite-test-"));
let inMemory: Database;
let onDisk: Database;
before(async () => {
  inMemory = (await freshPglite({ migrated: false })).database;
  onDisk = await openDatabase({ kind: "pglite", dataDir: join(scratch, "pglite") });
});
after(async () => {
  await inMemory?.close();
  await onDisk?.close();
  rmSync(scratch, { recursive: true, force: true });
});
const database = (): Database => inMemory;

describe("PGlite: migrations from an empty database", () => migrationTests(database));
describe("PGlite: create-db", () => createDbTests(() => onDisk));
describe("PGlite: triggers", () => buildTriggerTests(database));
