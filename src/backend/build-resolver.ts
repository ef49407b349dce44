// The build resolver service (spec 03 §5): every build that has a repo and has not been
// processed gets its BuildRequires resolved in the repo it was built in. A resolved build keeps
// its installed dependency set (build.dependency_keys, which the repo resolver compares new
// repos with) and records the changes applied since the package's previous resolved build;
// an unresolvable one raises its package's build priority like a newly added package's.
import { availableParallelism } from "node:os";
import type { Kysely } from "kysely";
import { repoLock, withSessionLock, type Schema } from "../db/index.js";
import type { InstalledPackage } from "../depsolve/pool.js";
import type { ResolutionSession } from "../depsolve/resolution.js";
import { MAX_RESOLVER_WORKERS } from "../depsolve/resolver-pool.js";
import type { Logger } from "../log/logger.js";
import { dependencyChanges, nevraKey } from "../model/dependency-changes.js";
import { decodeDependencyKeys, encodeDependencyKeys } from "./dependency-keys.js";
import { RepoNotFoundError } from "../repo/errors.js";
import type { ServiceDefinition } from "./registry.js";
import { timeIteration, timeStage, type ResolverContext } from "./repo-resolver.js";
import {
  resolverResources,
  type ResolverCollection,
  type ResolverResources,
} from "./resolver-resources.js";
import type { BackendSession } from "./session.js";

export const buildResolverService: ServiceDefinition = {
  name: "build-resolver",
  summary: "resolves each new build's BuildRequires in its repo and records the applied changes",
  configKey: "build-resolver",
  runPass: runBuildResolverPass,
};

/** A build waiting for its dependencies to be resolved. */
interface PendingBuild {
  id: number;
  repo_id: number;
  package_id: number;
  /** The SRPM: the package's name, the build's version and release. */
  name: string;
  version: string;
  release: string;
}

/**
 * One pass (spec 03 §5.1–5.2): per collection, the unprocessed builds with a repo, one repo at
 * a time under that repo's advisory lock (spec 03 §9); a repo locked by another process is
 * left to it.
 */
export async function runBuildResolverPass(context: ResolverContext): Promise<void> {
  const session = await context.session();
  const resources = resolverResources(session);
  const collections = await session.database.db
    .selectFrom("collection")
    .select(["id", "name", "build_tag", "build_group", "secondary_mode"])
    .orderBy("id")
    .execute();
  for (const collection of collections) {
    const builds = await timeStage(context.stageTimes, "reading", () =>
      pendingBuilds(session.database.db, collection.id),
    );
    if (builds.length === 0) {
      context.log.debug(`No builds to process for collection ${collection.name}`);
      continue;
    }
    context.log.info(`Processing ${builds.length} builds for collection ${collection.name}`);
    for (const [repoId, group] of groupByRepo(builds)) {
      if (context.stopping.aborted) return;
      const outcome = await withSessionLock(session.database, repoLock(repoId), (connection) =>
        processRepo(session, connection.db, resources, collection, repoId, group, context),
      );
      if (!outcome.acquired) {
        context.log.debug({ repoId }, "another process is resolving builds of this repo");
      }
    }
  }
}

/**
 * Builds of the collection's packages with a repo and no resolution yet — running, real,
 * untagged and untracked packages' builds included — by repo.
 */
function pendingBuilds(db: Kysely<Schema>, collectionId: number): Promise<PendingBuild[]> {
  return (
    db
      .selectFrom("build")
      .innerJoin("package", "package.id", "build.package_id")
      .select([
        "build.id",
        "build.package_id",
        "package.name",
        "build.repo_id",
        "build.version",
        "build.release",
      ])
      .where("package.collection_id", "=", collectionId)
      .where("build.deps_resolved", "is", null)
      .where("build.repo_id", "is not", null)
      .orderBy("build.repo_id")
      .orderBy("build.id")
      // Joined to its package; a build with a repo ran, so its version and release are known.
      .$narrowType<{ package_id: number; repo_id: number; version: string; release: string }>()
      .execute()
  );
}

function groupByRepo(builds: PendingBuild[]): Map<number, PendingBuild[]> {
  const groups = new Map<number, PendingBuild[]>();
  for (const build of builds) {
    const group = groups.get(build.repo_id) ?? [];
    group.push(build);
    groups.set(build.repo_id, group);
  }
  return groups;
}

