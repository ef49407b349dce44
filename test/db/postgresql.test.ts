// The database layer on a real PostgreSQL server: a fresh database for this file.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createDb, migrate, migrations, openDatabase, type Database } from "../../src/db/index.js";
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

describe("PostgreSQL: migrating from several processes, grants", () => {
  let second: FreshDatabase;
  let otherPool: Database;
  const role = `koschei_test_role_${process.pid}`;
  before(async () => {
    second = await freshDatabase({ migrated: false });
    otherPool = await openDatabase({ kind: "postgresql", url: second.url });
    await second.database.query(`CREATE ROLE ${role}`);
  });
  after(async () => {
    await otherPool?.close();
    await second?.drop();
    await fresh.database.query(`DROP ROLE IF EXISTS ${role}`);
  });

  it("concurrent migrators apply each migration once", async () => {
    const results = await Promise.all([migrate(second.database), migrate(otherPool)]);
    const applied = results.flatMap((r) => r.applied).sort();
    assert.deepEqual(
      applied,
      migrations.map((m) => m.id),
    );
    assert.deepEqual(
      results.map((r) => r.current),
      [migrations.at(-1)!.id, migrations.at(-1)!.id],
    );
  });

  it("grants data access to unpriv_db_username", async () => {
    await migrate(second.database, { grantTo: role });
    const [row] = await second.database.query<Record<string, boolean>>(
      `SELECT has_table_privilege($1, 'package', 'SELECT, INSERT, UPDATE, DELETE') AS tables,
              has_table_privilege($1, 'package', 'TRUNCATE') AS truncate,
              has_sequence_privilege($1, 'package_id_seq', 'USAGE, SELECT') AS sequences`,
      [role],
    );
    assert.deepEqual(row, { tables: true, truncate: false, sequences: true });
  });
});

describe("PostgreSQL: create-db with a missing unpriv_db_username role", () => {
  let empty: FreshDatabase;
  before(async () => (empty = await freshDatabase({ migrated: false })));
  after(() => empty?.drop());

  it("fails before creating anything, so that a retry works", async () => {
    const role = `koschei_test_missing_${process.pid}`;
    await assert.rejects(
      createDb(empty.database, { grantTo: role }),
      new Error(
        `the role ${role} (unpriv_db_username) does not exist; create it, or unset ` +
          "unpriv_db_username, then run this again",
      ),
    );
    assert.deepEqual(
      await empty.database.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"),
      [],
    );
    assert.equal((await createDb(empty.database)).current, migrations.at(-1)!.id);
  });
});

describe("PostgreSQL: session settings", () => {
  it("jit: false turns JIT compilation off in every session; by default the server's setting holds", async () => {
    await fresh.database.query(
      `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET jit = on', current_database()); END $$`,
    );
    const pools = [
      await openDatabase({ kind: "postgresql", url: fresh.url }),
      await openDatabase({ kind: "postgresql", url: fresh.url }, { jit: false }),
    ];
    try {
      const settings = await Promise.all(
        pools.map((pool) => pool.query<{ jit: string }>("SELECT current_setting('jit') AS jit")),
      );
      assert.deepEqual(settings, [[{ jit: "on" }], [{ jit: "off" }]]);
    } finally {
      await Promise.all(pools.map((pool) => pool.close()));
    }
  });
});
