// Seeding for the package-detail tests: packages, builds, Koji tasks, dependency changes,
// resolution changes and groups, with the defaults of the original's test helpers (spec 12 §0).
import type { WebClient, WebWorld } from "./web-world.js";

type Db = WebWorld["db"];

export const BUILD_STATES = { running: 2, complete: 3, failed: 5 } as const;
export type BuildStateName = keyof typeof BUILD_STATES;

export async function insertPackage(
  db: Db,
  name: string,
  collectionId: number,
  values: {
    tracked?: boolean;
    blocked?: boolean;
    resolved?: boolean | null;
    skip_resolution?: boolean;
    manual_priority?: number;
    arch_override?: string | null;
  } = {},
): Promise<{ id: number; baseId: number }> {
  const base =
    (await db
      .selectFrom("base_package")
      .select("id")
      .where("name", "=", name)
      .executeTakeFirst()) ??
    (await db
      .insertInto("base_package")
      .values({ name })
      .returning("id")
      .executeTakeFirstOrThrow());
  const { id } = await db
    .insertInto("package")
    .values({
      name,
      base_id: base.id,
      collection_id: collectionId,
      tracked: values.tracked ?? true,
      blocked: values.blocked ?? false,
      resolved: values.resolved === undefined ? true : values.resolved,
      skip_resolution: values.skip_resolution ?? false,
      manual_priority: values.manual_priority ?? 0,
      arch_override: values.arch_override ?? null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { id, baseId: base.id };
}

let taskCounter = 1000;

/** A build as the original's prepare_build makes it: version 1, release 1.fc25, task ids counting up. */
export async function insertBuild(
  db: Db,
  packageId: number,
  state: BuildStateName,
  values: {
    started?: Date;
    finished?: Date | null;
    version?: string;
    release?: string;
    cancel_requested?: boolean;
    deps_resolved?: boolean | null;
    real?: boolean;
    task_id?: number;
  } = {},
): Promise<{ id: number; taskId: number }> {
  const taskId = values.task_id ?? ++taskCounter;
  const started = values.started ?? new Date(taskId * 1000);
  const { id } = await db
    .insertInto("build")
    .values({
      package_id: packageId,
      state: BUILD_STATES[state],
      task_id: taskId,
      started,
      finished:
        values.finished !== undefined
          ? values.finished
          : state === "running"
            ? null
            : new Date(started.getTime() + 600_000),
      version: values.version ?? "1",
      release: values.release ?? "1.fc25",
      repo_id: state === "running" ? null : 1,
      cancel_requested: values.cancel_requested ?? false,
      deps_resolved: values.deps_resolved === undefined ? true : values.deps_resolved,
      real: values.real ?? false,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { id, taskId };
}

export async function insertKojiTask(
  db: Db,
  buildId: number,
  values: { task_id: number; arch: string; state: number },
): Promise<void> {
  await db
    .insertInto("koji_task")
    .values({ build_id: buildId, ...values, started: new Date(), finished: null })
    .execute();
}

export interface EvrSpec {
  epoch?: number | null;
  version: string;
  release: string;
}

async function dependencyId(db: Db, name: string, evr: EvrSpec | null): Promise<number | null> {
  if (evr === null) return null;
  const values = {
    name,
    epoch: evr.epoch ?? 0,
    version: evr.version,
    release: evr.release,
    arch: "x86_64",
  };
  const existing = await db
    .selectFrom("dependency")
    .select("id")
    .where("name", "=", values.name)
    .where("epoch", "=", values.epoch)
    .where("version", "=", values.version)
    .where("release", "=", values.release)
    .where("arch", "=", values.arch)
    .executeTakeFirst();
  if (existing) return existing.id;
  const { id } = await db
    .insertInto("dependency")
    .values(values)
    .returning("id")
    .executeTakeFirstOrThrow();
  return id;
}

/** An applied dependency change of a build (spec 12 §0 prepare_depchange). */
export async function insertAppliedChange(
  db: Db,
  buildId: number,
  dep: string,
  prev: EvrSpec | null,
  curr: EvrSpec | null,
  distance: number | null,
): Promise<void> {
  await db
    .insertInto("applied_change")
    .values({
      build_id: buildId,
      prev_dep_id: await dependencyId(db, dep, prev),
      curr_dep_id: await dependencyId(db, dep, curr),
      distance,
    })
    .execute();
}

export async function insertUnappliedChange(
  db: Db,
  packageId: number,
  dep: string,
  prev: EvrSpec | null,
  curr: EvrSpec | null,
  distance: number | null,
): Promise<void> {
  await db
    .insertInto("unapplied_change")
    .values({
      package_id: packageId,
      prev_dep_id: await dependencyId(db, dep, prev),
      curr_dep_id: await dependencyId(db, dep, curr),
      distance,
    })
    .execute();
}

export async function insertResolutionChange(
  db: Db,
  packageId: number,
  problems: string[],
  timestamp: Date = new Date(),
): Promise<void> {
  const { id } = await db
    .insertInto("resolution_change")
    .values({ package_id: packageId, resolved: problems.length === 0, timestamp })
    .returning("id")
    .executeTakeFirstOrThrow();
  if (problems.length > 0) {
    await db
      .insertInto("resolution_problem")
      .values(problems.map((problem) => ({ resolution_id: id, problem })))
      .execute();
  }
}

/** A group holding the named base packages, maintained by the named users (created if new). */
export async function insertGroup(
  db: Db,
  name: string,
  options: { namespace?: string | null; packages?: string[]; owners?: string[] } = {},
): Promise<number> {
  const { id } = await db
    .insertInto("package_group")
    .values({ name, namespace: options.namespace ?? null })
    .returning("id")
    .executeTakeFirstOrThrow();
  for (const packageName of options.packages ?? []) {
    const base = await db
      .selectFrom("base_package")
      .select("id")
      .where("name", "=", packageName)
      .executeTakeFirstOrThrow();
    await db
      .insertInto("package_group_relation")
      .values({ group_id: id, base_id: base.id })
      .execute();
  }
  for (const owner of options.owners ?? ["john.doe"]) {
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

export async function groupMembers(db: Db, groupId: number): Promise<string[]> {
  const rows = await db
    .selectFrom("package_group_relation")
    .innerJoin("base_package", "base_package.id", "package_group_relation.base_id")
    .select("base_package.name")
    .where("group_id", "=", groupId)
    .orderBy("base_package.name")
    .execute();
  return rows.map((row) => row.name);
}

/** Every audit message, sorted (spec 12 §0 assert_action_log compares them as a set). */
export async function auditMessages(db: Db): Promise<string[]> {
  const rows = await db.selectFrom("log_entry").select("message").execute();
  return rows.map((row) => row.message).sort();
}

/** The CSRF token of the first form of a page the client reads. */
export async function csrfToken(client: WebClient, path: string): Promise<string> {
  const html = await (await client.get(path)).text();
  const match = /name="csrf_token" value="([^"]+)"/.exec(html);
  if (!match) throw new Error(`no CSRF token on ${path}`);
  return match[1]!;
}

/** The page a redirect points to, read with the same client (its flashes included). */
export async function followRedirect(client: WebClient, response: Response): Promise<Response> {
  const location = response.headers.get("location");
  if (response.status !== 302 || location === null) {
    throw new Error(`expected a redirect, got ${response.status}`);
  }
  return client.get(location);
}
