// Packages and builds for the API tests, shaped like the original's fixtures (spec 12 §0): a
// build's Koji task id is also its start time in Unix seconds, version 1, release 1.fc25.
import { sql } from "kysely";
import { BuildState } from "../../src/model/states.js";
import type { WebWorld } from "./web-world.js";

type Db = WebWorld["db"];

export interface PackageValues {
  tracked?: boolean;
  blocked?: boolean;
  resolved?: boolean | null;
}

/** A package of the collection (its base package created on first use); returns its id. */
export async function insertPackage(
  db: Db,
  name: string,
  collectionId: number,
  values: PackageValues = {},
): Promise<number> {
  await db
    .insertInto("base_package")
    .values({ name })
    .onConflict((conflict) => conflict.column("name").doNothing())
    .execute();
  const { id } = await db
    .insertInto("package")
    .values({
      name,
      collection_id: collectionId,
      base_id: (qb) => qb.selectFrom("base_package").select("id").where("name", "=", name),
      tracked: values.tracked ?? true,
      blocked: values.blocked ?? false,
      resolved: values.resolved === undefined ? true : values.resolved,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return id;
}

/** A build of the package; running builds have no repo, version or release yet. */
export async function insertBuild(
  db: Db,
  packageId: number,
  state: keyof typeof BuildState,
  taskId: number,
  times: { started?: string; finished?: string } = {},
): Promise<void> {
  const running = state === "running";
  await db
    .insertInto("build")
    .values({
      package_id: packageId,
      state: BuildState[state],
      task_id: taskId,
      started: times.started ?? new Date(taskId * 1000),
      finished: times.finished ?? null,
      version: running ? null : "1",
      release: running ? null : "1.fc25",
      repo_id: running ? null : 1,
      deps_resolved: true,
    })
    .execute();
}

/** Removes every package and build (and what hangs on them); collections stay. */
export async function clearPackages(db: Db): Promise<void> {
  await sql`TRUNCATE build, package, base_package RESTART IDENTITY CASCADE`.execute(db);
}
