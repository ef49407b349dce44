// The repo resolver service (spec 03 §4): when Koji publishes a new build repo for a
// collection's build tag, it checks that the build group installs (the base buildroot), then
// resolves every tracked package's BuildRequires against the repo and records for each whether
// they resolve, why not, and which dependencies changed since its last resolved build (the
// unapplied changes, which earn it dependency priority).
//
// Koji is asked for the build group and every BuildRequires before any result is written, so a
// failing hub leaves the results as they were. The repo counts as processed (collection.latest_repo_id) only once every
// package's result is stored: a pass cut short resolves the same repo again next time, and
// results already stored then produce no new history.
import { KojiTaskState } from "@koschei/koji-protocol/koji-states.js";
import { REPO_STATES } from "@koschei/koji-protocol/koji-types.js";
import { sql, type Kysely } from "kysely";
import { collectionLock, withSessionLock, type Schema } from "../db/index.js";
import type { InstalledPackage, ResolutionResult, SourcePackage } from "../depsolve/pool.js";
import type { ResolutionSession } from "../depsolve/resolution.js";
import type { ResolveRequest } from "../depsolve/resolver-pool.js";
import type { Logger } from "../log/logger.js";
import { dependencyChanges, nevraKey, type DependencyChange } from "../model/dependency-changes.js";
import { decodeDependencyKeys } from "./dependency-keys.js";
import { dependencyPriority } from "../model/priority.js";
import { needsResolutionChange } from "../model/resolution-history.js";
import { BuildState, collectionState, packageMessageState } from "../model/states.js";
import { refreshRepoMappings } from "./koji-sync.js";
import type { DependencyRow } from "./dependency-cache.js";
import type { ServiceContext, ServiceDefinition } from "./registry.js";
import {
  resolverResources,
  type ResolverCollection,
  type ResolverResources,
} from "./resolver-resources.js";
import type { BackendSession } from "./session.js";

export type ResolverContext = Pick<ServiceContext, "session" | "log" | "stopping"> & {
  /** When given, wall-clock seconds of the pass's stages are added to it (benchmarks). */
  stageTimes?: StageTimes;
};

/**
 * Seconds spent per stage of the resolvers' passes, on the main thread: `koji` (calls),
 * `download` (repo download or cache, loading into the resolver threads), `solving` (waiting
 * for the threads' results), `diffing` (comparison with the last build's dependencies),
 * `persistence` (transactions writing results), `reading` (the database reads of the work).
 */
export type StageTimes = Partial<Record<Stage, number>>;
export type Stage = "koji" | "download" | "solving" | "diffing" | "persistence" | "reading";

/** Runs `work`, adding its duration to `stage` of `times` when there are times to keep. */
export async function timeStage<T>(
  times: StageTimes | undefined,
  stage: Stage,
  work: () => Promise<T>,
): Promise<T> {
  if (!times) return work();
  const start = performance.now();
  try {
    return await work();
  } finally {
    times[stage] = (times[stage] ?? 0) + (performance.now() - start) / 1000;
  }
}

/** An async iterable whose waits for the next item count as `stage` of `times`. */
export async function* timeIteration<T>(
  times: StageTimes | undefined,
  stage: Stage,
  items: AsyncIterable<T>,
): AsyncGenerator<T> {
  const iterator = items[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await timeStage(times, stage, () => iterator.next());
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await iterator.return?.();
  }
}

export const repoResolverService: ServiceDefinition = {
  name: "repo-resolver",
  summary: "resolves the buildroot and every package's BuildRequires in each new Koji repo",
  configKey: "repo-resolver",
  runPass: runRepoResolverPass,
};

/** The name of the synthetic source package the base buildroot is resolved for. */
const BUILDROOT_SOURCE: SourcePackage = { name: "buildroot", epoch: 0, version: "0", release: "0" };

interface CollectionRow extends ResolverCollection {
  latest_repo_id: number | null;
  latest_repo_resolved: boolean | null;
}

