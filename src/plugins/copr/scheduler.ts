// The copr-scheduler service (spec 11 §2.4): at most one Copr build per pass, while fewer than
// `copr.max_builds` rebuilds run. Requests take turns by user (fair share), each gets at most
// its `schedule_count` builds, in queue order; each rebuild is built in a Copr project of its
// own, `<prefix>-<request>-<package>`, made from the user's repo and the baseline Koji repo.
//
// Two schedulers may run: the request being worked on is row-locked, and the other scheduler
// passes over it (SKIP LOCKED). Unlike the original, the next rebuild is looked for in the
// chosen request only.
//
// Crash safety: the build is recorded in the transaction that holds the request's lock while
// Copr is called, so a crash (or an outage of Copr or the database) between "build created"
// and "commit" leaves the rebuild queued, and its project holding an untracked build. The
// project name is deterministic, so the next submission of that rebuild deletes the leftover
// project first, which cancels and removes the untracked build with it, and starts afresh: one
// tracked build, never two. (Looking for the leftover build instead would need a project's
// build list, which the Copr client does not offer, and could not tell a complete submission
// from one that failed half-way, e.g. before the comps upload.)
import { repoUrl } from "@koschei/koji-protocol/paths.js";
import { sql, type Kysely, type Transaction } from "kysely";
import type { KoscheiConfig } from "../../config/index.js";
import type { Schema } from "../../db/index.js";
import { lastSrpm } from "../../koji/srpm.js";
import type { Logger } from "../../log/logger.js";
import { BuildState } from "../../model/states.js";
import { RepoCache, repoCacheSettings } from "../../repo/repo-cache.js";
import type { ServiceContext, ServiceDefinition } from "../../backend/registry.js";
import type { BackendSession } from "../../backend/session.js";
import { CoprClient, CoprError, CoprNotFoundError } from "./copr-client.js";
import { requestCompsPath, requestText } from "./copr-names.js";
import { coprProjectName } from "./frontend/rebuild-logic.js";
import { requestComps } from "./request-comps.js";

/** How a pass ended, for the log and for tests. */
export type CoprSchedulerOutcome =
  | { kind: "max-builds"; running: number }
  /** No request is in progress (or every one is being submitted by another scheduler). */
  | { kind: "nothing-to-schedule" }
  /** The request's count is reached or its queue is empty: it became `scheduled`. */
  | { kind: "scheduled"; requestId: number }
  | { kind: "submitted"; requestId: number; packageId: number; coprBuildId: number }
  /** Another scheduler or an edit of the queue changed the request meanwhile: next pass. */
  | { kind: "changed-meanwhile"; requestId: number }
  /** Copr refused, or the rebuild lacks what a build needs: it stays queued (logged). */
  | { kind: "refused"; requestId: number; packageId: number; reason: string };

export const coprSchedulerService: ServiceDefinition = {
  name: "copr-scheduler",
  summary: "submits the queued user rebuilds to Copr",
  configKey: "copr-scheduler",
  runPass: async (context) => {
    await runCoprSchedulerPass(context);
  },
};

/**
 * One pass. `copr` defaults to a client from `copr.config_path`. Outages of Copr, Koji or the
 * database are thrown (the runner retries the pass); nothing is recorded then.
 */
export async function runCoprSchedulerPass(
  context: Pick<ServiceContext, "session" | "log">,
  copr?: CoprClient,
): Promise<CoprSchedulerOutcome> {
  const session = await context.session();
  const { log } = context;
  const choice = await chooseRebuild(session.database.db, session.config, log);
  if (choice.kind !== "chosen") return choice;
  const client = copr ?? CoprClient.fromConfig(session.config);
  try {
    return await submit(session, client, choice.rebuild, log);
  } catch (error) {
    if (!(error instanceof CoprError) || error.transient) throw error;
    const reason = `Copr refused: ${error.message}`;
    log.error({ ...choice.rebuild }, `Cannot submit the rebuild: ${reason}`);
    return { kind: "refused", ...choice.rebuild, reason };
  }
}

