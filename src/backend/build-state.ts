// Following a scratch build's Koji task (spec 03 §2): polling calls this for every running
// build, the watcher for every task state message. A finished build gets its final state, its
// subtasks and repo id; its package's priorities are reset and a `package_state_change` event
// goes out after commit. Canceled builds, builds that Koji itself broke and builds without a
// repo id are deleted instead: they say nothing about the package.
import type { Transaction } from "kysely";
import { KojiFault } from "@koschei/koji-protocol/faults.js";
import type { KojiTaskStateName } from "@koschei/koji-protocol/koji-states.js";
import type { Schema } from "../db/index.js";
import { isKojiFault } from "../koji/tasks.js";
import { buildPriorityAfterFinish } from "../model/priority.js";
import {
  buildStateForTaskState,
  packageMessageState,
  type BuildStateCode,
} from "../model/states.js";
import type { EventCollector } from "./events.js";
import { insertKojiTasks, syncTasks, type SyncedBuild } from "./koji-sync.js";
import type { BackendSession } from "./session.js";

/** The build columns the caller passes (a `build` row satisfies it). */
export interface TrackedBuild {
  readonly id: number;
  readonly task_id: number;
}

/** What `updateBuildState` did, for the caller's log and for tests. */
export type BuildStateOutcome =
  /** Still running: times, repo id and subtasks refreshed. */
  | "running"
  /** Finished: state, subtasks and priorities stored. */
  | "finished"
  /** Deleted: canceled in Koji, by request, or for running too long. */
  | "deleted-canceled"
  /** Deleted: the task failed through Koji's fault. */
  | "deleted-koji-fault"
  /** Deleted: no repo id could be found, so it cannot be compared with anything. */
  | "deleted-no-repo"
  /** Nothing to do: the build is gone or already in that state (another process was first). */
  | "unchanged";

/** SQLSTATE class 23: a concurrent change made a row insert or update impossible. */
const INTEGRITY_VIOLATION = /^23/;

/**
 * Applies a Koji task state (by name) to a build. Concurrent changes by another process (the
 * build deleted or already updated) roll back quietly and report "unchanged".
 */
export async function updateBuildState(
  session: BackendSession,
  build: TrackedBuild,
  taskState: KojiTaskStateName,
): Promise<BuildStateOutcome> {
  try {
    return await applyTaskState(session, build, taskState);
  } catch (error) {
    if (INTEGRITY_VIOLATION.test(sqlState(error) ?? "")) {
      session.log.info({ buildId: build.id, err: error }, "build changed concurrently; skipped");
      return "unchanged";
    }
    throw error;
  }
}

async function applyTaskState(
  session: BackendSession,
  build: TrackedBuild,
  taskState: KojiTaskStateName,
): Promise<BuildStateOutcome> {
  const { database, events, koji, log } = session;
  const now = session.now();
  let canceled = taskState === "CANCELED";
  const finalState = buildStateForTaskState(taskState);
  if (!canceled && finalState === null && (await mustCancel(session, build.id, now))) {
    log.info({ taskId: build.task_id }, `canceling build with task ${build.task_id}`);
    await cancelKojiTask(session, build.task_id);
    canceled = true;
  }
  return events.transaction(database.db, async (trx, collected) => {
    const current = await lockBuild(trx, build.id);
    if (!current) return "unchanged";
    const collection = await trx
      .selectFrom("collection")
      .select(["secondary_mode"])
      .where("id", "=", current.collection_id)
      .executeTakeFirstOrThrow();
    if (!canceled && finalState === null) {
      const [sync] = await syncTasks(trx, koji, collection, [current], { real: false, now });
      if (sync) await storeSync(trx, current.id, sync);
      return "running";
    }
    if (current.state === finalState) return "unchanged";
    const label = `build ${current.id} of ${current.package_name} (task ${current.task_id})`;
    if (canceled) {
      log.info({ buildId: current.id }, `Deleting ${label} because it was canceled`);
      await deleteBuild(trx, current.id);
      return "deleted-canceled";
    }
    if (await isKojiFault(koji.primary, current.task_id)) {
      log.info({ buildId: current.id }, `Deleting ${label} because it failed by Koji's fault`);
      await deleteBuild(trx, current.id);
      return "deleted-koji-fault";
    }
    const [sync] = await syncTasks(trx, koji, collection, [{ ...current, state: finalState! }], {
      real: false,
      now,
    });
    if (!sync?.repo_id) {
      log.info({ buildId: current.id }, `Deleting ${label} because it has no repo_id`);
      await deleteBuild(trx, current.id);
      return "deleted-no-repo";
    }
    await storeSync(trx, current.id, sync);
    // The build's start is now Koji's (a build first seen finished still had the time the
    // scheduler recorded, after Koji's): its previous build is one started before that.
    await finishBuild(session, trx, collected, { ...current, started: sync.started }, finalState!);
    return "finished";
  });
}