/**
 * One pass: every collection not being resolved by another process (spec 03 §9: a session
 * advisory lock per collection) gets its new repo resolved, or its newly added packages.
 */
export async function runRepoResolverPass(context: ResolverContext): Promise<void> {
  const session = await context.session();
  const collections = await session.database.db
    .selectFrom("collection")
    .select("id")
    .orderBy("id")
    .execute();
  for (const { id } of collections) {
    if (context.stopping.aborted) return;
    const outcome = await withSessionLock(session.database, collectionLock(id), (connection) =>
      processCollection(session, connection.db, id, context),
    );
    if (!outcome.acquired) {
      context.log.debug({ collectionId: id }, "another process is resolving this collection");
    }
  }
}

/** Spec 03 §4.2, with the collection read afresh under its lock. */
async function processCollection(
  session: BackendSession,
  db: Kysely<Schema>,
  collectionId: number,
  context: ResolverContext,
): Promise<void> {
  const collection = await db
    .selectFrom("collection")
    .select([
      "id",
      "name",
      "build_tag",
      "build_group",
      "secondary_mode",
      "latest_repo_id",
      "latest_repo_resolved",
    ])
    .where("id", "=", collectionId)
    .executeTakeFirst();
  if (!collection) return;
  const resources = resolverResources(session);
  const repoId = await timeStage(context.stageTimes, "koji", () =>
    newRepoId(session, db, collection),
  );
  if (repoId !== null) {
    resources.dependencies.clearStats();
    await resolveNewRepo(session, db, resources, collection, repoId, context);
    const { hits, misses, inserts } = resources.dependencies.stats;
    context.log.info(
      { hits, misses, inserts, totalItems: resources.dependencies.size },
      `Dependency cache: hits=${hits}, misses=${misses}, inserts=${inserts}, ` +
        `total_items=${resources.dependencies.size}, capacity=${resources.dependencies.capacity}`,
    );
  } else if (collection.latest_repo_resolved && collection.latest_repo_id !== null) {
    await resolveNewPackages(
      session,
      db,
      resources,
      collection,
      collection.latest_repo_id,
      context,
    );
  }
}

/**
 * Spec 03 §4.3: the id of the tag's latest READY repo when it is newer than the collection's;
 * in secondary mode only once the primary hub has made its mirror of that repo.
 */
async function newRepoId(
  session: BackendSession,
  db: Kysely<Schema>,
  collection: CollectionRow,
): Promise<number | null> {
  const latest = await session.koji
    .forCollection(collection)
    .getRepo(collection.build_tag, { state: REPO_STATES.READY });
  if (!latest) return null;
  if (collection.latest_repo_id && latest.id <= collection.latest_repo_id) return null;
  if (!collection.secondary_mode) return latest.id;
  await refreshRepoMappings(db, session.koji.primary);
  const mapping = await db
    .selectFrom("repo_mapping")
    .select(["primary_id", "task_id"])
    .where("secondary_id", "=", latest.id)
    .executeTakeFirst();
  if (!mapping?.primary_id) return null;
  const task = await session.koji.primary.getTaskInfo(mapping.task_id);
  return task?.state === KojiTaskState.CLOSED ? latest.id : null;
}

async function requiredBuildGroup(
  resources: ResolverResources,
  collection: CollectionRow,
  repoId: number,
): Promise<string[]> {
  const group = await resources.buildGroup(collection, repoId);
  if (group === null) {
    throw new Error(`No build group found for ${collection.name} at repo_id ${repoId}`);
  }
  return group;
}

