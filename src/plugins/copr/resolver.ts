// The copr-resolver service (spec 11 §2.3): for each new rebuild request, resolves every
// candidate package of the request's collection against the collection's Koji repo alone and
// together with the user's Copr repo, and records what the repo changes: packages whose
// BuildRequires become (un)resolvable, and a queue of packages to rebuild, most affected first.
//
// A request is worked on inside one transaction holding its row lock (FOR UPDATE SKIP LOCKED),
// so two resolvers never take the same request and a crash leaves it `new` with nothing
// written. A refusal that trying again cannot change (no such Copr project, no suitable
// chroot, a broken user repo) fails the request with the reason; an outage of Copr or of the
// user repo's server leaves it `new` for the next pass; an outage of Koji or the database ends
// the pass, which the runner repeats with back-off.
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { sql, type Kysely, type Transaction } from "kysely";
import type { KoscheiConfig } from "../../config/index.js";
import type { Schema } from "../../db/index.js";
import { DepsolveError } from "../../depsolve/errors.js";
import type { ResolutionSession } from "../../depsolve/resolution.js";
import {
  openResolverPool,
  type ResolverPool,
  type ResolveRequest,
} from "../../depsolve/resolver-pool.js";
import type { Logger } from "../../log/logger.js";
import { RepoNotFoundError, RepoUnavailableError } from "../../repo/errors.js";
import type { ServiceContext, ServiceDefinition } from "../../backend/registry.js";
import {
  resolverResources,
  type ResolverCollection,
  type ResolverResources,
} from "../../backend/resolver-resources.js";
import type { BackendSession } from "../../backend/session.js";
import { CoprClient, CoprError } from "./copr-client.js";
import { requestCacheDir, requestCompsPath } from "./copr-names.js";
import { requestComps } from "./request-comps.js";
import {
  compareResolutions,
  INPUT_CHROOTS,
  inputChrootRepo,
  parseRepoSource,
  rebuildQueue,
  type RebuildCandidate,
} from "./resolution-comparison.js";
import { downloadUserRepo, userRepoDownloadOptions, UserRepoError } from "./user-repo.js";

export const coprResolverService: ServiceDefinition = {
  name: "copr-resolver",
  summary: "resolves new user rebuild requests against their Copr repositories",
  configKey: "copr-resolver",
  runPass: runCoprResolverPass,
};

export type CoprResolverContext = Pick<ServiceContext, "session" | "log" | "stopping">;

/** DepsolveError codes of repodata that cannot be loaded. */
const BROKEN_REPO_CODES = new Set([
  "REPO_METADATA_MISSING",
  "REPO_CHECKSUM_MISMATCH",
  "REPO_METADATA_CORRUPT",
  "COMPS_CORRUPT",
]);

/** One pass: every `new` request no other resolver holds, in id order. */
export async function runCoprResolverPass(context: CoprResolverContext): Promise<void> {
  const session = await context.session();
  let copr: CoprClient | undefined;
  const coprClient = () => (copr ??= CoprClient.fromConfig(session.config));
  let lastId = 0;
  while (!context.stopping.aborted) {
    const handled = await session.database.db
      .transaction()
      .execute((trx) => handleNextRequest(session, trx, lastId, coprClient, context.log));
    if (handled === null) return;
    lastId = handled;
  }
}

/** The request row as the resolver reads it. */
interface RequestRow {
  id: number;
  collection_id: number;
  repo_source: string;
}

/** What became of a request in this pass. */
type RequestOutcome =
  /** Resolved: what to record (the state follows from it). */
  | {
      kind: "resolved";
      repoId: number;
      yumRepo: string;
      changes: ResolutionChangeRow[];
      rebuilds: RebuildRow[];
    }
  /** Refused for good: the request fails with `error`. */
  | { kind: "failed"; error: string; repoId: number | null; yumRepo: string | null }
  /** Not now (no repo yet, an outage): it stays `new`, untouched. */
  | { kind: "deferred"; reason: string };

interface ResolutionChangeRow {
  packageId: number;
  prevResolved: boolean;
  currResolved: boolean;
  problems: string[];
}

interface RebuildRow {
  packageId: number;
  prevState: number;
  order: number;
}

/**
 * Takes the next `new` request after `afterId` that no other resolver holds, works on it and
 * records the outcome, all in `trx`; returns its id, or null when there is none.
 */
