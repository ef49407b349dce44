// The database layer on a real PostgreSQL server: a fresh database for this file.
import { after, before, describe } from "node:test";
import type { Database } from "../../src/db/index.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import { buildTriggerTests } from "./suites/build-triggers.js";
import { createDbTests, migrationTests } from "./suites/migrations.js";

let empty: FreshDatabase;
let forCreateDb: FreshDatabase;
before(async () => {
  [empty, forCreateDb] = await Promise.all([
    freshDatabase({ migrated: false }),
    freshDatabase({ migrated: false }),
  ]);
});
after(async () => {
  await Promise.all([empty?.drop(), forCreateDb?.drop()]);
});
const database = (): Database => empty.database;

describe("PostgreSQL: migrations from an empty database", () => migrationTests(database));
describe("PostgreSQL: create-db", () => createDbTests(() => forCreateDb.database));
describe("PostgreSQL: triggers", () => buildTriggerTests(database));