/** Spec 03 §4.5–4.6 for a new repo: the base buildroot, then (if it installs) every package. */
async function resolveNewRepo(
  session: BackendSession,
  db: Kysely<Schema>,
  resources: ResolverResources,
  collection: CollectionRow,
  repoId: number,
  context: ResolverContext,
): Promise<void> {
  context.log.info(`Generating new repo (repo_id=${repoId}, collection=${collection.name})`);
  const times = context.stageTimes;
  const buildGroup = await timeStage(times, "koji", () =>
    requiredBuildGroup(resources, collection, repoId),
  );
  const packages = await timeStage(times, "reading", () =>
    eligiblePackages(db, collection.id, { onlyUnresolved: false }),
  );
  // Spec 03 §4.4: Koji's latest repo cannot be dead but by a race; that ends the pass.
  const alive = await timeStage(times, "koji", () => resources.repoAlive(collection, repoId));
  if (!alive) throw new Error(`Repo ${repoId} is dead`);
  const resolution = await timeStage(times, "download", () =>
    resources.openRepo(collection, repoId, buildGroup, { log: context.log }),
  );
  try {
    const [buildroot] = await timeStage(times, "solving", () =>
      collect(
        resolution.pool.resolveAll([{ source: BUILDROOT_SOURCE, buildRequires: [], buildGroup }]),
      ),
    );
    if (buildroot!.resolved) {
      const work = await timeStage(times, "koji", () =>
        prepareResolution(resources, collection, packages, context.log),
      );
      const completed = await resolvePackages(session, db, resources, resolution, work, context);
      if (!completed) return;
    }
    await timeStage(times, "persistence", () =>
      recordBuildroot(session, db, collection, repoId, buildroot!.problems, context.log),
    );
  } finally {
    await resolution.release();
  }
}

/**
 * Spec 03 §4.2 step 3: packages never resolved (newly tracked, or with a first complete build)
 * against the collection's current repo. Should Koji have deleted that repo, they wait for the
 * next one instead of ending every pass (the original crashed).
 */
async function resolveNewPackages(
  session: BackendSession,
  db: Kysely<Schema>,
  resources: ResolverResources,
  collection: CollectionRow,
  repoId: number,
  context: ResolverContext,
): Promise<void> {
  const packages = await eligiblePackages(db, collection.id, { onlyUnresolved: true });
  if (packages.length === 0) return;
  if (!(await resources.repoAlive(collection, repoId))) {
    context.log.warn(
      `Repo ${repoId} of ${collection.name} is dead; ${packages.length} new packages wait for the next one`,
    );
    return;
  }
  context.log.info(
    `Resolving ${packages.length} new packages of ${collection.name} in repo ${repoId}`,
  );
  const times = context.stageTimes;
  const buildGroup = await timeStage(times, "koji", () =>
    requiredBuildGroup(resources, collection, repoId),
  );
  const work = await timeStage(times, "koji", () =>
    prepareResolution(resources, collection, packages, context.log),
  );
  const resolution = await timeStage(times, "download", () =>
    resources.openRepo(collection, repoId, buildGroup, { log: context.log }),
  );
  try {
    await resolvePackages(session, db, resources, resolution, work, context);
  } finally {
    await resolution.release();
  }
}

/**
 * Makes the repo the collection's latest with the buildroot's outcome and problems (spec 03
 * §4.5), then announces the collection's state, changed or not.
 */
