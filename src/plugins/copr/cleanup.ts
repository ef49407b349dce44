// The copr part of `koschei-admin cleanup` (spec 11 §2.7): rebuild requests older than N months
// go, with the Copr projects of their rebuilds and their cache directories. A request whose
// project Copr would not delete is kept for a later cleanup; once Copr turns out to be
// unavailable, no more projects are tried and their requests are kept too.
import { adminUserId } from "../../admin/admin-command.js";
import { rm } from "node:fs/promises";
import { sql, type Kysely } from "kysely";
import type { Schema } from "../../db/index.js";
import type { PluginContext } from "../plugin.js";
import { CoprClient, CoprError, CoprNotFoundError } from "./copr-client.js";
import { requestCacheDir } from "./copr-names.js";
import { coprProjectName } from "./frontend/rebuild-logic.js";

/**
 * Deletes the old requests whose Copr projects are gone (or never existed) and audit-logs how
 * many, as `auditUserName` (the user running koschei-admin), in environment `admin`.
 */
export async function cleanupOldRequests(
  olderThanMonths: number,
  context: PluginContext,
  auditUserName: string,
): Promise<void> {
  const { config, log } = context;
  const db = (await context.database()).db;
  const cutoff = sql<Date>`now() - make_interval(months => ${olderThanMonths})`;
  const old = await db
    .selectFrom("copr_rebuild_request")
    .select("id")
    .where("timestamp", "<", cutoff)
    .execute();
  if (old.length === 0) return;
  log.debug("Cleaning up old copr projects");
  const kept = await requestsWithProjectsLeft(
    db,
    old.map((request) => request.id),
    CoprClient.fromConfig(config),
    context,
  );
  const deletable = old.map((request) => request.id).filter((id) => !kept.has(id));
  if (deletable.length === 0) return;
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("copr_rebuild_request").where("id", "in", deletable).execute();
    const message = `Cleanup: Deleted ${deletable.length} copr requests`;
    const userId = await adminUserId(trx, auditUserName);
    await trx
      .insertInto("log_entry")
      .values({ user_id: userId, environment: "admin", message })
      .execute();
  });
  for (const id of deletable) {
    await rm(requestCacheDir(config.directories.cachedir, id), { recursive: true, force: true });
  }
}

/** Deletes the Copr projects of the requests' submitted rebuilds; the requests that keep one. */
async function requestsWithProjectsLeft(
  db: Kysely<Schema>,
  requestIds: number[],
  copr: CoprClient,
  { config, log }: PluginContext,
): Promise<Set<number>> {
  const rebuilds = await db
    .selectFrom("copr_rebuild")
    .select(["request_id", "package_id"])
    .where("request_id", "in", requestIds)
    .where("copr_build_id", "is not", null)
    .orderBy("request_id")
    .orderBy("package_id")
    .execute();
  const kept = new Set<number>();
  let coprUnavailable = false;
  for (const rebuild of rebuilds) {
    if (kept.has(rebuild.request_id)) continue;
    if (coprUnavailable) {
      kept.add(rebuild.request_id);
      continue;
    }
    const project = coprProjectName(
      config.copr.name_prefix,
      rebuild.request_id,
      rebuild.package_id,
    );
    try {
      await copr.deleteProject(config.copr.copr_owner, project);
    } catch (error) {
      if (!(error instanceof CoprError)) throw error;
      if (error instanceof CoprNotFoundError || error.message.includes("does not exist")) continue;
      log.warn(`Cannot delete copr project ${project}: ${error.message}`);
      kept.add(rebuild.request_id);
      coprUnavailable = error.transient;
    }
  }
  return kept;
}