async function handleNextRequest(
  session: BackendSession,
  trx: Transaction<Schema>,
  afterId: number,
  coprClient: () => CoprClient,
  passLog: Logger,
): Promise<number | null> {
  // The row lock lasts as long as downloading and resolving take, far beyond the time
  // database_config.idle_in_transaction_timeout allows between statements.
  await sql`SET LOCAL idle_in_transaction_session_timeout = 0`.execute(trx);
  const request = await trx
    .selectFrom("copr_rebuild_request")
    .select(["id", "collection_id", "repo_source"])
    .where("state", "=", "new")
    .where("id", ">", afterId)
    .orderBy("id")
    .limit(1)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
  if (!request) return null;
  const log = passLog.child({ requestId: request.id });
  log.info(`Processing rebuild request id ${request.id}`);
  const outcome = await resolveRequest(session, trx, request, coprClient, log);
  await recordOutcome(trx, request.id, outcome, log);
  return request.id;
}

/** A refusal trying again cannot change: the request fails with this message. */
class RequestRefused extends Error {}

/** Not now (no repo yet, an outage): the request stays `new`. */
class RequestDeferred extends Error {}

/** What is known of the request when it is refused: recorded with the error. */
interface KnownSoFar {
  repoId: number | null;
  yumRepo: string | null;
}

async function resolveRequest(
  session: BackendSession,
  trx: Kysely<Schema>,
  request: RequestRow,
  coprClient: () => CoprClient,
  log: Logger,
): Promise<RequestOutcome> {
  const known: KnownSoFar = { repoId: null, yumRepo: null };
  try {
    return await resolveSteps(session, trx, request, coprClient, known, log);
  } catch (error) {
    if (error instanceof RequestDeferred) return { kind: "deferred", reason: error.message };
    if (error instanceof RequestRefused) return { kind: "failed", error: error.message, ...known };
    throw error;
  }
}

/** Spec 11 §2.3 steps 1–8; throws RequestRefused or RequestDeferred when it cannot go on. */
async function resolveSteps(
  session: BackendSession,
  trx: Kysely<Schema>,
  request: RequestRow,
  coprClient: () => CoprClient,
  known: KnownSoFar,
  log: Logger,
): Promise<RequestOutcome> {
  const collection = await trx
    .selectFrom("collection")
    .select(["id", "name", "build_tag", "build_group", "secondary_mode", "latest_repo_id"])
    .where("id", "=", request.collection_id)
    .executeTakeFirstOrThrow();
  const repoId = collection.latest_repo_id;
  if (repoId === null) throw new RequestDeferred(`${collection.name} has no repo yet`);
  known.repoId = repoId;
  const yumRepo = await userRepoUrl(coprClient, request.repo_source);
  known.yumRepo = yumRepo;
  const resources = resolverResources(session);
  if (!(await resources.repoAlive(collection, repoId))) {
    // Koji deleted it: the collection's next repo will be the baseline.
    throw new RequestDeferred(`repo ${repoId} of ${collection.name} is gone from Koji`);
  }
  const buildGroup = await resources.buildGroup(collection, repoId);
  if (buildGroup === null) {
    throw new RequestRefused(
      `No build group ${collection.build_group} found in ${collection.build_tag} at repo ${repoId}`,
    );
  }
  const { cachedir } = session.config.directories;
  const userRepoDir = requestCacheDir(cachedir, request.id);
  await fetchUserRepo(yumRepo, userRepoDir, session.config, log);
  const packages = await candidatePackages(trx, collection.id);
  const work = await resolutionWork(resources, collection, packages, buildGroup, log);
  const resolutions = await openResolutions(
    session,
    resources,
    collection,
    repoId,
    buildGroup,
    userRepoDir,
    log,
  );
  try {
    const compsPath = requestCompsPath(cachedir, request.id);
    await requestComps(compsPath, resolutions.baselineDir, () => resources.repoCache, log);
    const reportInterval = session.config.dependency.perf_report_interval;
    const { changes, rebuilds } = await compareAll(resolutions, work, reportInterval, log);
    return { kind: "resolved", repoId, yumRepo, changes, rebuilds };
  } finally {
    await resolutions.release();
  }
}

/** The repo URL of the Copr project's input chroot (step 2). */
async function userRepoUrl(coprClient: () => CoprClient, repoSource: string): Promise<string> {
  const projectName = parseRepoSource(repoSource);
  if (!projectName) {
    throw new RequestRefused(
      `Invalid repo source ${JSON.stringify(repoSource)}: expected copr:<owner>/<project>`,
    );
  }
  let chrootRepos: Record<string, string>;
  try {
    ({ chroot_repos: chrootRepos } = await coprClient().getProject(
      projectName.owner,
      projectName.name,
    ));
  } catch (error) {
    if (!(error instanceof CoprError)) throw error;
    if (error.transient) throw new RequestDeferred(`Copr: ${error.message}`);
    throw new RequestRefused(`Couldn't obtain copr project: ${error.message}`);
  }
  const yumRepo = inputChrootRepo(chrootRepos);
  if (!yumRepo) {
    throw new RequestRefused(
      `Input project doesn't have suitable chroot. Needs one of: ${INPUT_CHROOTS.join(",")}`,
    );
  }
  return yumRepo;
}

