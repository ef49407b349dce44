// The scheduler service (spec 02 §2): at most one scratch build per pass, for the package with
// the highest priority at or above the threshold, while fewer than `max_builds` builds run and
// Koji's builders of the package's arches are not too busy. Packages whose SRPM or arches rule
// a build out are marked with a skip reason and passed over.
import { sql, type Kysely, type Transaction } from "kysely";
import type { KoscheiConfig } from "../config/index.js";
import type { Schema } from "../db/index.js";
import type { KojiApi } from "../koji/api.js";
import { fetchKojiLoad } from "../koji/load.js";
import { lastSrpm } from "../koji/srpm.js";
import type { Logger } from "../log/logger.js";
import { currentPrioritySql } from "../model/priority.js";
import { SchedulerSkipReason } from "../model/schedulability.js";
import { BuildState } from "../model/states.js";
import {
  allowedBuildArches,
  fetchTagArches,
  packageToBuild,
  selectPackagesToBuild,
  submitScratchBuild,
  type PackageToBuild,
} from "./build-submission.js";
import type { ServiceContext, ServiceDefinition } from "./registry.js";
import type { BackendSession } from "./session.js";
import { findUnrecordedSubmission } from "./unrecorded-submissions.js";

/** What a pass needs from the service runner. */
export type SchedulerContext = Pick<ServiceContext, "session" | "log">;

/** How a pass ended, for the log and for tests. */
export type SchedulerOutcome =
  | { kind: "submitted"; packageId: number; buildId: number; taskId: number }
  /** A build Koji had accepted without Koschei recording it is recorded instead of a new one. */
  | { kind: "recorded-lost-submission"; packageId: number; buildId: number; taskId: number }
  | { kind: "max-builds"; running: number }
  | { kind: "below-threshold" }
  | { kind: "koji-load"; packageId: number; load: number }
  /** No package has a priority at all, or every candidate was skipped. */
  | { kind: "nothing-to-schedule" };

export const schedulerService: ServiceDefinition = {
  name: "scheduler",
  summary: "submits scratch builds of the packages with the highest priority",
  configKey: "scheduler",
  runPass: async (context) => {
    await runSchedulerPass(context);
  },
};

/** One scheduler pass. */
export async function runSchedulerPass(context: SchedulerContext): Promise<SchedulerOutcome> {
  const session = await context.session();
  const { log } = context;
  const { config, database, koji } = session;
  if (!koji.primary.client.loggedIn) {
    throw new Error(
      "the scheduler submits scratch builds and needs a logged-in Koji session, but " +
        `koji_config.login_method is '${config.koji_config.login_method}' (anonymous): ` +
        "set it to ssl_login with login_args.cert naming the client certificate",
    );
  }
  const running = await countRunningBuilds(database.db);
  if (running >= config.koji_config.max_builds) {
    log.debug(`Not scheduling: ${running} incomplete builds`);
    return { kind: "max-builds", running };
  }
  const candidates = await priorityList(database.db, config, session.now());
  for (const { id, priority } of candidates) {
    if (priority < config.priorities.build_threshold) {
      log.info("Not scheduling: no package above threshold");
      return { kind: "below-threshold" };
    }
    const pkg = await loadCandidate(database.db, id);
    const tagArches = await tagArchesCached(koji.primary, pkg.collection.build_tag);
    const arches = await allowedBuildArches(
      koji,
      pkg,
      pkg.lastCompleteBuild,
      tagArches,
      config.koji_config.build_arches,
    );
    if (arches === null) {
      await markNoSrpm(database.db, pkg, log);
      continue;
    }
    if (arches.size === 0) {
      await markNoAllowedArch(database.db, pkg, log);
      continue;
    }
    const loadThreshold = config.koji_config.load_threshold;
    if (loadThreshold < 1) {
      const load = await fetchKojiLoad(koji.primary, tagArches, arches);
      if (load > loadThreshold) {
        log.debug(`Not scheduling ${pkg.name}: ${load} koji load`);
        return { kind: "koji-load", packageId: pkg.id, load };
      }
    }
    log.info(`Scheduling build for ${pkg.name} in ${pkg.collection_name}, priority ${priority}`);
    const outcome = await submit(session, pkg, arches.has("noarch") ? null : arches, log);
    if (outcome) return outcome;
  }
  return { kind: "nothing-to-schedule" };
}