interface ChosenRebuild {
  requestId: number;
  packageId: number;
}

/**
 * Steps 1–6 in one transaction: the request whose turn it is moves its user behind the others,
 * and its next rebuild is chosen, or it becomes `scheduled`. The move is committed even if the
 * submission fails, so a request Copr refuses does not hold up the others.
 */
async function chooseRebuild(
  db: Kysely<Schema>,
  config: KoscheiConfig,
  log: Logger,
): Promise<CoprSchedulerOutcome | { kind: "chosen"; rebuild: ChosenRebuild }> {
  const running = await countRunningRebuilds(db);
  if (running >= config.copr.max_builds) {
    log.debug(`${running} running builds, not scheduling`);
    return { kind: "max-builds", running };
  }
  return db.transaction().execute(async (trx) => {
    const request = await lockRequestInProgress(trx)
      .orderBy("scheduler_queue_index", (order) => order.asc().nullsFirst())
      .orderBy("id")
      .limit(1)
      .executeTakeFirst();
    if (!request) {
      log.debug("No schedulable requests");
      return { kind: "nothing-to-schedule" };
    }
    await moveUserBehindOthers(trx, request.user_id);
    const packageId = await lockNextRebuild(trx, request);
    if (packageId === null) {
      await trx
        .updateTable("copr_rebuild_request")
        .set({ state: "scheduled" })
        .where("id", "=", request.id)
        .execute();
      log.info(`Request ${request.id} scheduled: nothing more to submit`);
      return { kind: "scheduled", requestId: request.id };
    }
    return { kind: "chosen", rebuild: { requestId: request.id, packageId } };
  });
}

