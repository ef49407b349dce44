// Session-level advisory locks: concurrent holders exclude each other (spec 03 §9).
import assert from "node:assert/strict";
import { it } from "node:test";
import {
  collectionLock,
  repoLock,
  tryTransactionLock,
  withSessionLock,
  type AdvisoryLock,
  type Database,
} from "../../../src/db/index.js";

/** A promise and the function that resolves it. */
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => (fire = resolve));
  return { promise, fire };
}

/** Holds the lock in a body that runs until `release` fires; resolves once it is held. */
async function holdLock(database: Database, lockId: number) {
  const entered = signal();
  const release = signal();
  const outcome = withSessionLock(database, collectionLock(lockId), async () => {
    entered.fire();
    await release.promise;
    return "held";
  });
  await entered.promise;
  return { release: release.fire, outcome };
}

const nothing = async () => "ran";

/**
 * Asserts that nobody holds the lock. On PostgreSQL, pg_locks is asked too: a lock leaked
 * on a pooled connection would otherwise be granted again to that same connection.
 */
async function assertFree(database: Database, lock: AdvisoryLock): Promise<void> {
  if (database.kind === "postgresql") {
    const [row] = await database.query<{ holders: number }>(
      `SELECT count(*) AS holders FROM pg_locks
        WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 2
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [lock.namespace, lock.key],
    );
    assert.equal(row!.holders, 0, "the lock is still held");
  }
  assert.deepEqual(await withSessionLock(database, lock, nothing), {
    acquired: true,
    value: "ran",
  });
}

/**
 * `other` is how a competing holder reaches the database: the same Database (another
 * pinned connection of its pool on PostgreSQL) or a second Database on the same server.
 */
export function lockTests(database: () => Database, other: () => Database = database): void {
  it("a held lock is refused to others; the same key in another namespace is free", async () => {
    const holder = await holdLock(database(), 1);
    assert.deepEqual(await withSessionLock(other(), collectionLock(1), nothing), {
      acquired: false,
    });
    assert.deepEqual(await withSessionLock(other(), repoLock(1), nothing), {
      acquired: true,
      value: "ran",
    });
    assert.deepEqual(await withSessionLock(other(), collectionLock(2), nothing), {
      acquired: true,
      value: "ran",
    });
    holder.release();
    assert.deepEqual(await holder.outcome, { acquired: true, value: "held" });
    await assertFree(other(), collectionLock(1));
  });

  it("a waiting locker gets the lock once the holder is done", async () => {
    const events: string[] = [];
    const holder = await holdLock(database(), 3);
    const waiter = withSessionLock(
      other(),
      collectionLock(3),
      async () => {
        events.push("waiter got the lock");
      },
      { wait: true },
    );
    events.push("holder finishing");
    holder.release();
    await holder.outcome;
    await waiter;
    assert.deepEqual(events, ["holder finishing", "waiter got the lock"]);
  });

  it("the lock outlives transactions committed inside the body", async () => {
    const outcome = await withSessionLock(database(), collectionLock(6), async (connection) => {
      await connection.db.transaction().execute(async (trx) => {
        await trx.selectFrom("collection").select("id").execute();
      });
      return withSessionLock(other(), collectionLock(6), nothing);
    });
    assert.deepEqual(outcome, { acquired: true, value: { acquired: false } });
  });

  it("an error in the body propagates and releases the lock", async () => {
    await assert.rejects(
      withSessionLock(database(), collectionLock(4), async (connection) => {
        await connection.query("SELECT 1 / 0");
      }),
      /division by zero/,
    );
    await assertFree(other(), collectionLock(4));
  });
}

/** PostgreSQL only: raw transactions in a lock body, transaction-scoped locks. */
export function postgresqlLockTests(database: () => Database): void {
  it("a body leaving an aborted transaction still releases the lock", async () => {
    await assert.rejects(
      withSessionLock(database(), collectionLock(5), async (connection) => {
        await connection.query("BEGIN");
        await connection.query("SELECT 1 / 0");
      }),
      /division by zero/,
    );
    await assertFree(database(), collectionLock(5));
  });

  it("transaction locks conflict only on the same (namespace, key) and end with the transaction", async () => {
    const entered = signal();
    const release = signal();
    const first = database()
      .db.transaction()
      .execute(async (trx) => {
        assert.equal(await tryTransactionLock(trx, repoLock(7)), true);
        entered.fire();
        await release.promise;
      });
    await entered.promise;
    await database()
      .db.transaction()
      .execute(async (trx) => {
        assert.equal(await tryTransactionLock(trx, repoLock(7)), false);
        assert.equal(await tryTransactionLock(trx, collectionLock(7)), true);
      });
    release.fire();
    await first;
    await database()
      .db.transaction()
      .execute(async (trx) => {
        assert.equal(await tryTransactionLock(trx, repoLock(7)), true);
      });
  });
}