async function countRunningBuilds(db: Kysely<Schema>): Promise<number> {
  const { count } = await db
    .selectFrom("build")
    .select((eb) => eb.fn.countAll<number>().as("count"))
    .where("state", "=", BuildState.running)
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** Every package with a priority (spec 02 §1), highest first; ties in package id order. */
async function priorityList(
  db: Kysely<Schema>,
  config: KoscheiConfig,
  now: Date,
): Promise<{ id: number; priority: number }[]> {
  const priority = sql.raw<number | null>(currentPrioritySql(config.priorities, "clock.now"));
  const { rows } = await sql<{ id: number; priority: number }>`
    SELECT package.id, ${priority} AS priority
    FROM package
    JOIN collection ON collection.id = package.collection_id
    JOIN build AS last_build ON last_build.id = package.last_build_id
    CROSS JOIN (SELECT CAST(${now.toISOString()} AS timestamp with time zone) AS now) AS clock
    WHERE ${priority} IS NOT NULL
    ORDER BY priority DESC, package.id
  `.execute(db);
  return rows;
}

type Candidate = PackageToBuild & {
  collection_name: string;
  /** The package's last build when the candidate list was made. */
  last_build_id: number;
  lastCompleteBuild: { version: string; release: string } | null;
};

async function loadCandidate(db: Kysely<Schema>, packageId: number): Promise<Candidate> {
  const row = await selectPackagesToBuild(db)
    .select("package.last_build_id")
    .where("package.id", "=", packageId)
    .executeTakeFirstOrThrow();
  const { pkg, lastCompleteBuild } = packageToBuild(row);
  return {
    ...pkg,
    collection_name: row.collection_name,
    last_build_id: row.last_build_id!,
    lastCompleteBuild,
  };
}

/** Build tag arches change rarely: asked once an hour per hub and tag (spec 03 §0). */
const TAG_ARCHES_TTL_MS = 3600 * 1000;
const tagArchesCache = new WeakMap<KojiApi, Map<string, { arches: string[]; fetched: number }>>();

async function tagArchesCached(primary: KojiApi, buildTag: string): Promise<string[]> {
  let byTag = tagArchesCache.get(primary);
  if (!byTag) tagArchesCache.set(primary, (byTag = new Map()));
  const cached = byTag.get(buildTag);
  if (cached && Date.now() - cached.fetched < TAG_ARCHES_TTL_MS) return cached.arches;
  const arches = await fetchTagArches(primary, buildTag);
  byTag.set(buildTag, { arches, fetched: Date.now() });
  return arches;
}

/**
 * Submits the build and records it, the package row locked, in one transaction: the package's
 * last build must still be the one the candidate list saw (another scheduler may have been
 * first). A build Koji accepted earlier without Koschei recording it is recorded instead of
 * submitting again; when `build` itself fails, Koji may still have accepted it, so it is
 * looked for once more before the error is passed on. Null: the candidate was passed over.
 */
async function submit(
  session: BackendSession,
  pkg: Candidate,
  arches: Set<string> | null,
  log: Logger,
): Promise<SchedulerOutcome | null> {
  const { config, database, koji } = session;
  const srpm = await lastSrpm(
    koji.forCollection(pkg.collection),
    pkg.collection.dest_tag,
    pkg.name,
    config.koji_config.srpm_relative_path_root,
  );
  if (!srpm) {
    await database.db.transaction().execute((trx) => resetAfterAttempt(trx, pkg, log, true));
    return null;
  }
  const lastBuild = await database.db
    .selectFrom("build")
    .select("started")
    .where("id", "=", pkg.last_build_id)
    .executeTakeFirst();
  if (!lastBuild) return null;
  const intended = {
    srpmUrl: srpm.url,
    target: config.koji_config.build_from_repo_id ? null : pkg.collection.target,
    since: lastBuild.started,
  };
  const attempt = (mayBuild: boolean) =>
    database.db.transaction().execute(async (trx): Promise<SchedulerOutcome | null> => {
      const locked = await trx
        .selectFrom("package")
        .select("last_build_id")
        .where("id", "=", pkg.id)
        .forUpdate()
        .executeTakeFirst();
      if (locked?.last_build_id !== pkg.last_build_id) return null;
      const lost = await findUnrecordedSubmission(trx, koji.primary, intended);
      if (lost) {
        log.warn(
          { taskId: lost.id },
          `Koji task ${lost.id} builds ${pkg.name} but was never recorded; recording it`,
        );
        const build = await trx
          .insertInto("build")
          .values({
            package_id: pkg.id,
            task_id: lost.id,
            started: new Date(lost.create_ts * 1000),
            epoch: srpm.srpm.epoch,
            version: srpm.srpm.version,
            release: srpm.srpm.release,
            repo_id: config.koji_config.build_from_repo_id ? pkg.collection.latest_repo_id : null,
          })
          .returning(["id", "task_id"])
          .executeTakeFirstOrThrow();
        await resetAfterAttempt(trx, pkg, log, false);
        return {
          kind: "recorded-lost-submission",
          packageId: pkg.id,
          buildId: build.id,
          taskId: build.task_id,
        };
      }
      if (!mayBuild) return null;
      const build = await submitScratchBuild(trx, koji, config.koji_config, pkg, arches);
      await resetAfterAttempt(trx, pkg, log, build === null);
      return build
        ? { kind: "submitted", packageId: pkg.id, buildId: build.id, taskId: build.task_id }
        : null;
    });
  try {
    return await attempt(true);
  } catch (error) {
    const recorded = await attempt(false).catch(() => null);
    if (recorded) return recorded;
    throw error;
  }
}

/**
 * After a submission attempt the manual priority has been used up and earlier skip reasons
 * no longer hold; without an SRPM in the tag the package is marked as in `markNoSrpm`.
 */
async function resetAfterAttempt(
  trx: Transaction<Schema>,
  pkg: Candidate,
  log: Logger,
  noSrpm: boolean,
): Promise<void> {
  await trx
    .updateTable("package")
    .set({ manual_priority: 0, scheduler_skip_reason: null })
    .where("id", "=", pkg.id)
    .execute();
  if (noSrpm) await setNoSrpm(trx, pkg, log);
}

/** Spec 02 §2.6, in its own transaction. */
async function markNoSrpm(db: Kysely<Schema>, pkg: Candidate, log: Logger): Promise<void> {
  await db.transaction().execute((trx) => setNoSrpm(trx, pkg, log));
}

/**
 * Spec 02 §2.6: without an SRPM the package cannot be built; it leaves the candidate list
 * (no last build) and the resolvers' view until a new build is registered for it.
 */
async function setNoSrpm(trx: Transaction<Schema>, pkg: Candidate, log: Logger): Promise<void> {
  log.info(`No SRPM found for ${pkg.name} in ${pkg.collection_name}`);
  await trx
    .updateTable("package")
    .set({
      scheduler_skip_reason: SchedulerSkipReason.noSrpm,
      resolved: null,
      last_build_id: null,
      last_complete_build_id: null,
      last_complete_build_state: null,
    })
    .where("id", "=", pkg.id)
    .execute();
  await trx
    .updateTable("build")
    .set({ last_complete: false })
    .where("package_id", "=", pkg.id)
    .where("last_complete", "=", true)
    .execute();
}

/**
 * No arch is left to build on: the package is pushed 1000 below its priority so that it stops
 * heading the list. Unlike the original, where the change survived only when a later
 * candidate of the same pass was submitted, it is committed at once.
 */
async function markNoAllowedArch(db: Kysely<Schema>, pkg: Candidate, log: Logger): Promise<void> {
  log.info(`Skipping ${pkg.name}: no allowed arch`);
  await db
    .updateTable("package")
    .set((eb) => ({
      scheduler_skip_reason: SchedulerSkipReason.noAllowedArch,
      manual_priority: eb("manual_priority", "-", 1000),
    }))
    .where("id", "=", pkg.id)
    .execute();
}