async function fetchUserRepo(
  yumRepo: string,
  dir: string,
  config: KoscheiConfig,
  log: Logger,
): Promise<void> {
  try {
    await downloadUserRepo(yumRepo, dir, userRepoDownloadOptions(config.dependency, log));
  } catch (error) {
    if (error instanceof RepoUnavailableError) {
      throw new RequestDeferred(`user repo: ${error.message}`);
    }
    if (error instanceof UserRepoError) {
      throw new RequestRefused(`Cannot download user repo: ${error.message}`);
    }
    throw error;
  }
}

/** A candidate package with what its rebuild row needs. */
interface CandidatePackage {
  id: number;
  name: string;
  version: string;
  release: string;
  last_complete_state: number;
}

/**
 * Tracked, unblocked packages of the collection with a complete build, whose SRPM gives the
 * BuildRequires; in id order.
 */
function candidatePackages(db: Kysely<Schema>, collectionId: number): Promise<CandidatePackage[]> {
  return db
    .selectFrom("package")
    .innerJoin("build as complete", "complete.id", "package.last_complete_build_id")
    .select([
      "package.id",
      "package.name",
      // The SRPM of the complete build, as the repo resolver reads it.
      sql<string>`complete.version`.as("version"),
      sql<string>`complete.release`.as("release"),
      "complete.state as last_complete_state",
    ])
    .where("package.collection_id", "=", collectionId)
    .where("package.tracked", "=", true)
    .where("package.blocked", "=", false)
    .orderBy("package.id")
    .execute();
}

/** A package to resolve: the pools' request and what its rows need. */
interface PackageWork {
  pkg: CandidatePackage;
  request: ResolveRequest;
}

/** The BuildRequires of each package's SRPM (cached Koji lookups), with the build group. */
async function resolutionWork(
  resources: ResolverResources,
  collection: ResolverCollection,
  packages: CandidatePackage[],
  buildGroup: string[],
  log: Logger,
): Promise<PackageWork[]> {
  const requires = await resources.buildRequires(collection, packages);
  return packages.flatMap((pkg, index) => {
    const buildRequires = requires[index];
    if (!buildRequires) {
      log.warn(
        { packageId: pkg.id },
        `Koji has no BuildRequires for ${pkg.name}-${pkg.version}-${pkg.release}; skipped`,
      );
      return [];
    }
    const source = { name: pkg.name, epoch: 0, version: pkg.version, release: pkg.release };
    return [{ pkg, request: { source, buildRequires, buildGroup } }];
  });
}

/** The two resolver pools of a request: the Koji repo alone, and with the user's repo. */
interface Resolutions {
  before: ResolutionSession;
  after: ResolverPool;
  /** The Koji repo's directory in the repo cache (leased while `before` is open). */
  baselineDir: string;
  release(): Promise<void>;
}

async function openResolutions(
  session: BackendSession,
  resources: ResolverResources,
  collection: ResolverCollection,
  repoId: number,
  buildGroup: string[],
  userRepoDir: string,
  log: Logger,
): Promise<Resolutions> {
  // Two pools resolve side by side: each gets half the cores.
  const workers = Math.max(1, Math.floor(availableParallelism() / 2));
  const before = await resources
    .openRepo(collection, repoId, buildGroup, { log, workers })
    .catch((error: unknown) => {
      // Koji deleted the repo since it was found alive.
      if (error instanceof RepoNotFoundError)
        throw new RequestDeferred(`baseline: ${error.message}`);
      throw error;
    });
  const baselineDir = before.pool.repos[0]!.dir;
  const { config } = session;
  try {
    const after = await openAfterPool(config, baselineDir, userRepoDir, workers, log);
    const overridden = after.repos[0]!.excluded;
    if (overridden > 0)
      log.info(`The user repo overrides ${overridden} packages of repo ${repoId}`);
    return {
      before,
      after,
      baselineDir,
      release: async () => {
        try {
          await after.close();
        } finally {
          await before.release();
        }
      },
    };
  } catch (error) {
    await before.release();
    throw error;
  }
}

/** The Koji repo (already loaded alone, so sound) and the user's repo, with overriding per config. */
async function openAfterPool(
  config: KoscheiConfig,
  baselineDir: string,
  userRepoDir: string,
  workers: number,
  log: Logger,
): Promise<ResolverPool> {
  try {
    return await openResolverPool({
      arch: config.dependency.resolve_for_arch,
      repos: [baselineDir, userRepoDir],
      cacheDir: join(config.directories.cachedir, "solv"),
      ignoreWeakDeps: config.dependency.ignore_weak_deps,
      excludeOlderDuplicates: config.copr.overriding_by_exclusions,
      workers,
      logger: log,
    });
  } catch (error) {
    // The Koji repo loaded alone a moment ago: what fails now is the user's repo.
    if (error instanceof DepsolveError && BROKEN_REPO_CODES.has(error.code)) {
      throw new RequestRefused(`Cannot download user repo: ${error.message}`);
    }
    throw error;
  }
}