async function countRunningRebuilds(db: Kysely<Schema>): Promise<number> {
  const { count } = await db
    .selectFrom("copr_rebuild")
    .select((eb) => eb.fn.countAll<string>().as("count"))
    .where("state", "=", BuildState.running)
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** Requests in progress, locked; those another scheduler holds are passed over. */
function lockRequestInProgress(trx: Transaction<Schema>) {
  return trx
    .selectFrom("copr_rebuild_request")
    .select(["id", "user_id", "schedule_count"])
    .where("state", "=", "in progress")
    .forUpdate()
    .skipLocked();
}

/**
 * Step 4: every request of the user gets the next queue index. A request another scheduler
 * holds is left alone (waiting for it could deadlock); that scheduler moves the same user.
 */
async function moveUserBehindOthers(trx: Transaction<Schema>, userId: number): Promise<void> {
  const { next } = await trx
    .selectFrom("copr_rebuild_request")
    .select(sql<number>`coalesce(max(scheduler_queue_index), 0) + 1`.as("next"))
    .executeTakeFirstOrThrow();
  await trx
    .updateTable("copr_rebuild_request")
    .set({ scheduler_queue_index: next })
    .where(
      "id",
      "in",
      trx
        .selectFrom("copr_rebuild_request")
        .select("id")
        .where("user_id", "=", userId)
        .forUpdate()
        .skipLocked(),
    )
    .execute();
}

/**
 * Steps 5–6: the package of the request's queued rebuild with the lowest order, its row
 * locked; null when the request has its `schedule_count` builds (none without a count) or
 * nothing is queued.
 */
async function lockNextRebuild(
  trx: Transaction<Schema>,
  request: { id: number; schedule_count: number | null },
): Promise<number | null> {
  const { submitted } = await trx
    .selectFrom("copr_rebuild")
    .select((eb) => eb.fn.countAll<string>().as("submitted"))
    .where("request_id", "=", request.id)
    .where("copr_build_id", "is not", null)
    .executeTakeFirstOrThrow();
  if (Number(submitted) >= (request.schedule_count ?? 0)) return null;
  const next = await trx
    .selectFrom("copr_rebuild")
    .select("package_id")
    .where("request_id", "=", request.id)
    .where("copr_build_id", "is", null)
    .orderBy("order")
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
  return next?.package_id ?? null;
}

/**
 * Step 7: what the build needs is gathered first (SRPM URL, comps), then, with the request
 * locked again and the rebuild checked to be still next in its queue, the Copr project is made
 * afresh, the build started and recorded as running.
 */
async function submit(
  session: BackendSession,
  copr: CoprClient,
  chosen: ChosenRebuild,
  log: Logger,
): Promise<CoprSchedulerOutcome> {
  const { config, database } = session;
  const target = await database.db
    .selectFrom("copr_rebuild_request as request")
    .innerJoin("collection", "collection.id", "request.collection_id")
    .innerJoin("package", "package.collection_id", "collection.id")
    .select([
      "request.yum_repo",
      "request.repo_id",
      "collection.build_tag",
      "collection.dest_tag",
      "collection.build_group",
      "collection.secondary_mode",
      "package.name",
    ])
    .where("request.id", "=", chosen.requestId)
    .where("package.id", "=", chosen.packageId)
    .executeTakeFirst();
  if (!target) return { kind: "changed-meanwhile", requestId: chosen.requestId };
  const refuse = (reason: string): CoprSchedulerOutcome => {
    log.error({ ...chosen }, `Cannot submit the rebuild of ${target.name}: ${reason}`);
    return { kind: "refused", ...chosen, reason };
  };
  const { yum_repo: userRepo, repo_id: repoId } = target;
  if (userRepo === null || repoId === null) return refuse("the request was never resolved");
  const koji = session.koji.forCollection(target);
  const topurl = koji.client.topurl;
  if (!topurl) throw new Error(`no topurl is configured for the Koji of ${target.build_tag}`);
  const srpm = await lastSrpm(koji, target.dest_tag, target.name, topurl);
  if (!srpm) return refuse(`no SRPM of ${target.name} is tagged in ${target.dest_tag}`);
  const baselineRepo = repoUrl(topurl, target.build_tag, repoId, config.dependency.repo_arch);
  const comps = await requestComps(
    requestCompsPath(config.directories.cachedir, chosen.requestId),
    baselineRepo,
    () =>
      new RepoCache({
        ...repoCacheSettings(config.dependency),
        cacheDir: config.directories.cachedir,
        logger: log,
      }),
    log,
  );
  const { copr_owner: owner, chroot_name: chroot } = config.copr;
  const project = coprProjectName(config.copr.name_prefix, chosen.requestId, chosen.packageId);
  return database.db.transaction().execute(async (trx): Promise<CoprSchedulerOutcome> => {
    const request = await lockRequestInProgress(trx)
      .where("id", "=", chosen.requestId)
      .executeTakeFirst();
    if (!request || (await lockNextRebuild(trx, request)) !== chosen.packageId) {
      return { kind: "changed-meanwhile", requestId: chosen.requestId };
    }
    await copr.deleteProject(owner, project).catch((error: unknown) => {
      if (!(error instanceof CoprNotFoundError)) throw error;
    });
    await copr.createProject(owner, project, {
      chroots: [chroot],
      description: requestText(config.copr.description, chosen.requestId),
      instructions: requestText(config.copr.instructions, chosen.requestId),
      // The original's form of the Koji repo URL: no trailing slash.
      additionalRepos: [userRepo, baselineRepo.replace(/\/$/, "")],
      unlistedOnHomePage: true,
      develMode: false,
      enableNet: false,
    });
    await copr.editChroot(owner, project, chroot, {
      additionalPackages: [`@${target.build_group}`],
      ...(comps ? { comps: { fileName: "comps.xml", content: comps } } : {}),
    });
    log.debug(`Created copr project ${project}`);
    const build = await copr.createBuildFromUrl(owner, project, srpm.url, { chroots: [chroot] });
    await trx
      .updateTable("copr_rebuild")
      .set({ copr_build_id: build.id, state: BuildState.running })
      .where("request_id", "=", chosen.requestId)
      .where("package_id", "=", chosen.packageId)
      .execute();
    log.info(`Build ${build.id} scheduled`);
    return { kind: "submitted", ...chosen, coprBuildId: build.id };
  });
}
