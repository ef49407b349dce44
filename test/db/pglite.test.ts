// The database layer on the embedded PGlite: one in-memory instance for this file (each
// start costs seconds). Data directories are exercised by the CLI tests.
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openDatabase, rawQuery, type Database } from "../../src/db/index.js";
import { freshPglite } from "../support/database.js";
import { buildTriggerTests } from "./suites/build-triggers.js";
import { lockTests } from "./suites/locks.js";
import { schemaTests } from "./suites/migrations.js";
import { rpmvercmpTests } from "./suites/rpmvercmp.js";
import { statsTests } from "./suites/stats.js";
import { transactionTests, valueTests } from "./suites/values.js";

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

describe("PGlite: values", () => valueTests(database));
describe("PGlite: transactions", () => transactionTests(database));

describe("PGlite: one session shared by Kysely's connections", () => {
  it("a query from outside an open transaction waits for it instead of joining it", async () => {
    const events: string[] = [];
    await database().query("CREATE TABLE session_test (n integer)");
    let inserted!: () => void;
    const insertedSignal = new Promise<void>((resolve) => (inserted = resolve));
    let finish!: () => void;
    const finishSignal = new Promise<void>((resolve) => (finish = resolve));
    const transaction = database()
      .db.transaction()
      .execute(async (trx) => {
        await rawQuery(trx)("INSERT INTO session_test VALUES (1)");
        inserted();
        await finishSignal;
        events.push("transaction committing");
      });
    await insertedSignal;
    const outside = database()
      .query("SELECT count(*) AS n FROM session_test")
      .then((rows) => {
        events.push("outside query answered");
        return rows;
      });
    finish();
    await transaction;
    assert.deepEqual(await outside, [{ n: 1 }]);
    assert.deepEqual(events, ["transaction committing", "outside query answered"]);
    await database().query("DROP TABLE session_test");
  });

  it("a transaction that fails rolls back and frees the session", async () => {
    await assert.rejects(
      database()
        .db.transaction()
        .execute(async (trx) => {
          await rawQuery(trx)("SELECT 1 / 0");
        }),
      /division by zero/,
    );
    assert.deepEqual(await database().query("SELECT 1 AS one"), [{ one: 1 }]);
  });
});

describe("PGlite: data directory", () => {
  const scratch = mkdtempSync(join(tmpdir(), "koschei-pglite-test-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  let dirCount = 0;
  const newDataDir = (): string => join(scratch, `pglite${++dirCount}`);

  it("refuses a data directory that a live process has open", async () => {
    const dataDir = newDataDir();
    writeFileSync(`${dataDir}.lock`, `${process.pid}\n`);
    await assert.rejects(
      openDatabase({ kind: "pglite", dataDir }),
      new Error(
        `the embedded database ${dataDir} is in use by process ${process.pid} (this one) ` +
          `(lock file ${dataDir}.lock)`,
      ),
    );
  });

  it("takes over a lock whose PID now belongs to a process started at another time", async () => {
    const dataDir = newDataDir();
    const stale = `${process.pid} 1\n`;
    writeFileSync(`${dataDir}.lock`, stale);
    const database = await openDatabase({ kind: "pglite", dataDir });
    try {
      const lock = readFileSync(`${dataDir}.lock`, "utf8");
      assert.notEqual(lock, stale);
      assert.match(lock, new RegExp(`^${process.pid} \\d+\n$`));
      // The lock it wrote, with this process's real start time, keeps a second opener out.
      await assert.rejects(
        openDatabase({ kind: "pglite", dataDir }),
        new Error(
          `the embedded database ${dataDir} is in use by process ${process.pid} (this one) ` +
            `(lock file ${dataDir}.lock)`,
        ),
      );
    } finally {
      await database.close();
    }
    assert.equal(existsSync(`${dataDir}.lock`), false);
  });

  it("refuses a directory that holds other files than a database, and leaves no lock", async () => {
    const dataDir = newDataDir();
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, "notes.txt"), "mine\n");
    await assert.rejects(
      openDatabase({ kind: "pglite", dataDir }),
      new Error(
        `${dataDir} is not empty and holds no embedded database (no PG_VERSION file); ` +
          "give a new or empty directory",
      ),
    );
    assert.deepEqual(readdirSync(dataDir), ["notes.txt"]);
    assert.equal(existsSync(`${dataDir}.lock`), false);
  });
});
