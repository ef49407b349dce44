// Small builders for database tests. Each test runs in a transaction that is rolled back,
// so tests sharing one database see only their own rows.
import type { Kysely } from "kysely";
import type { Database, Schema } from "../../../src/db/index.js";

export type Db = Kysely<Schema>;

const rollback = new Error("rolled back at the end of the test");

export async function inRolledBackTransaction(
  database: Database,
  body: (trx: Db) => Promise<void>,
): Promise<void> {
  try {
    await database.db.transaction().execute(async (trx) => {
      await body(trx);
      throw rollback;
    });
  } catch (error) {
    if (error !== rollback) throw error;
  }
}

export async function addCollection(trx: Db, name = "f29"): Promise<number> {
  const row = await trx
    .insertInto("collection")
    .values({
      name,
      display_name: `Fedora ${name}`,
      target: name,
      dest_tag: name,
      build_tag: `${name}-build`,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A package (and its base package if new) in a collection; tracked unless told otherwise. */
export async function addPackage(
  trx: Db,
  collectionId: number,
  name: string,
  fields: { tracked?: boolean; blocked?: boolean } = {},
): Promise<number> {
  const base =
    (await trx
      .selectFrom("base_package")
      .select("id")
      .where("name", "=", name)
      .executeTakeFirst()) ??
    (await trx
      .insertInto("base_package")
      .values({ name })
      .returning("id")
      .executeTakeFirstOrThrow());
  const row = await trx
    .insertInto("package")
    .values({
      base_id: base.id,
      name,
      collection_id: collectionId,
      tracked: fields.tracked ?? true,
      blocked: fields.blocked ?? false,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

export const RUNNING = 2;
export const COMPLETE = 3;
export const FAILED = 5;

let taskIds = 1000;

/** A build; finished builds get the version, release and repo the schema requires. */
export async function addBuild(
  trx: Db,
  packageId: number,
  state: number,
  started: string,
  fields: { real?: boolean; untagged?: boolean } = {},
): Promise<number> {
  const finished = state !== RUNNING;
  const row = await trx
    .insertInto("build")
    .values({
      package_id: packageId,
      state,
      task_id: ++taskIds,
      started,
      version: finished ? "1.0" : null,
      release: finished ? "1.fc29" : null,
      repo_id: finished ? 123 : null,
      real: fields.real ?? false,
      untagged: fields.untagged ?? false,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Ends a build the way the backend does: state, plus the fields a finished build needs. */
export async function finishBuild(trx: Db, buildId: number, state: number): Promise<void> {
  await trx
    .updateTable("build")
    .set({ state, version: "1.0", release: "1.fc29", repo_id: 123 })
    .where("id", "=", buildId)
    .execute();
}
