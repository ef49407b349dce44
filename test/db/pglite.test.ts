// The database layer on the embedded PGlite: one in-memory instance for this file (each
// start costs seconds). Data directories are exercised by the CLI tests.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openDatabase, type Database } from "../../src/db/index.js";
import { freshPglite } from "../support/database.js";
import { buildTriggerTests } from "./suites/build-triggers.js";
import { lockTests } from "./suites/locks.js";
import { schemaTests } from "./suites/migrations.js";
import { rpmvercmpTests } from "./suites/rpmvercmp.js";
import { statsTests } from "./suites/stats.js";

let inMemory: Database;
before(async () => {
  inMemory = (await freshPglite({ migrated: false })).database;
});
after(() => inMemory?.close());
const database = (): Database => inMemory;

describe("PGlite: schema", () => schemaTests(database));
describe("PGlite: triggers", () => buildTriggerTests(database));
describe("PGlite: rpmvercmp", () => rpmvercmpTests(database));
describe("PGlite: statistics", () => statsTests(database));
describe("PGlite: advisory locks between holders in this process", () => lockTests(database));

describe("PGlite: data directory", () => {
  it("refuses a data directory that a live process has open", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "koschei-pglite-test-"));
    try {
      const dataDir = join(scratch, "pglite");
      writeFileSync(`${dataDir}.lock`, `${process.pid}\n`);
      await assert.rejects(
        openDatabase({ kind: "pglite", dataDir }),
        new Error(
          `the embedded database ${dataDir} is in use by process ${process.pid} (this one)`,
        ),
      );
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
