// Bringing builds up to date with their Koji tasks (spec 03 §3.1, §3.2, §3.5): start and end
// times, the repo a build ran against, and its buildArch subtasks. Used for scratch builds
// (update_build_state) and for real builds being registered (polling, watcher).
import type { Kysely } from "kysely";
import { KojiFault } from "@koschei/koji-protocol/faults.js";
import { KojiTaskState } from "@koschei/koji-protocol/koji-states.js";
import type { KojiTaskInfo } from "@koschei/koji-protocol/koji-types.js";
import type { Schema } from "../db/index.js";
import type { KojiApi } from "../koji/api.js";
import type { KojiSessions } from "../koji/sessions.js";
import { childTaskRepoId } from "../koji/tasks.js";
import { BuildState } from "../model/states.js";

/** The build columns synchronisation reads. */
export interface SyncedBuild {
  readonly task_id: number;
  readonly state: number;
  readonly repo_id: number | null;
}

/** A buildArch subtask as stored in `koji_task` (without its build id). */
export interface ArchTask {
  task_id: number;
  arch: string;
  state: number;
  started: Date;
  finished: Date | null;
}

/** What Koji says about one build: new values of its columns and its buildArch tasks. */
export interface TaskSync<B extends SyncedBuild> {
  build: B;
  started: Date;
  finished: Date | null;
  repo_id: number | null;
  tasks: ArchTask[];
}

export interface SyncOptions {
  /** Real builds come from the collection's own hub and keep its repo ids as they are. */
  real: boolean;
  now: Date;
}

/**
 * Reads the tasks of `builds` from Koji: the primary hub for scratch builds, the collection's
 * hub for real ones. Builds whose task Koji does not know are left out of the result. In a
 * collection in secondary mode, a scratch build's repo id (a primary repo mirroring a
 * secondary one) is translated back to the secondary repo id through `repo_mapping`; without a
 * mapping it stays null.
 */
export async function syncTasks<B extends SyncedBuild>(
  db: Kysely<Schema>,
  koji: KojiSessions,
  collection: { secondary_mode: boolean },
  builds: readonly B[],
  options: SyncOptions,
): Promise<TaskSync<B>[]> {
  if (builds.length === 0) return [];
  const api = options.real ? koji.forCollection(collection) : koji.primary;
  const infos = await api.getTaskInfoMany(builds.map((build) => build.task_id));
  const known: TaskSync<B>[] = [];
  builds.forEach((build, index) => {
    const info = infos[index];
    if (info == null || info instanceof KojiFault) return;
    known.push({
      build,
      started: kojiTime(info.create_ts),
      finished: info.completion_ts
        ? kojiTime(info.completion_ts)
        : // The message that a task ended may come before Koji records its completion.
          build.state !== BuildState.running
          ? options.now
          : null,
      repo_id: build.repo_id,
      tasks: [],
    });
  });
  const childLists = await api.getTaskChildrenMany(
    known.map((sync) => sync.build.task_id),
    { request: true },
  );
  const translateRepoIds = collection.secondary_mode && !options.real;
  let mappings: Map<number, number> | null = null;
  for (const [index, sync] of known.entries()) {
    const children = childLists[index]!;
    if (children instanceof KojiFault) throw children;
    for (const child of children) {
      const candidate = sync.repo_id === null ? childTaskRepoId(child) : null;
      if (candidate !== null) {
        if (translateRepoIds) {
          mappings ??= await secondaryRepoIds(db, koji.primary);
          sync.repo_id = mappings.get(candidate) ?? null;
        } else {
          sync.repo_id = candidate;
        }
      }
      if (child.method === "buildArch") sync.tasks.push(archTask(child));
    }
  }
  return known;
}

/**
 * Stores buildArch tasks: a task already stored for the build (same Koji task id) gets its
 * new state and times, the others are inserted.
 */
export async function insertKojiTasks(
  db: Kysely<Schema>,
  builds: readonly { buildId: number; tasks: readonly ArchTask[] }[],
): Promise<void> {
  const buildIds = builds.filter((b) => b.tasks.length > 0).map((b) => b.buildId);
  if (buildIds.length === 0) return;
  const existing = await db
    .selectFrom("koji_task")
    .select(["id", "build_id", "task_id"])
    .where("build_id", "in", buildIds)
    .execute();
  const existingIds = new Map(existing.map((row) => [`${row.build_id}:${row.task_id}`, row.id]));
  const inserts = [];
  for (const { buildId, tasks } of builds) {
    for (const task of tasks) {
      const id = existingIds.get(`${buildId}:${task.task_id}`);
      if (id === undefined) {
        inserts.push({ build_id: buildId, ...task });
        continue;
      }
      await db
        .updateTable("koji_task")
        .set({ state: task.state, started: task.started, finished: task.finished })
        .where("id", "=", id)
        .execute();
    }
  }
  if (inserts.length > 0) await db.insertInto("koji_task").values(inserts).execute();
}

/**
 * Completes `repo_mapping` rows whose primary repo is still being generated (spec 03 §3.5):
 * a newRepo task that was canceled or failed drops its mapping; a running or finished one
 * names its repo in the first createrepo child's request.
 */
export async function refreshRepoMappings(db: Kysely<Schema>, primary: KojiApi): Promise<void> {
  const pending = await db
    .selectFrom("repo_mapping")
    .select(["secondary_id", "task_id"])
    .where("primary_id", "is", null)
    .execute();
  for (const mapping of pending) {
    const info = await primary.getTaskInfo(mapping.task_id);
    if (info?.state === KojiTaskState.CANCELED || info?.state === KojiTaskState.FAILED) {
      await db
        .deleteFrom("repo_mapping")
        .where("secondary_id", "=", mapping.secondary_id)
        .execute();
      continue;
    }
    const children = await primary.getTaskChildren(mapping.task_id, { request: true });
    const primaryId = children.map(createrepoRepoId).find((id) => id !== null);
    if (primaryId !== undefined) {
      await db
        .updateTable("repo_mapping")
        .set({ primary_id: primaryId })
        .where("secondary_id", "=", mapping.secondary_id)
        .execute();
    }
  }
}

/** Primary repo id → secondary repo id, after refreshing the mappings. */
async function secondaryRepoIds(
  db: Kysely<Schema>,
  primary: KojiApi,
): Promise<Map<number, number>> {
  await refreshRepoMappings(db, primary);
  const rows = await db
    .selectFrom("repo_mapping")
    .select(["primary_id", "secondary_id"])
    .where("primary_id", "is not", null)
    .execute();
  return new Map(rows.map((row) => [row.primary_id!, row.secondary_id]));
}

function createrepoRepoId(child: KojiTaskInfo): number | null {
  if (child.method !== "createrepo") {
    throw new Error(`newRepo task ${child.parent} has a ${child.method} child, not createrepo`);
  }
  const repoId = child.request?.[0];
  return typeof repoId === "number" && repoId !== 0 ? repoId : null;
}

function archTask(child: KojiTaskInfo): ArchTask {
  return {
    task_id: child.id,
    arch: child.arch,
    state: child.state,
    started: kojiTime(child.create_ts),
    finished: child.completion_ts ? kojiTime(child.completion_ts) : null,
  };
}

/** Koji's timestamps are seconds since the epoch. */
function kojiTime(seconds: number): Date {
  return new Date(seconds * 1000);
}
