// PostgreSQL time limits (database_config.connect_timeout, statement_timeout,
// idle_in_transaction_timeout): a server that never answers, statements that run too long,
// and lock waits that must outlast the statement limit.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DatabaseTimeouts } from "../../src/config/index.js";
import {
  collectionLock,
  DatabaseConnectError,
  migrate,
  openDatabase,
  schemaVersion,
  withSessionLock,
  type Database,
} from "../../src/db/index.js";
import { freshDatabase, silentServer, type FreshDatabase } from "../support/database.js";

const timeouts = (overrides: Partial<DatabaseTimeouts>): DatabaseTimeouts => ({
  connect_timeout: 10,
  statement_timeout: 300,
  idle_in_transaction_timeout: 600,
  ...overrides,
});

describe("a server that accepts connections but never answers", () => {
  let server: Awaited<ReturnType<typeof silentServer>>;
  before(async () => (server = await silentServer()));
  after(() => server?.close());

  // The test's own limit turns a regression (a hang) into a failure.
  it(
    "fails migrate after connect_timeout, naming host and port but not the password",
    { timeout: 30_000 },
    async () => {
      const database = await openDatabase({
        kind: "postgresql",
        url: `postgresql://koschei:secret@127.0.0.1:${server.port}/koschei`,
        timeouts: timeouts({ connect_timeout: 0.2 }),
      });
      try {
        await assert.rejects(migrate(database), (error: unknown) => {
          assert.ok(error instanceof DatabaseConnectError, String(error));
          assert.equal(
            error.message,
            `cannot connect to the database server 127.0.0.1:${server.port}: ` +
              "no answer within 0.2 s (database_config.connect_timeout)",
          );
          return true;
        });
      } finally {
        await database.close();
      }
    },
  );
});

describe("time limits on a PostgreSQL server", () => {
  let fresh: FreshDatabase;
  const opened: Database[] = [];
  const open = async (limits: Partial<DatabaseTimeouts>): Promise<Database> => {
    const database = await openDatabase({
      kind: "postgresql",
      url: fresh.url,
      timeouts: timeouts(limits),
    });
    opened.push(database);
    return database;
  };
  before(async () => (fresh = await freshDatabase({ migrated: false })));
  after(async () => {
    await Promise.all(opened.map((database) => database.close()));
    await fresh?.drop();
  });

  it("every session starts with the configured statement and idle-in-transaction limits", async () => {
    const database = await open({ statement_timeout: 0.25, idle_in_transaction_timeout: 1.5 });
    assert.deepEqual(
      await database.query(
        `SELECT current_setting('statement_timeout') AS statement,
                current_setting('idle_in_transaction_session_timeout') AS idle`,
      ),
      [{ statement: "250ms", idle: "1500ms" }],
    );
  });

  it("0 means no limit, even where the database has one of its own", async () => {
    await fresh.database.query(
      `DO $$ BEGIN
         EXECUTE format('ALTER DATABASE %I SET statement_timeout = 5000', current_database());
         EXECUTE format('ALTER DATABASE %I SET idle_in_transaction_session_timeout = 5000',
                        current_database());
       END $$`,
    );
    const database = await open({ statement_timeout: 0, idle_in_transaction_timeout: 0 });
    assert.deepEqual(
      await database.query(
        `SELECT current_setting('statement_timeout') AS statement,
                current_setting('idle_in_transaction_session_timeout') AS idle`,
      ),
      [{ statement: "0", idle: "0" }],
    );
  });

  it("the server cancels a statement that runs longer than statement_timeout", async () => {
    const database = await open({ statement_timeout: 0.1 });
    await assert.rejects(
      database.query("SELECT pg_sleep(30)"),
      /canceling statement due to statement timeout/,
    );
  });

  it("a migration canceled by statement_timeout says which key to raise, and is rolled back", async () => {
    const database = await open({ statement_timeout: 0.1 });
    await assert.rejects(
      migrate(database, { migrations: [{ id: "0001_slow", sql: "SELECT pg_sleep(30)" }] }),
      new Error(
        "migration 0001_slow was canceled (canceling statement due to statement timeout); " +
          "if it ran longer than database_config.statement_timeout, raise that (0 = no limit) " +
          "and migrate again",
      ),
    );
    assert.equal(await schemaVersion(database), undefined);
  });

  it("waiting for a session lock is not bounded by statement_timeout", async () => {
    const holderDatabase = await open({});
    const waiterDatabase = await open({ statement_timeout: 0.2 });
    const lock = collectionLock(7);
    let waiterSetting: unknown;
    const holder = withSessionLock(holderDatabase, lock, async (connection) => {
      const waiter = withSessionLock(
        waiterDatabase,
        lock,
        async (waiting) => {
          waiterSetting = (await waiting.query("SHOW statement_timeout"))[0];
        },
        { wait: true },
      );
      // Release only once the waiter has queued for the lock, and has waited longer than
      // its statement_timeout.
      await connection.query(
        `DO $$ BEGIN
           WHILE NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted) LOOP
             PERFORM pg_sleep(0.01);
           END LOOP;
         END $$`,
      );
      await connection.query("SELECT pg_sleep(0.5)");
      return { waiter }; // not the promise itself, which the holder would wait for
    });
    const outcome = await holder;
    assert.ok(outcome.acquired);
    assert.deepEqual(await outcome.value.waiter, { acquired: true, value: undefined });
    assert.deepEqual(waiterSetting, { statement_timeout: "200ms" });
  });
});