/** Spec 03 §5.3. */
async function processRepo(
  session: BackendSession,
  db: Kysely<Schema>,
  resources: ResolverResources,
  collection: ResolverCollection,
  repoId: number,
  builds: PendingBuild[],
  context: Pick<ResolverContext, "log" | "stageTimes">,
): Promise<void> {
  const { log, stageTimes: times } = context;
  if (!(await timeStage(times, "koji", () => resources.repoAlive(collection, repoId)))) {
    log.info(`Repo ID ${repoId} is dead. Skipping.`);
    await markUnresolved(session, db, builds);
    return;
  }
  const buildGroup = await timeStage(times, "koji", () => resources.buildGroup(collection, repoId));
  if (!buildGroup || buildGroup.length === 0) {
    log.info(`No build group found for ${collection.name} at repo_id ${repoId}`);
    await markUnresolved(session, db, builds);
    return;
  }
  const requires = await timeStage(times, "koji", () =>
    resources.buildRequires(collection, builds),
  );
  const resolvable = builds.flatMap((build, index) => {
    const buildRequires = requires[index];
    if (!buildRequires) log.warn({ buildId: build.id }, "Koji has no BuildRequires for the build");
    return buildRequires ? [{ build, buildRequires }] : [];
  });
  if (resolvable.length === 0) return;
  const resolution = await timeStage(times, "download", () =>
    openRepoIfPresent(resources, collection, repoId, buildGroup, {
      workers: Math.min(resolvable.length, availableParallelism(), MAX_RESOLVER_WORKERS),
      log,
    }),
  );
  if (!resolution) return;
  try {
    const results = timeIteration(
      times,
      "solving",
      resolution.pool.resolveAll(
        resolvable.map(({ build, buildRequires }) => ({
          source: { name: build.name, epoch: 0, version: build.version, release: build.release },
          buildRequires,
          buildGroup,
        })),
      ),
    );
    let index = 0;
    for await (const result of results) {
      const { build } = resolvable[index++]!;
      // Diffing with the previous build happens inside the transaction storing the set.
      await timeStage(times, "persistence", () =>
        result.installs === null
          ? markUnresolved(session, db, [build])
          : storeDependencies(db, resources, build, result.installs),
      );
    }
  } finally {
    await resolution.release();
  }
}

/** The repo loaded for resolution, or null (logged) when its files are gone from Koji. */
async function openRepoIfPresent(
  resources: ResolverResources,
  collection: ResolverCollection,
  repoId: number,
  buildGroup: string[],
  options: { workers: number; log: Logger },
): Promise<ResolutionSession | null> {
  try {
    return await resources.openRepo(collection, repoId, buildGroup, options);
  } catch (error) {
    if (!(error instanceof RepoNotFoundError)) throw error;
    options.log.info(
      { err: error },
      `Cannot obtain repo ${repoId}; its builds are tried again later`,
    );
    return null;
  }
}

/**
 * Spec 03 §5.4 for a resolved build, in one transaction: its dependency set, the changes from
 * the package's previous resolved build, whose set is dropped (only the newest resolved build
 * keeps one). A build deleted or processed meanwhile is left alone.
 */
async function storeDependencies(
  db: Kysely<Schema>,
  resources: ResolverResources,
  build: PendingBuild,
  installs: InstalledPackage[],
): Promise<void> {
  const rows = await resources.dependencies.rowsOf(db, installs);
  const idOf = new Map(rows.map((row) => [nevraKey(row), row.id]));
  const keys = encodeDependencyKeys([...new Set(idOf.values())]);
  await db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom("build")
      .select(["started"])
      .where("id", "=", build.id)
      .where("deps_resolved", "is", null)
      .forUpdate()
      .executeTakeFirst();
    if (!current) return;
    const previous = await trx
      .selectFrom("build")
      .select(["id", "dependency_keys"])
      .where("package_id", "=", build.package_id)
      .where("started", "<", current.started)
      .where("deps_resolved", "=", true)
      .orderBy("started", "desc")
      .limit(1)
      .forUpdate()
      .executeTakeFirst();
    await trx
      .updateTable("build")
      .set({
        deps_resolved: true,
        dependency_keys: keys,
      })
      .where("id", "=", build.id)
      .execute();
    if (!previous) return;
    // The same encoded ids are the same set, so no change: skip reading and comparing it.
    if (previous.dependency_keys && !sameBytes(previous.dependency_keys, keys)) {
      const previousRows = await resources.dependencies.rowsByIds(
        trx,
        decodeDependencyKeys(previous.dependency_keys),
      );
      const changes = dependencyChanges(previousRows, installs).map((change) => ({
        build_id: build.id,
        prev_dep_id: change.prev?.id ?? null,
        curr_dep_id: change.curr && idOf.get(nevraKey(change.curr))!,
        distance: change.distance,
      }));
      if (changes.length > 0) await trx.insertInto("applied_change").values(changes).execute();
    }
    await trx
      .updateTable("build")
      .set({ dependency_keys: null })
      .where("id", "=", previous.id)
      .execute();
  });
}

/**
 * Spec 03 §5.5: the builds' dependencies cannot be resolved (or no longer can be: the repo or
 * its build group is gone). A package whose last build that is gets the newly-added priority.
 * Each build in its own transaction, locking the build, then its package.
 */
async function markUnresolved(
  session: BackendSession,
  db: Kysely<Schema>,
  builds: PendingBuild[],
): Promise<void> {
  for (const build of builds) {
    await db.transaction().execute(async (trx) => {
      const marked = await trx
        .updateTable("build")
        .set({ deps_resolved: false })
        .where("id", "=", build.id)
        .where("deps_resolved", "is", null)
        .returning("package_id")
        .executeTakeFirst();
      if (!marked) return;
      await trx
        .updateTable("package")
        .set({ build_priority: session.config.priorities.newly_added })
        .where("id", "=", build.package_id)
        .where("last_build_id", "=", build.id)
        .execute();
    });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}
