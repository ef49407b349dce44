// The osci plugin's work on every polling pass (spec 11 §4.2): each build group is evaluated
// from the database, the artifacts of its reports are read from the primary Koji, and then,
// in one transaction, its messages go into the outbox and its row takes the new state and
// repo. The publisher service sends the messages; a Koji outage ends the pass before anything
// is written, so the next pass reports the same change.
import type { FedoraMessage } from "@koschei/koji-protocol/messages.js";
import { sql, type Kysely, type Selectable } from "kysely";
import { kojiConfig } from "../../config/index.js";
import type { BackendSession } from "../../backend/session.js";
import { isOutage } from "../../backend/outages.js";
import type { Schema } from "../../db/index.js";
import type { BuildGroupTable } from "../../db/schema.js";
import type { KojiApi } from "../../koji/api.js";
import type { Logger } from "../../log/logger.js";
import { insertMessage } from "../../messaging/outbox.js";
import { currentPrioritySql } from "../../model/priority.js";
import { BuildState, packageStateSql } from "../../model/states.js";
import type { PluginContext } from "../plugin.js";
import { evaluateBuildGroup, reportsFor, type BuildGroupFacts, type Report } from "./evaluation.js";
import {
  buildGroupArtifact,
  osciMessage,
  type MessageSettings,
  type OsciArtifact,
} from "./messages.js";

type BuildGroupRow = Selectable<BuildGroupTable>;

/** Evaluates every build group; one that cannot be evaluated is logged and the others go on. */
export async function pollBuildGroups(context: PluginContext): Promise<void> {
  const session = await context.session();
  const groups = await session.database.db
    .selectFrom("build_group")
    .selectAll()
    .orderBy("id")
    .execute();
  for (const group of groups) {
    try {
      await pollBuildGroup(session, group, context.log);
    } catch (error) {
      // An outage would fail every other group too: the pass ends, the next one retries.
      if (isOutage(error)) throw error;
      context.log.error({ err: error, buildGroup: group.id }, "build group not evaluated");
    }
  }
}

async function pollBuildGroup(
  session: BackendSession,
  group: BuildGroupRow,
  log: Logger,
): Promise<void> {
  const db = session.database.db;
  // A deleted collection leaves its build groups with NULL in its place.
  if (group.collection_id === null || group.base_collection_id === null) {
    log.warn({ buildGroup: group.id }, "build group without its collections, skipped");
    return;
  }
  const side = await db
    .selectFrom("collection")
    .select(["id", "dest_tag", "latest_repo_id", "latest_repo_resolved"])
    .where("id", "=", group.collection_id)
    .executeTakeFirst();
  if (!side) return;
  const facts = await gatherFacts(session, side, group.base_collection_id);
  const current = { state: evaluateBuildGroup(facts), repoId: facts.repoId };
  const reports = reportsFor({ state: group.state, repoId: group.repo_id }, current);
  if (reports === null) return;
  const messages = await reportMessages(session, reports, side.dest_tag, log);
  const recorded = await db.transaction().execute(async (trx) => {
    // Another process may have reported this change meanwhile: then there is nothing to do.
    const stored = await trx
      .selectFrom("build_group")
      .select(["state", "repo_id"])
      .where("id", "=", group.id)
      .forUpdate()
      .executeTakeFirst();
    if (!stored || stored.state !== group.state || stored.repo_id !== group.repo_id) return false;
    for (const message of messages) await insertMessage(trx, message);
    await trx
      .updateTable("build_group")
      .set({ state: current.state, repo_id: current.repoId })
      .where("id", "=", group.id)
      .execute();
    return true;
  });
  if (!recorded) return;
  log.info(
    { buildGroup: group.id, ...current },
    `build group reported ${messages.length} message(s)`,
  );
}

