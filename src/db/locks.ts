// Advisory locks that keep services from working on the same collection or repo at once
// (spec 03 §9). A lock is a (namespace, key) pair in PostgreSQL's two-integer form.
import { sql, type Kysely } from "kysely";
import { rawQuery, type Database, type DatabaseConnection } from "./connection.js";
import type { Schema } from "./schema.js";

/** The key spaces; a key means something only within its namespace. */
export const LockNamespace = {
  /** Schema migrations; key 0. */
  migration: 0,
  /** Repo resolver; key = collection id. */
  collection: 1,
  /** Build resolver; key = Koji repo id. */
  repo: 2,
} as const;

export interface AdvisoryLock {
  namespace: number;
  key: number;
}

export function collectionLock(collectionId: number): AdvisoryLock {
  return { namespace: LockNamespace.collection, key: collectionId };
}

export function repoLock(repoId: number): AdvisoryLock {
  return { namespace: LockNamespace.repo, key: repoId };
}

export type LockOutcome<T> = { acquired: true; value: T } | { acquired: false };

export interface SessionLockOptions {
  /** Wait for the holder to release it (default: give up at once). */
  wait?: boolean;
}

/**
 * Runs `body` while holding a session-level lock, which survives the body's commits and
 * is released when the body ends, normally or not. On PostgreSQL the body gets a
 * connection pinned for its whole run (the lock belongs to that connection); queries
 * that must happen under the lock go through it. Without `wait`, a lock held elsewhere
 * returns `{ acquired: false }` and the body does not run.
 */
export async function withSessionLock<T>(
  database: Database,
  lock: AdvisoryLock,
  body: (connection: DatabaseConnection) => Promise<T>,
  options: SessionLockOptions = {},
): Promise<LockOutcome<T>> {
  if (database.kind === "pglite") return withInProcessLock(database, lock, body, options);
  return database.db.connection().execute(async (db) => {
    const connection: DatabaseConnection = { kind: database.kind, db, query: rawQuery(db) };
    if (options.wait) {
      await waitForLock(db, lock);
    } else if (!(await tryLock(db, "pg_try_advisory_lock", lock))) {
      return { acquired: false };
    }
    try {
      return { acquired: true, value: await body(connection) };
    } finally {
      await unlockSession(db, lock);
    }
  });
}

/**
 * Waits for a session lock as long as its holder keeps it: database_config.statement_timeout
 * bounds the statements of a body, not the wait for another body to finish.
 */
async function waitForLock(db: Kysely<Schema>, lock: AdvisoryLock): Promise<void> {
  await sql`SET statement_timeout = 0`.execute(db);
  try {
    await sql`SELECT pg_advisory_lock(${lock.namespace}, ${lock.key})`.execute(db);
  } finally {
    // Back to the value the connection started with.
    await sql`RESET statement_timeout`.execute(db);
  }
}

/**
 * Takes a lock that lasts until the transaction ends, waiting for other holders.
 * Works alike on PGlite, whose transactions never overlap.
 */
export async function transactionLock(trx: Kysely<Schema>, lock: AdvisoryLock): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${lock.namespace}, ${lock.key})`.execute(trx);
}

/** Takes a lock that lasts until the transaction ends, or returns false if it is held. */
export function tryTransactionLock(trx: Kysely<Schema>, lock: AdvisoryLock): Promise<boolean> {
  return tryLock(trx, "pg_try_advisory_xact_lock", lock);
}

async function tryLock(
  db: Kysely<Schema>,
  fn: "pg_try_advisory_lock" | "pg_try_advisory_xact_lock",
  lock: AdvisoryLock,
): Promise<boolean> {
  const result = await sql<{ locked: boolean }>`SELECT ${sql.raw(fn)}(${lock.namespace}, ${
    lock.key
  }) AS locked`.execute(db);
  return result.rows[0]!.locked;
}

async function unlockSession(db: Kysely<Schema>, lock: AdvisoryLock): Promise<void> {
  const unlock = sql`SELECT pg_advisory_unlock(${lock.namespace}, ${lock.key})`;
  try {
    await unlock.execute(db);
  } catch {
    // The body left a transaction aborted on this connection; end it so the connection
    // goes back to the pool clean and without the lock.
    await sql`ROLLBACK`.execute(db);
    await unlock.execute(db);
  }
}

// PGlite is a single session, in which every advisory lock would be granted at once (they
// are re-entrant per session). Holders inside this process are therefore excluded here;
// no other process can open the same PGlite database.
const inProcessLocks = new WeakMap<Database, Map<string, Promise<void>>>();

async function withInProcessLock<T>(
  database: Database,
  lock: AdvisoryLock,
  body: (connection: DatabaseConnection) => Promise<T>,
  options: SessionLockOptions,
): Promise<LockOutcome<T>> {
  let held = inProcessLocks.get(database);
  if (!held) inProcessLocks.set(database, (held = new Map()));
  const name = `${lock.namespace}:${lock.key}`;
  for (let holder = held.get(name); holder; holder = held.get(name)) {
    if (!options.wait) return { acquired: false };
    await holder;
  }
  let release!: () => void;
  held.set(name, new Promise<void>((resolve) => (release = resolve)));
  try {
    return { acquired: true, value: await body(database) };
  } finally {
    held.delete(name);
    release();
  }
}
