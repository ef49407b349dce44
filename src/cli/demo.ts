// `koschei demo`: opens the embedded PGlite database, creates or upgrades its schema and
// shows what it holds. (The demo that also runs the services against a simulated Koji
// builds on this.)
import { join } from "node:path";
import { loadConfig } from "../config/index.js";
import { migrate, openDatabase, type Database, type MigrationResult } from "../db/index.js";
import { collectionState } from "../model/states.js";
import { stringOption, type Command } from "./command.js";

/** The tables whose row counts the demo shows, in display order. */
const countedTables = [
  "collection",
  "base_package",
  "package",
  "build",
  "koji_task",
  "dependency",
  "resolution_change",
  "unapplied_change",
  "applied_change",
  "package_group",
  "user",
  "log_entry",
] as const;

export interface DemoCollection {
  name: string;
  display_name: string;
  latest_repo_resolved: boolean | null;
  packages: number;
  tracked: number;
}

export interface DemoState {
  location: string;
  migration: MigrationResult;
  rowCounts: Record<(typeof countedTables)[number], number>;
  collections: DemoCollection[];
}

async function readDemoState(database: Database, migration: MigrationResult): Promise<DemoState> {
  const countColumns = countedTables
    .map((table) => `(SELECT count(*) FROM "${table}") AS "${table}"`)
    .join(", ");
  const [rowCounts] = await database.query<DemoState["rowCounts"]>(`SELECT ${countColumns}`);
  const collections = await database.query<DemoCollection>(
    `SELECT c.name, c.display_name, c.latest_repo_resolved,
            count(p.id) AS packages, count(p.id) FILTER (WHERE p.tracked) AS tracked
       FROM collection c LEFT JOIN package p ON p.collection_id = c.id
      GROUP BY c.id ORDER BY c."order" DESC, c.name`,
  );
  return { location: database.location, migration, rowCounts: rowCounts!, collections };
}

export function formatDemoState(state: DemoState): string {
  const { applied, current } = state.migration;
  const lines = [
    `database: ${state.location}`,
    `schema version: ${current}` +
      (applied.length ? ` (just applied: ${applied.join(", ")})` : " (up to date)"),
    "rows:",
    ...countedTables.map((table) => `  ${table.padEnd(18)} ${state.rowCounts[table]}`),
  ];
  if (state.collections.length === 0) {
    lines.push("collections: none yet");
  } else {
    lines.push("collections:");
    for (const c of state.collections) {
      lines.push(
        `  ${c.name} (${c.display_name}): ${c.packages} package${c.packages === 1 ? "" : "s"}, ` +
          `${c.tracked} tracked, ` +
          `buildroot ${collectionState(c.latest_repo_resolved)}`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

export const demoCommand: Command = {
  name: "demo",
  summary: "open the embedded database, create or upgrade its schema and show its contents",
  description:
    "Uses the embedded PGlite database in <directories.statedir>/pglite (also when a " +
    "PostgreSQL database is configured), applies any pending schema migrations and " +
    "prints where the database is, its schema version, row counts of the main tables and " +
    "its collections. Running it again shows the same database.",
  options: [{ name: "data-dir", value: "DIR", help: "use the PGlite database in DIR instead" }],
  async run(args) {
    const dataDir =
      stringOption(args, "data-dir") ?? join(loadConfig("backend").directories.statedir, "pglite");
    const database = await openDatabase({ kind: "pglite", dataDir });
    try {
      const state = await readDemoState(database, await migrate(database));
      process.stdout.write(formatDemoState(state));
    } finally {
      await database.close();
    }
  },
};
