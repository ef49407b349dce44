import { sql as tables } from "./0001_tables.js";
import { sql as buildTriggers } from "./0002_build_triggers.js";
import { sql as rpmvercmp } from "./0003_rpmvercmp.js";
import { sql as stats } from "./0004_stats.js";
import { sql as outbox } from "./0005_outbox.js";
import { sql as frontendIndexes } from "./0006_frontend_indexes.js";
import { sql as packageListSpeed } from "./0007_package_list_speed.js";
import { sql as coprTables } from "./0008_copr_tables.js";
import { sql as buildGroup } from "./0009_build_group.js";

export interface Migration {
  /** Sortable identifier recorded in schema_migrations once applied, e.g. "0001_tables". */
  id: string;
  /** One or more SQL statements, run in a single transaction. */
  sql: string;
}

/**
 * Every schema migration in the order it must be applied. Append new ones at the end and
 * never edit an applied one: databases in the field record which ids they already ran.
 */
export const migrations: readonly Migration[] = [
  { id: "0001_tables", sql: tables },
  { id: "0002_build_triggers", sql: buildTriggers },
  { id: "0003_rpmvercmp", sql: rpmvercmp },
  { id: "0004_stats", sql: stats },
  { id: "0005_outbox", sql: outbox },
  { id: "0006_frontend_indexes", sql: frontendIndexes },
  { id: "0007_package_list_speed", sql: packageListSpeed },
  // The plugins' tables (src/plugins). They were in 0001_tables until these existed (the one
  // edit of an applied migration): both leave what a database already has as it is.
  { id: "0008_copr_tables", sql: coprTables },
  { id: "0009_build_group", sql: buildGroup },
];
