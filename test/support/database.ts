// Throw-away databases for tests: a uniquely named database on the test PostgreSQL server
// (KOSCHEI_TEST_DATABASE_URL), or an in-memory PGlite, each created with the full schema;
// and a server that never answers, for the connect timeout.
import { createServer, type Server, type Socket } from "node:net";
import pg from "pg";
import { IN_MEMORY, migrate, openDatabase, type Database } from "../../src/db/index.js";

const TEST_DATABASE_URL =
  process.env.KOSCHEI_TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export interface FreshDatabase {
  /** Connection URL of the new database (for child processes: KOSCHEI_DATABASE_URL). */
  url: string;
  database: Database;
  /** Closes `database` and drops the database (also ending any other session on it). */
  drop(): Promise<void>;
}

let created = 0;

/**
 * Creates an empty database named koschei_test_<pid>_<n>_<random> on the test server and
 * migrates it. Pass `{ migrated: false }` for an empty one. Call drop() when done (e.g. in
 * `after`).
 */
export async function freshDatabase(options: { migrated?: boolean } = {}): Promise<FreshDatabase> {
  const name = `koschei_test_${process.pid}_${++created}_${Math.random().toString(36).slice(2, 8)}`;
  await withServerConnection((client) => client.query(`CREATE DATABASE ${name}`));
  const url = databaseUrl(name);
  const database = await openDatabase({ kind: "postgresql", url });
  try {
    if (options.migrated ?? true) await migrate(database);
  } catch (error) {
    await database.close();
    await dropDatabase(name);
    throw error;
  }
  return {
    url,
    database,
    drop: async () => {
      await database.close();
      await dropDatabase(name);
    },
  };
}

/** An in-memory PGlite with the full schema (or empty with `{ migrated: false }`). */
export async function freshPglite(
  options: { migrated?: boolean } = {},
): Promise<{ database: Database; drop(): Promise<void> }> {
  const database = await openDatabase({ kind: "pglite", dataDir: IN_MEMORY });
  if (options.migrated ?? true) await migrate(database);
  return { database, drop: () => database.close() };
}

/** The test server's URL with another database name (query parameters kept). */
function databaseUrl(name: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(name: string): Promise<void> {
  await withServerConnection((client) =>
    client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  );
}

async function withServerConnection<T>(body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/** A TCP server on 127.0.0.1 that accepts connections and never sends a byte. */
export async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
