// Registering maintainers' ("real") builds that Koji tagged into a collection's destination tag
// (spec 03 §3.4). Used by polling (latest tagged builds) and by the watcher (tag messages). A
// real build is only useful with the repo it was built in, so builds without one are skipped.
import type { KojiBuildFields } from "@koschei/koji-protocol/koji-types.js";
import { buildStateForKojiBuildState, type BuildStateCode } from "../model/states.js";
import { clearPriorityData } from "./build-state.js";
import { insertKojiTasks, syncTasks } from "./koji-sync.js";
import type { BackendSession } from "./session.js";

/** The collection columns registration reads (a `collection` row satisfies it). */
export interface RealBuildCollection {
  readonly id: number;
  readonly display_name: string;
  readonly secondary_mode: boolean;
}

/** A Koji build (listTagged, getBuild) to register for one of the collection's packages. */
export interface RealBuildCandidate {
  packageId: number;
  info: Pick<KojiBuildFields, "name" | "epoch" | "version" | "release" | "state"> & {
    task_id: number;
  };
}

/**
 * Stores the builds as real builds with their repo ids and buildArch tasks, chunk by chunk
 * (`real_builds_insert_chunk` builds per transaction), and resets the priorities of their
 * packages: a new real build is what the package's dependency changes are compared with from
 * now on. A build already registered (by a concurrent poll or the watcher) is not stored twice.
 * Returns how many builds were stored.
 */
export async function registerRealBuilds(
  session: BackendSession,
  collection: RealBuildCollection,
  candidates: readonly RealBuildCandidate[],
): Promise<number> {
  const { database, koji, log } = session;
  const chunkSize = session.config.real_builds_insert_chunk;
  let stored = 0;
  for (let start = 0; start < candidates.length; start += chunkSize) {
    const chunk = candidates.slice(start, start + chunkSize).map((candidate) => ({
      ...candidate,
      task_id: candidate.info.task_id,
      state: finishedState(candidate.info),
      repo_id: null,
    }));
    // Koji first, outside the transaction: the row locks below are held only for the writes.
    const synced = await syncTasks(database.db, koji, collection, chunk, {
      real: true,
      now: session.now(),
    });
    const usable = synced.filter((sync) => sync.repo_id !== null);
    if (usable.length === 0) continue;
    stored += await database.db.transaction().execute(async (trx) => {
      const packageIds = [...new Set(usable.map((sync) => sync.build.packageId))].sort(
        (a, b) => a - b,
      );
      await trx
        .selectFrom("package")
        .select("id")
        .where("id", "in", packageIds)
        .orderBy("id")
        .forUpdate()
        .execute();
      const registered = await trx
        .selectFrom("build")
        .select(["package_id", "task_id"])
        .where("real", "=", true)
        .where("package_id", "in", packageIds)
        .where(
          "task_id",
          "in",
          usable.map((sync) => sync.build.task_id),
        )
        .execute();
      const known = new Set(registered.map(buildKey));
      const fresh = usable.filter(
        (sync) => !known.has(buildKey({ package_id: sync.build.packageId, ...sync.build })),
      );
      for (const { build } of fresh) {
        const { name, version, release } = build.info;
        log.info(
          { taskId: build.task_id },
          `Registering real build ${name}-${version}-${release} for collection ` +
            `${collection.display_name} (task_id ${build.task_id})`,
        );
      }
      if (fresh.length > 0) {
        const inserted = await trx
          .insertInto("build")
          .values(
            fresh.map((sync) => ({
              package_id: sync.build.packageId,
              real: true,
              state: sync.build.state,
              task_id: sync.build.task_id,
              epoch: sync.build.info.epoch,
              version: sync.build.info.version,
              release: sync.build.info.release,
              started: sync.started,
              finished: sync.finished,
              repo_id: sync.repo_id,
            })),
          )
          .returning(["id", "package_id", "task_id"])
          .execute();
        const buildIds = new Map(inserted.map((row) => [buildKey(row), row.id]));
        await insertKojiTasks(
          trx,
          fresh.map((sync) => ({
            buildId: buildIds.get(buildKey({ package_id: sync.build.packageId, ...sync.build }))!,
            tasks: sync.tasks,
          })),
        );
      }
      await clearPriorityData(trx, packageIds);
      return fresh.length;
    });
  }
  return stored;
}

/** A real build is identified by its package and Koji task. */
function buildKey(build: { package_id: number | null; task_id: number }): string {
  return `${build.package_id}:${build.task_id}`;
}

/** A tagged build is complete or failed; anything else cannot be registered. */
function finishedState(info: RealBuildCandidate["info"]): BuildStateCode {
  const state = buildStateForKojiBuildState(info.state);
  if (state === null) {
    throw new Error(
      `Koji build ${info.name}-${info.version}-${info.release} is in state ${info.state}, ` +
        "neither COMPLETE nor FAILED",
    );
  }
  return state;
}
