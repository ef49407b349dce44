// The database layer on a real PostgreSQL server: a fresh database for this file.
import { after, before, describe } from "node:test";
import { openDatabase, type Database } from "../../src/db/index.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import { buildTriggerTests } from "./suites/build-triggers.js";
import { lockTests, postgresqlLockTests } from "./suites/locks.js";
import { schemaTests } from "./suites/migrations.js";
import { rpmvercmpTests } from "./suites/rpmvercmp.js";
import { statsTests } from "./suites/stats.js";
import { transactionTests, valueTests } from "./suites/values.js";

let fresh: FreshDatabase; // empty at first; the schema suite creates the schema
/** A second pool on the same database, as another process would have. */
let secondPool: Database;
before(async () => {
  fresh = await freshDatabase({ migrated: false });
  secondPool = await openDatabase({ kind: "postgresql", url: fresh.url });
});
after(async () => {
  await secondPool?.close();
  await fresh?.drop();
});
const database = (): Database => fresh.database;

describe("PostgreSQL: schema", () => schemaTests(database));
describe("PostgreSQL: triggers", () => buildTriggerTests(database));
describe("PostgreSQL: rpmvercmp", () => rpmvercmpTests(database));
describe("PostgreSQL: statistics", () => statsTests(database));
describe("PostgreSQL: advisory locks between connections of one pool", () => lockTests(database));
describe("PostgreSQL: advisory locks between two pools", () =>
  lockTests(database, () => secondPool));
describe("PostgreSQL: advisory locks, server specifics", () => postgresqlLockTests(database));
describe("PostgreSQL: values", () => valueTests(database));
describe("PostgreSQL: transactions", () => transactionTests(database));