/** Resolves every package in both pools, side by side, and compares the results. */
async function compareAll(
  resolutions: Resolutions,
  work: PackageWork[],
  reportIntervalSeconds: number,
  log: Logger,
): Promise<{ changes: ResolutionChangeRow[]; rebuilds: RebuildRow[] }> {
  const requests = work.map((item) => item.request);
  const changes: ResolutionChangeRow[] = [];
  const candidates: (RebuildCandidate & { prevState: number })[] = [];
  const afterResults = resolutions.after.resolveAll(requests);
  let lastReport = Date.now();
  try {
    let index = 0;
    for await (const before of resolutions.before.pool.resolveAll(requests)) {
      if (Date.now() - lastReport >= reportIntervalSeconds * 1000) {
        lastReport = Date.now();
        log.info(`resolved ${index} of ${work.length} packages with and without the user repo`);
      }
      const after = await afterResults.next();
      if (after.done) throw new Error("the pool with the user repo gave fewer results");
      const { pkg } = work[index++]!;
      const verdict = compareResolutions(before, after.value);
      if (verdict.kind === "resolution-change") {
        const { prevResolved, currResolved, problems } = verdict;
        changes.push({ packageId: pkg.id, prevResolved, currResolved, problems });
      } else if (verdict.kind === "rebuild") {
        candidates.push({
          packageId: pkg.id,
          priority: verdict.priority,
          prevState: pkg.last_complete_state,
        });
      }
    }
  } finally {
    await afterResults.return();
  }
  log.info(
    `${work.length} packages resolved: ${changes.length} resolution changes, ` +
      `${candidates.length} rebuilds`,
  );
  return { changes, rebuilds: rebuildQueue(candidates) };
}

/** Writes the outcome in the request's transaction. */
async function recordOutcome(
  trx: Kysely<Schema>,
  requestId: number,
  outcome: RequestOutcome,
  log: Logger,
): Promise<void> {
  if (outcome.kind === "deferred") {
    log.warn(`Rebuild request ${requestId} stays new: ${outcome.reason}`);
    return;
  }
  if (outcome.kind === "failed") {
    log.info(`Rebuild request ${requestId} failed: ${outcome.error}`);
    await trx
      .updateTable("copr_rebuild_request")
      .set({
        state: "failed",
        error: outcome.error,
        repo_id: outcome.repoId,
        yum_repo: outcome.yumRepo,
      })
      .where("id", "=", requestId)
      .execute();
    return;
  }
  const { changes, rebuilds } = outcome;
  // Through the package table: a package deleted meanwhile is left out rather than failing.
  if (changes.length > 0) {
    await trx
      .insertInto("copr_resolution_change")
      .columns(["request_id", "package_id", "prev_resolved", "curr_resolved", "problems"])
      .expression(
        sql`SELECT ${requestId}::int, c.package_id, c.prev_resolved, c.curr_resolved,
                   ARRAY(SELECT jsonb_array_elements_text(c.problems))::varchar[]
            FROM jsonb_to_recordset(${JSON.stringify(changes.map(changeJson))}::jsonb)
                 AS c(package_id int, prev_resolved bool, curr_resolved bool, problems jsonb)
            JOIN package ON package.id = c.package_id`,
      )
      .execute();
  }
  if (rebuilds.length > 0) {
    await trx
      .insertInto("copr_rebuild")
      .columns(["request_id", "package_id", "prev_state", "order"])
      .expression(
        sql`SELECT ${requestId}::int, r.package_id, r.prev_state, r.position
            FROM unnest(${rebuilds.map((r) => r.packageId)}::int[],
                        ${rebuilds.map((r) => r.prevState)}::int[],
                        ${rebuilds.map((r) => r.order)}::int[]) AS r(package_id, prev_state, position)
            JOIN package ON package.id = r.package_id`,
      )
      .execute();
  }
  const state = changes.length > 0 || rebuilds.length > 0 ? "in progress" : "finished";
  await trx
    .updateTable("copr_rebuild_request")
    .set({ state, error: null, repo_id: outcome.repoId, yum_repo: outcome.yumRepo })
    .where("id", "=", requestId)
    .execute();
  log.info(`Rebuild request id ${requestId} processed: ${state}`);
}

function changeJson(change: ResolutionChangeRow) {
  return {
    package_id: change.packageId,
    prev_resolved: change.prevResolved,
    curr_resolved: change.currResolved,
    problems: change.problems,
  };
}
