// Seeds packages, builds, groups and resolution changes for the package-list tests, in the
// manner of the original's prepare_package / prepare_build / prepare_group helpers
// (spec 12 §0): builds get task ids and start times from a counter unless given.
import type { WebWorld } from "./web-world.js";

type Db = WebWorld["db"];

export interface SeedPackage {
  id: number;
  baseId: number;
  name: string;
  collectionId: number;
}

/** Creates (or reuses) the base package and a package row in the collection. */
export async function seedPackage(
  db: Db,
  name: string,
  collectionId: number,
  values: {
    tracked?: boolean;
    blocked?: boolean;
    resolved?: boolean | null;
    manual_priority?: number;
    static_priority?: number;
    dependency_priority?: number;
    build_priority?: number;
  } = {},
): Promise<SeedPackage> {
  const existing = await db
    .selectFrom("base_package")
    .select("id")
    .where("name", "=", name)
    .executeTakeFirst();
  const baseId =
    existing?.id ??
    (await db.insertInto("base_package").values({ name }).returning("id").executeTakeFirstOrThrow())
      .id;
  const { id } = await db
    .insertInto("package")
    .values({
      name,
      base_id: baseId,
      collection_id: collectionId,
      tracked: values.tracked ?? true,
      blocked: values.blocked ?? false,
      resolved: values.resolved === undefined ? true : values.resolved,
      manual_priority: values.manual_priority ?? 0,
      static_priority: values.static_priority ?? 0,
      dependency_priority: values.dependency_priority ?? 0,
      build_priority: values.build_priority ?? 0,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { id, baseId, name, collectionId };
}

let taskCounter = 1000;

export type SeedBuildState = "running" | "complete" | "failed";
const STATE_CODES: Record<SeedBuildState, number> = { running: 2, complete: 3, failed: 5 };

/** A build of the package; the database's triggers update its last (complete) build. */
export async function seedBuild(
  db: Db,
  pkg: SeedPackage,
  state: SeedBuildState,
  values: { started?: Date; finished?: Date | null; taskId?: number; real?: boolean } = {},
): Promise<{ id: number; taskId: number; started: Date }> {
  const taskId = values.taskId ?? ++taskCounter;
  const started = values.started ?? new Date(Date.UTC(2026, 0, 1) + taskId * 1000);
  const { id } = await db
    .insertInto("build")
    .values({
      package_id: pkg.id,
      state: STATE_CODES[state],
      task_id: taskId,
      started,
      finished:
        values.finished !== undefined
          ? values.finished
          : state === "running"
            ? null
            : new Date(started.getTime() + 600_000),
      version: "1",
      release: "1.fc25",
      repo_id: state === "running" ? null : 1,
      deps_resolved: state === "running" ? null : true,
      real: values.real ?? false,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { id, taskId, started };
}

/** A package group with members (base package names) and maintainers (user names). */
export async function seedGroup(
  db: Db,
  name: string,
  members: string[],
  options: { namespace?: string | null; owners?: string[] } = {},
): Promise<number> {
  const { id } = await db
    .insertInto("package_group")
    .values({ name, namespace: options.namespace ?? null })
    .returning("id")
    .executeTakeFirstOrThrow();
  for (const member of members) {
    const base = await db
      .selectFrom("base_package")
      .select("id")
      .where("name", "=", member)
      .executeTakeFirstOrThrow();
    await db
      .insertInto("package_group_relation")
      .values({ group_id: id, base_id: base.id })
      .execute();
  }
  for (const owner of options.owners ?? []) {
    await db
      .insertInto("user")
      .values({ name: owner })
      .onConflict((conflict) => conflict.column("name").doNothing())
      .execute();
    const user = await db
      .selectFrom("user")
      .select("id")
      .where("name", "=", owner)
      .executeTakeFirstOrThrow();
    await db.insertInto("group_acl").values({ group_id: id, user_id: user.id }).execute();
  }
  return id;
}

/** A resolution change of the package at the given time (resolved = no problems). */
export async function seedResolutionChange(
  db: Db,
  pkg: SeedPackage,
  resolved: boolean,
  timestamp: Date,
): Promise<void> {
  await db
    .insertInto("resolution_change")
    .values({ package_id: pkg.id, resolved, timestamp })
    .execute();
}

/** Deletes every package, base package, build and group (collections stay). */
export async function clearPackages(db: Db): Promise<void> {
  await db.deleteFrom("package_group_relation").execute();
  await db.deleteFrom("group_acl").execute();
  await db.deleteFrom("package_group").execute();
  await db.deleteFrom("resolution_change").execute();
  // Deleting the packages deletes their builds (ON DELETE CASCADE).
  await db.deleteFrom("package").execute();
  await db.deleteFrom("base_package").execute();
}