/** A build that ran longer than the task timeout, or whose cancellation was requested. */
async function mustCancel(session: BackendSession, buildId: number, now: Date): Promise<boolean> {
  const threshold = new Date(now.getTime() - session.config.koji_config.task_timeout * 1000);
  const row = await session.database.db
    .selectFrom("build")
    .select(["started", "cancel_requested"])
    .where("id", "=", buildId)
    .executeTakeFirst();
  return row !== undefined && (row.cancel_requested || row.started < threshold);
}

/** Cancels on the primary hub; Koji refusing (e.g. the task already ended) is not an error. */
async function cancelKojiTask(session: BackendSession, taskId: number): Promise<void> {
  try {
    await session.koji.primary.cancelTask(taskId);
  } catch (error) {
    if (!(error instanceof KojiFault && error.is("GenericError"))) throw error;
    session.log.warn({ taskId, err: error }, `Koji did not cancel task ${taskId}`);
  }
}

type LockedBuild = SyncedBuild & {
  id: number;
  package_id: number;
  package_name: string;
  collection_id: number;
  started: Date;
};

/** The build, locked for this transaction (always before its package), or undefined if gone. */
async function lockBuild(
  trx: Transaction<Schema>,
  buildId: number,
): Promise<LockedBuild | undefined> {
  const row = await trx
    .selectFrom("build")
    .innerJoin("package", "package.id", "build.package_id")
    .select([
      "build.id",
      "build.task_id",
      "build.state",
      "build.repo_id",
      "build.started",
      "package.id as package_id",
      "package.name as package_name",
      "package.collection_id",
    ])
    .where("build.id", "=", buildId)
    .forUpdate("build")
    .executeTakeFirst();
  return row;
}

async function storeSync(
  trx: Transaction<Schema>,
  buildId: number,
  sync: Awaited<ReturnType<typeof syncTasks>>[number],
): Promise<void> {
  await trx
    .updateTable("build")
    .set({ started: sync.started, finished: sync.finished, repo_id: sync.repo_id })
    .where("id", "=", buildId)
    .execute();
  await insertKojiTasks(trx, [{ buildId, tasks: sync.tasks }]);
}

async function deleteBuild(trx: Transaction<Schema>, buildId: number): Promise<void> {
  await trx.deleteFrom("build").where("id", "=", buildId).execute();
}

/**
 * Stores the final state, resets the package's priorities (they were for this build), gives
 * the failed-build bump to a package that starts failing, and announces a changed package state.
 */
async function finishBuild(
  session: BackendSession,
  trx: Transaction<Schema>,
  events: EventCollector,
  build: LockedBuild,
  finalState: BuildStateCode,
): Promise<void> {
  const packageColumns = [
    "id",
    "name",
    "collection_id",
    "blocked",
    "tracked",
    "resolved",
    "last_complete_build_state",
  ] as const;
  const before = await trx
    .selectFrom("package")
    .select(packageColumns)
    .where("id", "=", build.package_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  await clearPriorityData(trx, [build.package_id]);
  // The triggers recompute the package's last (complete) build from this update.
  await trx.updateTable("build").set({ state: finalState }).where("id", "=", build.id).execute();
  const previous = await trx
    .selectFrom("build")
    .select("state")
    .where("package_id", "=", build.package_id)
    .where("started", "<", build.started)
    .orderBy("started", "desc")
    .limit(1)
    .executeTakeFirst();
  const buildPriority = buildPriorityAfterFinish(
    finalState,
    previous?.state ?? null,
    session.config.priorities,
  );
  const after = await trx
    .updateTable("package")
    .set({ build_priority: buildPriority })
    .where("id", "=", build.package_id)
    .returning(packageColumns)
    .executeTakeFirstOrThrow();
  const prevState = packageMessageState(before);
  const newState = packageMessageState(after);
  if (prevState !== newState) {
    events.add("package_state_change", {
      package: { id: after.id, name: after.name, collection_id: after.collection_id },
      prevState,
      newState,
    });
  }
}

/**
 * Spec 02 §1.4: the packages' manual, dependency and build priorities and their unapplied
 * dependency changes belonged to the builds that just ended; they start again from zero.
 */
export async function clearPriorityData(
  trx: Transaction<Schema>,
  packageIds: readonly number[],
): Promise<void> {
  if (packageIds.length === 0) return;
  await trx
    .updateTable("package")
    .set({ manual_priority: 0, dependency_priority: 0, build_priority: 0 })
    .where("id", "in", packageIds)
    .execute();
  await trx.deleteFrom("unapplied_change").where("package_id", "in", packageIds).execute();
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
