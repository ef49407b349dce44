// Kysely dialect for PGlite, the embedded PostgreSQL. PGlite is one session, so the
// "connections" handed to Kysely share it: a transaction takes the session exclusively
// from BEGIN to COMMIT/ROLLBACK, and a query from any other connection waits until then.
// Without this, a query issued elsewhere would silently run inside someone's transaction.
// Consequence: inside a transaction use the transaction object only; a query through
// another handle would wait for the transaction that is waiting for it.
import type { PGlite, Results } from "@electric-sql/pglite";
import {
  AbortedTransactionError,
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from "kysely";

/** A FIFO lock; `acquire` resolves with the function that releases it. */
class SessionGate {
  #tail: Promise<void> = Promise.resolve();

  acquire(): Promise<() => void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const turn = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => released);
    return turn;
  }

  async runExclusive<T>(body: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await body();
    } finally {
      release();
    }
  }
}

const changeCommands = new Set(["INSERT", "UPDATE", "DELETE", "MERGE"]);

class PgliteConnection implements DatabaseConnection {
  readonly #pglite: PGlite;
  readonly #gate: SessionGate;
  /** Set while this connection's transaction holds the session. */
  #releaseSession: (() => void) | undefined;

  constructor(pglite: PGlite, gate: SessionGate) {
    this.#pglite = pglite;
    this.#gate = gate;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.#releaseSession) return this.#run<R>(query);
    return this.#gate.runExclusive(() => this.#run<R>(query));
  }

  // PGlite has no cursors here: the whole result arrives as one chunk.
  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    yield await this.executeQuery<R>(query);
  }

  async begin(statement: string): Promise<void> {
    const release = await this.#gate.acquire();
    try {
      await this.#run(CompiledQuery.raw(statement));
    } catch (error) {
      release();
      throw error;
    }
    this.#releaseSession = release;
  }

  /** Ends the transaction with COMMIT or ROLLBACK and gives the session back. */
  async end(statement: "commit" | "rollback"): Promise<string | undefined> {
    const release = this.#releaseSession;
    if (!release) return undefined;
    try {
      const result = await this.#pglite.exec(statement);
      return result.at(-1)?.command;
    } finally {
      this.#releaseSession = undefined;
      release();
    }
  }

  get inTransaction(): boolean {
    return this.#releaseSession !== undefined;
  }

  // Like node-postgres, a query without parameters goes through the simple protocol,
  // which accepts several statements (migrations rely on it); as there, a script of
  // several statements returns no rows.
  async #run<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result: Results =
      query.parameters.length === 0
        ? singleResult(await this.#pglite.exec(query.sql))
        : await this.#pglite.query(query.sql, [...query.parameters]);
    const changed = result.command !== undefined && changeCommands.has(result.command);
    return {
      rows: result.rows as R[],
      numAffectedRows: changed ? BigInt(result.rowCount ?? result.affectedRows ?? 0) : undefined,
    };
  }
}

function singleResult(results: Results[]): Results {
  return results.length === 1 ? results[0]! : { rows: [], fields: [] };
}

class PgliteDriver implements Driver {
  readonly #pglite: PGlite;
  readonly #gate = new SessionGate();

  constructor(pglite: PGlite) {
    this.#pglite = pglite;
  }

  async init(): Promise<void> {
    await this.#pglite.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new PgliteConnection(this.#pglite, this.#gate);
  }

  async beginTransaction(
    connection: DatabaseConnection,
    settings: TransactionSettings,
  ): Promise<void> {
    const characteristics = [
      settings.isolationLevel ? `isolation level ${settings.isolationLevel}` : "",
      settings.accessMode ?? "",
    ].filter(Boolean);
    await asPglite(connection).begin(
      characteristics.length ? `start transaction ${characteristics.join(" ")}` : "begin",
    );
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    // PostgreSQL answers COMMIT of a transaction left aborted by an error with ROLLBACK.
    if ((await asPglite(connection).end("commit")) === "ROLLBACK") {
      throw new AbortedTransactionError();
    }
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await asPglite(connection).end("rollback");
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdentifier(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(
      CompiledQuery.raw(`rollback to savepoint ${quoteIdentifier(name)}`),
    );
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${quoteIdentifier(name)}`));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    // A connection given back in the middle of a transaction must not keep the session.
    const pgliteConnection = asPglite(connection);
    if (pgliteConnection.inTransaction) await pgliteConnection.end("rollback");
  }

  async destroy(): Promise<void> {
    // Waits for a transaction in progress, then closes (and flushes) the database.
    await this.#gate.runExclusive(() => this.#pglite.close());
  }
}

function asPglite(connection: DatabaseConnection): PgliteConnection {
  if (!(connection instanceof PgliteConnection)) {
    throw new Error("connection does not belong to the PGlite driver");
  }
  return connection;
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A Kysely dialect running on an already created PGlite instance, which it closes on destroy. */
export class PgliteDialect implements Dialect {
  readonly #pglite: PGlite;

  constructor(pglite: PGlite) {
    this.#pglite = pglite;
  }

  createDriver(): Driver {
    return new PgliteDriver(this.#pglite);
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createAdapter(): PostgresAdapter {
    return new PostgresAdapter();
  }

  createIntrospector(db: Kysely<unknown>): PostgresIntrospector {
    return new PostgresIntrospector(db);
  }
}
