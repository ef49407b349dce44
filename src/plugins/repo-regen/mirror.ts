// repo_regen's work on every polling pass (spec 11 §5): for each collection in secondary mode,
// the primary hub gets the collection's tags and target (with the secondary build tag's comps
// groups) and, for every new repo of the secondary build tag, an external repo pointing at it
// and a newRepo task; repo_mapping remembers the task, and the backend later learns the
// primary repo it made (src/backend/koji-sync.ts, refreshRepoMappings).
import type { Selectable } from "kysely";
import { KojiFault } from "@koschei/koji-protocol/faults.js";
import { REPO_STATES } from "@koschei/koji-protocol/koji-types.js";
import type { BackendSession } from "../../backend/session.js";
import type { CollectionTable } from "../../db/schema.js";
import type { KojiApi } from "../../koji/api.js";
import type { Logger } from "../../log/logger.js";
import type { PluginContext } from "../plugin.js";
import {
  copyGroupCalls,
  externalRepoName,
  externalRepoUrl,
  RepoUrlError,
  tagArches,
} from "./external-repo.js";

type Collection = Pick<
  Selectable<CollectionTable>,
  "id" | "name" | "target" | "dest_tag" | "build_tag"
>;

/**
 * Mirrors every secondary-mode collection. A Koji error (a fault of Koji's classes) or a bad
 * repo_url is logged and that collection skipped; an outage ends the pass, and as every step
 * is repeatable the next pass picks up where this one stopped.
 */
export async function mirrorSecondaryRepos(context: PluginContext): Promise<void> {
  const session = await context.session();
  const collections = await session.database.db
    .selectFrom("collection")
    .select(["id", "name", "target", "dest_tag", "build_tag"])
    .where("secondary_mode", "=", true)
    .orderBy("id")
    .execute();
  if (collections.length === 0) return;
  if (!session.koji.secondaryMode) {
    context.log.warn("collections in secondary mode, but no secondary_koji_config: not mirrored");
    return;
  }
  context.log.info("Polling new external repo");
  for (const collection of collections) {
    const log = context.log.child({ collection: collection.name });
    try {
      await mirrorCollection(session, collection, log);
    } catch (error) {
      if (!(error instanceof KojiFault && error.isKojiError) && !(error instanceof RepoUrlError)) {
        throw error;
      }
      log.error({ err: error }, "Requesting new repo failed");
    }
  }
}

async function mirrorCollection(
  session: BackendSession,
  collection: Collection,
  log: Logger,
): Promise<void> {
  const { primary, secondary } = session.koji;
  const arches = tagArches(session.config.koji_config.build_arches);
  await ensureTag(primary, collection.dest_tag, arches);
  await ensureTag(primary, collection.build_tag, arches);
  if (!(await primary.getBuildTarget(collection.target))) {
    log.info("Creating new secondary build target");
    await copyGroups(secondary, primary, collection.build_tag, log);
    // Last: an existing target means the groups are there, so a pass that failed before
    // this point copies them again.
    await primary.createBuildTarget(collection.target, collection.build_tag, collection.dest_tag);
  }
  const remote = await secondary.getRepo(collection.build_tag, { state: REPO_STATES.READY });
  if (!remote) {
    log.info(`Secondary Koji has no ready repo of ${collection.build_tag}`);
    return;
  }
  const db = session.database.db;
  const mapped = await db
    .selectFrom("repo_mapping")
    .select("secondary_id")
    .where("secondary_id", "=", remote.id)
    .executeTakeFirst();
  if (mapped) return;
  log.info(`Requesting new repo for ${collection.name}`);
  const template = session.config.secondary_koji_config.repo_url;
  if (!template) throw new RepoUrlError("secondary_koji_config.repo_url is not set");
  const url = externalRepoUrl(template, collection.build_tag, remote.id);
  await attachOnlyExternalRepo(
    primary,
    collection.build_tag,
    externalRepoName(collection.name, remote.id),
    url,
  );
  const taskId = await primary.newRepo(collection.build_tag);
  await db
    .insertInto("repo_mapping")
    .values({ secondary_id: remote.id, task_id: taskId, primary_id: null })
    // Another process mirrored the same repo meanwhile; its mapping stands.
    .onConflict((conflict) => conflict.column("secondary_id").doNothing())
    .execute();
}

async function ensureTag(primary: KojiApi, name: string, arches: string | null): Promise<void> {
  if (!(await primary.getTag(name))) await primary.createTag(name, { arches });
}

/** The build tag's comps groups from the secondary hub, into the primary one in one multicall. */
async function copyGroups(
  secondary: KojiApi,
  primary: KojiApi,
  buildTag: string,
  log: Logger,
): Promise<void> {
  const groups = await secondary.getTagGroups(buildTag);
  const outcomes = await primary.client.multiCall(copyGroupCalls(primary, buildTag, groups));
  const faults = outcomes.filter((outcome) => outcome instanceof KojiFault);
  if (faults.length > 0) {
    log.warn({ faults: faults.map(String) }, `${faults.length} group changes refused by Koji`);
  }
}

/** The build tag's external repos replaced by `name` (created with `url` if new), priority 0. */
async function attachOnlyExternalRepo(
  primary: KojiApi,
  buildTag: string,
  name: string,
  url: string,
): Promise<void> {
  for (const attached of await primary.getTagExternalRepos(buildTag)) {
    await primary.removeExternalRepoFromTag(buildTag, attached.external_repo_id);
  }
  const repo =
    (await primary.getExternalRepo(name)) ?? (await primary.createExternalRepo(name, url));
  await primary.addExternalRepoToTag(buildTag, repo.name, 0);
}
