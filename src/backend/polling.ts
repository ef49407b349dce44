// The polling service (spec 03 §1): a slow safety net behind the message watcher. Each pass
// brings running scratch builds up to date with their Koji tasks, the collections' package
// lists with their destination tags, and real builds with the latest tagged builds, then
// refreshes the statistics tables. Every step commits its own work, so a pass cut short by an
// outage loses nothing that the next pass would not redo.
import { sql, type Transaction } from "kysely";
import { KojiFault } from "@koschei/koji-protocol/faults.js";
import { kojiTaskStateName } from "@koschei/koji-protocol/koji-states.js";
import { isNewerEvr, type Evr } from "@koschei/koji-protocol/evr.js";
import type { KojiTaggedBuild, KojiTagPackage } from "@koschei/koji-protocol/koji-types.js";
import type { Schema } from "../db/index.js";
import type { Logger } from "../log/logger.js";
import { BuildState } from "../model/states.js";
import { updateBuildState } from "./build-state.js";
import { registerRealBuilds, type RealBuildCandidate } from "./real-builds.js";
import type { ServiceContext, ServiceDefinition } from "./registry.js";
import type { BackendSession } from "./session.js";

/** What a polling pass needs from the service runner. */
export type PollingContext = Pick<ServiceContext, "session" | "log" | "stopping">;

export const pollingService: ServiceDefinition = {
  name: "polling",
  summary: "follows running builds, package lists and real builds in Koji; refreshes statistics",
  configKey: "polling",
  runPass: runPollingPass,
};

/** One polling pass. Returns early, between builds, when the service is asked to stop. */
export async function runPollingPass(context: PollingContext): Promise<void> {
  const session = await context.session();
  const { log, stopping } = context;
  log.info("Polling running Koji tasks...");
  await pollRunningBuilds(session, log, stopping);
  if (stopping.aborted) return;
  log.info("Polling Koji packages...");
  await refreshPackages(session);
  await session.events.dispatch("polling_event", {});
  log.info("Polling latest real builds...");
  await refreshLatestBuilds(session, log);
  log.info("Refreshing statistics...");
  await refreshStatistics(session);
  log.info("Polling finished");
}

/**
 * Asks the primary hub for the task of every running scratch build (one multicall, chunked by
 * the client) and applies each task's state. A task Koji does not know is logged and left
 * alone (its build stays running until the task timeout's cancellation cannot reach it either,
 * which an administrator has to look at).
 */
export async function pollRunningBuilds(
  session: BackendSession,
  log: Logger,
  stopping: AbortSignal,
): Promise<void> {
  const running = await session.database.db
    .selectFrom("build")
    .select(["id", "task_id"])
    .where("state", "=", BuildState.running)
    .orderBy("id")
    .execute();
  if (running.length === 0) return;
  const infos = await session.koji.primary.getTaskInfoMany(running.map((build) => build.task_id));
  for (const [index, build] of running.entries()) {
    if (stopping.aborted) return;
    const info = infos[index];
    if (info == null || info instanceof KojiFault) {
      log.warn(
        { buildId: build.id, taskId: build.task_id, err: info ?? undefined },
        `Koji has no task ${build.task_id} for running build ${build.id}`,
      );
      continue;
    }
    const state = kojiTaskStateName(info.state);
    log.debug({ buildId: build.id, taskId: build.task_id, state }, "polled task");
    await updateBuildState(session, build, state);
  }
}

/**
 * Spec 03 §3.6: per collection, packages Koji lists in the destination tag (inheritance
 * followed) exist in the collection, untracked when new, and `blocked` follows Koji; packages
 * Koji no longer lists count as blocked.
 */