async function gatherFacts(
  session: BackendSession,
  side: { id: number; latest_repo_id: number | null; latest_repo_resolved: boolean | null },
  baseCollectionId: number,
): Promise<BuildGroupFacts> {
  const db = session.database.db;
  return {
    repoId: side.latest_repo_id,
    repoResolved: side.latest_repo_resolved,
    hasRunningBuild: await hasRunningBuild(db, side.id),
    hasSchedulablePackage: await hasSchedulablePackage(session, side.id),
    hasBrokenPackage: await hasBrokenPackage(db, side.id, baseCollectionId),
  };
}

async function hasRunningBuild(db: Kysely<Schema>, collectionId: number): Promise<boolean> {
  const running = await db
    .selectFrom("build")
    .innerJoin("package", "package.id", "build.package_id")
    .select("build.id")
    .where("package.collection_id", "=", collectionId)
    .where("build.state", "=", BuildState.running)
    .limit(1)
    .executeTakeFirst();
  return running !== undefined;
}

/** A package the scheduler would submit: the scheduler's own priority, at or above its threshold. */
async function hasSchedulablePackage(
  session: BackendSession,
  collectionId: number,
): Promise<boolean> {
  const { priorities } = session.config;
  // Built from vetted aliases and numbers by the model, as the scheduler does.
  const priority = sql.raw<number | null>(currentPrioritySql(priorities, "clock.now"));
  const { rows } = await sql<{ id: number }>`
    SELECT package.id
    FROM package
    JOIN collection ON collection.id = package.collection_id
    JOIN build AS last_build ON last_build.id = package.last_build_id
    CROSS JOIN (SELECT CAST(${session.now().toISOString()} AS timestamp with time zone) AS now) AS clock
    WHERE package.collection_id = ${collectionId}
      AND ${priority} >= ${priorities.build_threshold}
    LIMIT 1
  `.execute(session.database.db);
  return rows.length > 0;
}

/** A package name whose state is `ok` in the base collection and anything else in the side one. */
async function hasBrokenPackage(
  db: Kysely<Schema>,
  sideCollectionId: number,
  baseCollectionId: number,
): Promise<boolean> {
  const baseState = sql.raw<string>(packageStateSql("base_package"));
  const sideState = sql.raw<string>(packageStateSql("side_package"));
  const { rows } = await sql<{ name: string }>`
    SELECT side_package.name
    FROM package AS side_package
    JOIN package AS base_package ON base_package.name = side_package.name
    WHERE side_package.collection_id = ${sideCollectionId}
      AND base_package.collection_id = ${baseCollectionId}
      AND ${baseState} = 'ok'
      AND ${sideState} <> 'ok'
    LIMIT 1
  `.execute(db);
  return rows.length > 0;
}

/** The messages of the reports whose artifact has builds, in report order. */
async function reportMessages(
  session: BackendSession,
  reports: readonly Report[],
  destTag: string,
  log: Logger,
): Promise<FedoraMessage[]> {
  const settings: MessageSettings = {
    osci: session.config.osci,
    topurl: kojiConfig(session.config, "primary").topurl,
    repoArch: session.config.dependency.repo_arch,
  };
  const messages: FedoraMessage[] = [];
  for (const report of reports) {
    const artifact = await fetchArtifact(session.koji.primary, settings, report.repoId, destTag);
    if (artifact === null) {
      log.warn({ repoId: report.repoId }, `Koji does not know repo ${report.repoId}: not reported`);
      continue;
    }
    const message = osciMessage(settings.osci, report.state, artifact, session.now());
    if (message) messages.push(message);
  }
  return messages;
}

/** The latest builds of the destination tag when the repo was made; null for a repo Koji does not know. */
async function fetchArtifact(
  primary: KojiApi,
  settings: MessageSettings,
  repoId: number,
  destTag: string,
): Promise<OsciArtifact | null> {
  const repo = await primary.repoInfo(repoId);
  if (repo === null) return null;
  const builds = await primary.listTagged(destTag, { event: repo.create_event, latest: true });
  return buildGroupArtifact(settings, { id: repoId, tagName: repo.tag_name }, builds);
}