async function recordBuildroot(
  session: BackendSession,
  db: Kysely<Schema>,
  collection: CollectionRow,
  repoId: number,
  problems: readonly string[],
  log: Logger,
): Promise<void> {
  const resolved = problems.length === 0;
  await session.events.transaction(db, async (trx, events) => {
    const previous = await trx
      .selectFrom("collection")
      .select("latest_repo_resolved")
      .where("id", "=", collection.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    await trx.deleteFrom("buildroot_problem").where("collection_id", "=", collection.id).execute();
    await trx
      .updateTable("collection")
      .set({ latest_repo_id: repoId, latest_repo_resolved: resolved })
      .where("id", "=", collection.id)
      .execute();
    if (!resolved) {
      log.info({ problems }, `Build group not resolvable for ${collection.name}`);
      await trx
        .insertInto("buildroot_problem")
        .values(problems.map((problem) => ({ collection_id: collection.id, problem })))
        .execute();
    }
    events.add("collection_state_change", {
      collection: { id: collection.id, name: collection.name },
      repoId,
      prevState: collectionState(previous.latest_repo_resolved),
      newState: collectionState(resolved),
    });
  });
}

/** A package to resolve, with what its last build offers for comparison. */
interface EligiblePackage {
  id: number;
  name: string;
  last_build_id: number | null;
  /** The SRPM: the last complete build's version and release. */
  version: string;
  release: string;
  last_build_state: number | null;
  last_build_started: Date | null;
  last_build_deps_resolved: boolean | null;
  last_build_keys: Uint8Array | null;
}

/**
 * Spec 03 §4.6: tracked, unblocked packages of the collection that do not skip resolution and
 * have a complete build (whose SRPM gives the BuildRequires); optionally only those never
 * resolved. In id order, the order the results are persisted and rows locked in.
 */
function eligiblePackages(
  db: Kysely<Schema>,
  collectionId: number,
  options: { onlyUnresolved: boolean },
): Promise<EligiblePackage[]> {
  return db
    .selectFrom("package")
    .innerJoin("build as complete", "complete.id", "package.last_complete_build_id")
    .leftJoin("build as last", "last.id", "package.last_build_id")
    .select([
      "package.id",
      "package.name",
      "package.last_build_id",
      sql<string>`complete.version`.as("version"),
      sql<string>`complete.release`.as("release"),
      "last.state as last_build_state",
      "last.started as last_build_started",
      "last.deps_resolved as last_build_deps_resolved",
      "last.dependency_keys as last_build_keys",
    ])
    .where("package.collection_id", "=", collectionId)
    .where("package.tracked", "=", true)
    .where("package.blocked", "=", false)
    .where("package.skip_resolution", "=", false)
    .$if(options.onlyUnresolved, (query) => query.where("package.resolved", "is", null))
    .orderBy("package.id")
    .execute();
}

/** A package with the BuildRequires of its SRPM. */
interface ResolvablePackage {
  pkg: EligiblePackage;
  buildRequires: string[];
}

async function prepareResolution(
  resources: ResolverResources,
  collection: CollectionRow,
  packages: EligiblePackage[],
  log: Logger,
): Promise<ResolvablePackage[]> {
  const requires = await resources.buildRequires(collection, packages);
  return packages.flatMap((pkg, index) => {
    const buildRequires = requires[index];
    if (buildRequires) return [{ pkg, buildRequires }];
    log.warn(
      { packageId: pkg.id },
      `Koji has no BuildRequires for ${pkg.name}-${pkg.version}-${pkg.release}; not resolved`,
    );
    return [];
  });
}

/** One package's resolution, waiting to be persisted. */
interface ResolutionRecord {
  packageId: number;
  /** The package's last build when it was read: a different one now makes the record stale. */
  lastBuildId: number | null;
  resolved: boolean;
  problems: Set<string>;
  /** Against the comparison build's dependency rows. */
  changes: DependencyChange<DependencyRow, InstalledPackage>[];
}

/** A package's result from the resolver threads, not compared with its last build yet. */
interface SolvedPackage {
  pkg: EligiblePackage;
  /** Its installed set is decoded (JSON) only when compared, as part of diffing. */
  result: ResolutionResult;
}

/**
 * Resolves the packages in the resolver threads and persists the results in chunks (spec 03
 * §4.6): each chunk is compared with the packages' last builds and written as a whole, a few
 * set-based statements per chunk, while the threads go on solving. Returns false when the
 * service was asked to stop before every package was persisted.
 */
async function resolvePackages(
  session: BackendSession,
  db: Kysely<Schema>,
  resources: ResolverResources,
  resolution: ResolutionSession,
  work: ResolvablePackage[],
  context: ResolverContext,
): Promise<boolean> {
  const { dependency } = session.config;
  const progress = new Progress(work.length, dependency.perf_report_interval, context.log);
  const requests = work.map(({ pkg, buildRequires }): ResolveRequest => ({
    source: { name: pkg.name, epoch: 0, version: pkg.version, release: pkg.release },
    buildRequires,
    buildGroup: resolution.buildGroup,
  }));
  const times = context.stageTimes;
  const passRows: PassRows = new Map();
  const flush = async (solved: SolvedPackage[]) => {
    const records = await timeStage(times, "diffing", () =>
      resolutionRecords(db, resources, passRows, solved),
    );
    await timeStage(times, "persistence", () => persistChunk(session, db, resources, records));
  };
  let chunk: SolvedPackage[] = [];
  let index = 0;
  const results = timeIteration(times, "solving", resolution.pool.resolveAll(requests));
  for await (const result of results) {
    chunk.push({ pkg: work[index++]!.pkg, result });
    progress.done(1);
    if (chunk.length > dependency.persist_chunk_size) {
      await flush(chunk);
      chunk = [];
      if (context.stopping.aborted) return false;
    }
  }
  await flush(chunk);
  progress.finish();
  return true;
}

/**
 * The `dependency` rows of the comparison builds read during one pass, by id. They stay until
 * the pass ends whatever `dependency.dependency_cache_capacity` says (the capacity bounds what
 * the process keeps between passes): the packages of a collection share most of their
 * dependencies, and a cache smaller than one repo's set of them (3,000 rows by default,
 * against 27,913 in the Debian-derived benchmark) would read most of them again for every
 * chunk. At most one repo's worth of rows: a few megabytes for a whole distribution.
 */
type PassRows = Map<number, DependencyRow>;

/**
 * The chunk's records: each resolved package's dependencies compared with those of its
 * comparison build, whose `dependency` rows not read yet in this pass are read for the whole
 * chunk at once.
 */
async function resolutionRecords(
  db: Kysely<Schema>,
  resources: ResolverResources,
  passRows: PassRows,
  solved: SolvedPackage[],
): Promise<ResolutionRecord[]> {
  const previousIds = await Promise.all(
    solved.map(async ({ pkg, result }) => {
      if (!result.resolved) return [];
      const keys = await comparisonKeys(db, pkg);
      return keys === null ? [] : decodeDependencyKeys(keys);
    }),
  );
  const unknown = new Set<number>();
  for (const ids of previousIds) for (const id of ids) if (!passRows.has(id)) unknown.add(id);
  if (unknown.size > 0) {
    for (const row of await resources.dependencies.rowsByIds(db, [...unknown])) {
      passRows.set(row.id, row);
    }
  }
  return solved.map(({ pkg, result }, position): ResolutionRecord => {
    const ids = previousIds[position]!;
    const { installs, problems } = result;
    return {
      packageId: pkg.id,
      lastBuildId: pkg.last_build_id,
      resolved: installs !== null,
      problems: new Set(problems),
      changes:
        installs === null || ids.length === 0
          ? []
          : dependencyChanges(
              ids.map((id) => passRows.get(id)!),
              installs,
            ),
    };
  });
}

/**
 * Spec 03 §6.2: the dependency keys of the build to compare a new resolution with — the last
 * build if it is finished and resolved; if its dependencies were unresolvable, the package's
 * newest resolved build before it; none while it runs or is not processed yet.
 */
async function comparisonKeys(
  db: Kysely<Schema>,
  pkg: EligiblePackage,
): Promise<Uint8Array | null> {
  if (pkg.last_build_state === null || pkg.last_build_state === BuildState.running) return null;
  if (pkg.last_build_deps_resolved === true) return pkg.last_build_keys;
  if (pkg.last_build_deps_resolved === null) return null;
  const previous = await db
    .selectFrom("build")
    .select("dependency_keys")
    .where("package_id", "=", pkg.id)
    .where("started", "<", pkg.last_build_started!)
    .where("deps_resolved", "=", true)
    .orderBy("started", "desc")
    .limit(1)
    .executeTakeFirst();
  return previous?.dependency_keys ?? null;
}

/**
 * Spec 03 §4.7: stores a chunk of results in one transaction, the packages locked in id order,
 * with one statement per table rather than one per package. A record whose package got
 * another last build meanwhile (a build was submitted or registered) is stale and dropped
 * whole — unlike the original, which still deleted its unapplied changes. A package row is
 * updated only when its resolved flag or dependency priority changes; history entries are
 * written only when the outcome changed; package state changes are announced after the
 * commit.
 */
async function persistChunk(
  session: BackendSession,
  db: Kysely<Schema>,
  resources: ResolverResources,
  records: ResolutionRecord[],
): Promise<void> {
  if (records.length === 0) return;
  const currentRows = await currentDependencyRows(db, resources, records);
  const { priorities } = session.config;
  const now = session.now();
  await session.events.transaction(db, async (trx, events) => {
    const ids = records.map((record) => record.packageId);
    const packages = new Map(
      (
        await trx
          .selectFrom("package")
          .select([
            "id",
            "name",
            "collection_id",
            "last_build_id",
            "skip_resolution",
            "blocked",
            "tracked",
            "resolved",
            "dependency_priority",
            "last_complete_build_state",
          ])
          .where("id", "=", sql<number>`ANY(${ids}::int[])`)
          .orderBy("id")
          .forUpdate()
          .execute()
      ).map((row) => [row.id, row]),
    );
    const fresh = records.filter((record) => {
      const row = packages.get(record.packageId);
      return row && row.last_build_id === record.lastBuildId && !row.skip_resolution;
    });
    if (fresh.length === 0) return;
    const recordedProblems = await latestRecordedProblems(
      trx,
      fresh.map((record) => record.packageId),
    );
    const updates: { id: number; resolved: boolean; priority: number }[] = [];
    const history: { packageId: number; resolved: boolean; problems: Set<string> }[] = [];
    const changeRows: {
      package_id: number;
      prev: number | null;
      curr: number | null;
      distance: number | null;
    }[] = [];
    for (const record of fresh) {
      const row = packages.get(record.packageId)!;
      const priority = dependencyPriority(
        record.changes.map((change) => change.distance),
        priorities,
      );
      if (row.resolved !== record.resolved || row.dependency_priority !== priority) {
        updates.push({ id: row.id, resolved: record.resolved, priority });
      }
      const prevState = packageMessageState(row);
      const newState = packageMessageState({ ...row, resolved: record.resolved });
      if (prevState !== newState) {
        events.add("package_state_change", {
          package: { id: row.id, name: row.name, collection_id: row.collection_id },
          prevState,
          newState,
        });
      }
      const outcome = { prevResolved: row.resolved, ...record };
      if (needsResolutionChange(outcome, recordedProblems.get(row.id) ?? null)) {
        history.push({ packageId: row.id, resolved: record.resolved, problems: record.problems });
      }
      for (const change of record.changes) {
        changeRows.push({
          package_id: row.id,
          prev: change.prev?.id ?? null,
          curr: change.curr && currentRows.get(nevraKey(change.curr))!.id,
          distance: change.distance,
        });
      }
    }
    if (updates.length > 0) {
      await sql`
        UPDATE package AS p SET resolved = u.resolved, dependency_priority = u.priority
        FROM unnest(${updates.map((u) => u.id)}::int[], ${updates.map((u) => u.resolved)}::bool[],
                    ${updates.map((u) => u.priority)}::int[]) AS u(id, resolved, priority)
        WHERE p.id = u.id`.execute(trx);
    }
    await insertHistory(trx, history, now);
    await trx
      .deleteFrom("unapplied_change")
      .where("package_id", "=", sql<number>`ANY(${fresh.map((record) => record.packageId)}::int[])`)
      .execute();
    if (changeRows.length > 0) {
      await trx
        .insertInto("unapplied_change")
        .columns(["package_id", "prev_dep_id", "curr_dep_id", "distance"])
        .expression(
          sql`SELECT * FROM unnest(${changeRows.map((r) => r.package_id)}::int[],
                ${changeRows.map((r) => r.prev)}::int[], ${changeRows.map((r) => r.curr)}::int[],
                ${changeRows.map((r) => r.distance)}::int[])`,
        )
        .execute();
    }
  });
}

/** The `resolution_change` entries (at most one per package) and their problems. */
async function insertHistory(
  trx: Kysely<Schema>,
  history: { packageId: number; resolved: boolean; problems: Set<string> }[],
  now: Date,
): Promise<void> {
  if (history.length === 0) return;
  const entries = await trx
    .insertInto("resolution_change")
    .columns(["package_id", "resolved", "timestamp"])
    .expression(
      sql`SELECT u.package_id, u.resolved, ${now}::timestamptz
          FROM unnest(${history.map((entry) => entry.packageId)}::int[],
                      ${history.map((entry) => entry.resolved)}::bool[])
               AS u(package_id, resolved)`,
    )
    .returning(["id", "package_id"])
    .execute();
  const entryOf = new Map(entries.map((entry) => [entry.package_id, entry.id]));
  const problems = history.flatMap((entry) =>
    [...entry.problems].map((problem) => ({
      resolutionId: entryOf.get(entry.packageId)!,
      problem,
    })),
  );
  if (problems.length === 0) return;
  await trx
    .insertInto("resolution_problem")
    .columns(["resolution_id", "problem"])
    .expression(
      sql`SELECT * FROM unnest(${problems.map((p) => p.resolutionId)}::int[],
                               ${problems.map((p) => p.problem)}::text[])`,
    )
    .execute();
}

/** The `dependency` rows of the current side of the chunk's changes, by NEVRA. */
async function currentDependencyRows(
  db: Kysely<Schema>,
  resources: ResolverResources,
  records: ResolutionRecord[],
): Promise<Map<string, DependencyRow>> {
  const nevras = records.flatMap((record) =>
    record.changes.flatMap((change) => (change.curr ? [change.curr] : [])),
  );
  const rows = await resources.dependencies.rowsOf(db, nevras);
  return new Map(rows.map((row) => [nevraKey(row), row]));
}

/** The problems of each package's latest history entry. */
async function latestRecordedProblems(
  db: Kysely<Schema>,
  packageIds: number[],
): Promise<Map<number, Set<string>>> {
  const latest = await db
    .selectFrom("resolution_change")
    .select(["id", "package_id"])
    .distinctOn("package_id")
    .where("package_id", "in", packageIds)
    .orderBy("package_id")
    .orderBy("timestamp", "desc")
    .orderBy("id", "desc")
    .execute();
  const byResolution = new Map(latest.map((entry) => [entry.id, entry.package_id]));
  const problems = new Map(latest.map((entry) => [entry.package_id, new Set<string>()]));
  if (latest.length === 0) return problems;
  const rows = await db
    .selectFrom("resolution_problem")
    .select(["resolution_id", "problem"])
    .where("resolution_id", "in", [...byResolution.keys()])
    .execute();
  for (const row of rows) problems.get(byResolution.get(row.resolution_id)!)!.add(row.problem);
  return problems;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
}

/** Logs how far a pass is, at most every `intervalSeconds`: done, share, rate, time left. */
class Progress {
  private readonly started = Date.now();
  private lastReport = this.started;
  private count = 0;
  private reported = -1;

  constructor(
    private readonly total: number,
    private readonly intervalSeconds: number,
    private readonly log: Logger,
  ) {}

  done(count: number): void {
    this.count += count;
    if (Date.now() - this.lastReport >= this.intervalSeconds * 1000) this.report();
  }

  /** The final report, unless the last one already said it all. */
  finish(): void {
    if (this.reported !== this.count) this.report();
  }

  private report(): void {
    this.lastReport = Date.now();
    this.reported = this.count;
    const minutes = Math.max(this.lastReport - this.started, 1) / 60_000;
    const perMinute = this.count / minutes;
    const percent = this.total === 0 ? 100 : (100 * this.count) / this.total;
    const minutesLeft = perMinute > 0 ? (this.total - this.count) / perMinute : null;
    this.log.info(
      { done: this.count, total: this.total, perMinute, minutesLeft },
      `resolved ${this.count} packages (${percent.toFixed(1)}%) ` +
        `(${perMinute.toFixed(1)} pkgs/min` +
        (minutesLeft === null ? ")" : `, ${minutesLeft.toFixed(1)} min left)`),
    );
  }
}