export async function refreshPackages(session: BackendSession): Promise<void> {
  const { database, koji } = session;
  const collections = await database.db
    .selectFrom("collection")
    .select(["id", "dest_tag", "secondary_mode"])
    .orderBy("id")
    .execute();
  for (const collection of collections) {
    const listed = await koji
      .forCollection(collection)
      .listPackages({ tagID: collection.dest_tag, inherited: true });
    const { names, blocked } = packageList(listed);
    const whitelisted = names.filter((_name, index) => !blocked[index]);
    await database.db.transaction().execute(async (trx) => {
      await trx
        .updateTable("package")
        .set({ blocked: sql<boolean>`NOT blocked` })
        .where("collection_id", "=", collection.id)
        .where(sql<boolean>`blocked = (name = ANY(${whitelisted}::text[]))`)
        .execute();
      await trx
        .insertInto("base_package")
        .columns(["name"])
        .expression(sql`SELECT unnest(${names}::text[])`)
        .onConflict((conflict) => conflict.column("name").doNothing())
        .execute();
      await insertMissingPackages(trx, collection.id, names, blocked);
    });
  }
}

/** Koji's list as parallel arrays, each name once (the first, i.e. nearest, listing wins). */
function packageList(listed: readonly KojiTagPackage[]): { names: string[]; blocked: boolean[] } {
  const byName = new Map<string, boolean>();
  for (const entry of listed) {
    if (!byName.has(entry.package_name)) byName.set(entry.package_name, entry.blocked);
  }
  return { names: [...byName.keys()], blocked: [...byName.values()] };
}

async function insertMissingPackages(
  trx: Transaction<Schema>,
  collectionId: number,
  names: readonly string[],
  blocked: readonly boolean[],
): Promise<void> {
  await sql`
    INSERT INTO package (base_id, name, collection_id, tracked, blocked)
    SELECT base_package.id, base_package.name, ${collectionId}, false, koji.blocked
    FROM unnest(${names}::text[], ${blocked}::boolean[]) AS koji(name, blocked)
    JOIN base_package ON base_package.name = koji.name
    ON CONFLICT (base_id, collection_id) DO NOTHING
  `.execute(trx);
}

/** A package of a collection with the EVR of its last build (none: null). */
interface PackageWithLastBuild {
  id: number;
  name: string;
  tracked: boolean;
  lastBuild: Evr | null;
}

/**
 * Spec 03 §3.3: per collection, compares Koji's latest tagged build of every package with
 * the package's last build. A newer Koji build is registered as a real build; a Koji build
 * older than ours means our newer builds were untagged (or deleted) in Koji; a build of ours
 * marked untagged that Koji tags again is unmarked.
 */
export async function refreshLatestBuilds(session: BackendSession, log: Logger): Promise<void> {
  const collections = await session.database.db
    .selectFrom("collection")
    .select(["id", "name", "display_name", "dest_tag", "secondary_mode", "poll_untracked"])
    .orderBy("id")
    .execute();
  for (const collection of collections) {
    const latest = await session.koji
      .forCollection(collection)
      .listTagged(collection.dest_tag, { latest: true, inherit: true });
    const registeredTasks = new Set(
      (
        await session.database.db
          .selectFrom("build")
          .innerJoin("package", "package.id", "build.package_id")
          .select("build.task_id")
          .where("package.collection_id", "=", collection.id)
          .where("build.real", "=", true)
          .execute()
      ).map((row) => row.task_id),
    );
    const packages = await packagesWithLastBuild(session, collection.id);
    const newer: RealBuildCandidate[] = [];
    for (const info of latest) {
      const pkg = packages.get(info.package_name);
      if (!pkg || !(pkg.tracked || collection.poll_untracked)) continue;
      if (!isNewerEvr(pkg.lastBuild, info)) continue;
      const candidate = realBuildCandidate(pkg, info);
      if (candidate && !registeredTasks.has(candidate.info.task_id)) newer.push(candidate);
    }
    await registerRealBuilds(session, collection, newer);
    // Registration moved last builds on; compare with the packages as they are now.
    const current = await packagesWithLastBuild(session, collection.id);
    for (const info of latest) {
      const pkg = current.get(info.package_name);
      if (pkg && pkg.lastBuild && isNewerEvr(info, pkg.lastBuild)) {
        await markUntagged(session, collection, pkg, info, log);
      }
    }
    await session.database.db.transaction().execute(async (trx) => {
      for (const info of latest) {
        const pkg = current.get(info.package_name);
        if (pkg) await retag(trx, pkg.id, info);
      }
    });
  }
}

