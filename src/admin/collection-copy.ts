// Copying a collection's data into a new collection, for branch-collection and
// fork-collection (spec 07 §6.8): its packages, recent builds or only their last complete
// builds, those builds' Koji tasks and applied dependency changes, and the packages'
// resolution changes with their problems.
//
// Each copied table gets a temporary table mapping original ids to ids drawn from the
// table's own sequence, so that children can follow their copied parents; the temporary
// tables are dropped at commit. All columns but the id and the parent key are copied as
// they are (read from the catalog, so that columns added later are copied too), except the
// pointers the build triggers maintain, which they recompute from the copied builds.
import { sql, type Kysely, type RawBuilder } from "kysely";
import type { Schema } from "../db/index.js";

type CopiedTable =
  "package" | "build" | "koji_task" | "resolution_change" | "resolution_problem" | "applied_change";

/** Columns the build triggers fill in (spec 01 §4): not copied, recomputed. */
const TRIGGER_MAINTAINED: Partial<Record<CopiedTable, string[]>> = {
  package: ["last_build_id", "last_complete_build_id", "last_complete_build_state"],
  build: ["last_complete"],
};

/** A copy keeps builds started this recently (branching) besides the last complete ones. */
const RECENT_BUILDS = "1 month";

interface CopyOptions {
  /** Only the last complete build of each package (forking), not every recent build. */
  minimal: boolean;
}

export async function copyCollectionData(
  db: Kysely<Schema>,
  sourceId: number,
  copyId: number,
  options: CopyOptions,
): Promise<void> {
  const packages = await columnsToCopy(db, "package", "collection_id");
  await createMapping(
    db,
    "package",
    sql`SELECT id AS original_id FROM package WHERE collection_id = ${sourceId} ORDER BY id`,
  );
  await sql`INSERT INTO package (id, collection_id, ${columnList(packages)})
              SELECT package_copy.id, ${copyId}, ${columnList(packages, "package")}
                FROM package JOIN package_copy ON package.id = package_copy.original_id
                ORDER BY package_copy.original_id`.execute(db);

  const lastComplete = sql`SELECT last_complete_build_id FROM package
                             WHERE collection_id = ${sourceId}
                               AND last_complete_build_id IS NOT NULL`;
  const recent = options.minimal
    ? sql`false`
    : sql`build.started > now() - ${RECENT_BUILDS}::interval`;
  await copyChildren(
    db,
    "build",
    "package_id",
    "package",
    sql`${recent} OR build.id IN (${lastComplete})`,
  );
  await copyChildren(db, "koji_task", "build_id", "build");
  await copyChildren(db, "applied_change", "build_id", "build");
  await copyChildren(db, "resolution_change", "package_id", "package");
  await copyChildren(db, "resolution_problem", "resolution_id", "resolution_change");
}

/** The columns of a table copied as they are: all but the id, the parent key and trigger-kept ones. */
async function columnsToCopy(
  db: Kysely<Schema>,
  table: CopiedTable,
  parentKey: string,
): Promise<string[]> {
  const excluded = new Set(["id", parentKey, ...(TRIGGER_MAINTAINED[table] ?? [])]);
  const { rows } = await sql<{ column_name: string }>`
    SELECT column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = ${table}
      ORDER BY ordinal_position`.execute(db);
  return rows.map((row) => row.column_name).filter((name) => !excluded.has(name));
}

function columnList(columns: string[], table?: string): RawBuilder<unknown> {
  return sql.join(columns.map((column) => sql.ref(table ? `${table}.${column}` : column)));
}

/**
 * `<table>_copy`: the rows `originals` selects (original_id and any parent key, in original id
 * order) with new ids, drawn in that order; dropped at commit.
 */
async function createMapping(
  db: Kysely<Schema>,
  table: CopiedTable,
  originals: RawBuilder<unknown>,
): Promise<void> {
  await sql`CREATE TEMPORARY TABLE ${sql.table(`${table}_copy`)} ON COMMIT DROP AS
              SELECT originals.*, nextval(${`${table}_id_seq`}::regclass) AS id
                FROM (${originals}) AS originals`.execute(db);
}

/** Copies the rows of `table` whose parent was copied (and that match `where`). */
async function copyChildren(
  db: Kysely<Schema>,
  table: CopiedTable,
  parentKey: string,
  parent: CopiedTable,
  where: RawBuilder<unknown> = sql`true`,
): Promise<void> {
  const columns = await columnsToCopy(db, table, parentKey);
  const mapping = sql.table(`${table}_copy`);
  const parentMapping = sql.table(`${parent}_copy`);
  await createMapping(
    db,
    table,
    sql`SELECT ${sql.ref(`${table}.id`)} AS original_id, ${parentMapping}.id AS ${sql.ref(parentKey)}
          FROM ${sql.table(table)}
          JOIN ${parentMapping} ON ${sql.ref(`${table}.${parentKey}`)} = ${parentMapping}.original_id
          WHERE ${where}
          ORDER BY ${sql.ref(`${table}.id`)}`,
  );
  await sql`INSERT INTO ${sql.table(table)} (id, ${sql.ref(parentKey)}, ${columnList(columns)})
              SELECT ${mapping}.id, ${mapping}.${sql.ref(parentKey)}, ${columnList(columns, table)}
                FROM ${sql.table(table)} JOIN ${mapping} ON ${sql.ref(`${table}.id`)} = ${mapping}.original_id
                ORDER BY ${mapping}.original_id`.execute(db);
}