async function packagesWithLastBuild(
  session: BackendSession,
  collectionId: number,
): Promise<Map<string, PackageWithLastBuild>> {
  const rows = await session.database.db
    .selectFrom("package")
    .leftJoin("build", "build.id", "package.last_build_id")
    .select([
      "package.id",
      "package.name",
      "package.tracked",
      "build.id as build_id",
      "build.epoch",
      "build.version",
      "build.release",
    ])
    .where("package.collection_id", "=", collectionId)
    .execute();
  return new Map(
    rows.map((row) => [
      row.name,
      {
        id: row.id,
        name: row.name,
        tracked: row.tracked,
        lastBuild:
          row.build_id === null
            ? null
            : { epoch: row.epoch, version: row.version ?? "", release: row.release },
      },
    ]),
  );
}

/** Koji builds without a task cannot be followed to a repo: they are never registered. */
function realBuildCandidate(
  pkg: PackageWithLastBuild,
  info: KojiTaggedBuild,
): RealBuildCandidate | null {
  const { task_id } = info;
  return task_id === null ? null : { packageId: pkg.id, info: { ...info, task_id } };
}

/**
 * Our last build is newer than Koji's latest: every build started after our newest build
 * with Koji's EVR is marked untagged (all builds when we have none and cannot register it).
 */
async function markUntagged(
  session: BackendSession,
  collection: { id: number; display_name: string; secondary_mode: boolean },
  pkg: PackageWithLastBuild,
  info: KojiTaggedBuild,
  log: Logger,
): Promise<void> {
  let lastValid = await newestBuildWithEvr(session, pkg.id, info);
  if (!lastValid) {
    const candidate = realBuildCandidate(pkg, info);
    if (candidate) await registerRealBuilds(session, collection, [candidate]);
    lastValid = await newestBuildWithEvr(session, pkg.id, info);
  }
  let untag = session.database.db
    .updateTable("build")
    .set({ untagged: true })
    .where("package_id", "=", pkg.id)
    .where("untagged", "=", false);
  if (lastValid) untag = untag.where("started", ">", lastValid.started);
  await untag.execute();
  const evr = pkg.lastBuild!;
  log.info(
    { packageId: pkg.id },
    `${pkg.name}-${evr.version}-${evr.release} in ${collection.display_name} is no longer tagged`,
  );
}

/** Builds with exactly the EVR of a Koji build (a NULL epoch matches only NULL). */
function sameEvr(info: Evr) {
  return sql<boolean>`epoch IS NOT DISTINCT FROM ${info.epoch}::integer
    AND version = ${info.version} AND release = ${info.release}`;
}

async function newestBuildWithEvr(
  session: BackendSession,
  packageId: number,
  info: Evr,
): Promise<{ started: Date } | undefined> {
  return session.database.db
    .selectFrom("build")
    .select("started")
    .where("package_id", "=", packageId)
    .where(sameEvr(info))
    .orderBy("started", "desc")
    .limit(1)
    .executeTakeFirst();
}

/** Builds of ours that Koji tags (again) are not untagged. */
async function retag(trx: Transaction<Schema>, packageId: number, info: Evr): Promise<void> {
  await trx
    .updateTable("build")
    .set({ untagged: false })
    .where("package_id", "=", packageId)
    .where("untagged", "=", true)
    .where(sameEvr(info))
    .execute();
}

/** Spec 01 §6: the statistics tables are rebuilt from scratch. */
export async function refreshStatistics(session: BackendSession): Promise<void> {
  await sql`SELECT refresh_stats()`.execute(session.database.db);
}
