// Following the Copr builds of running rebuilds (spec 11 §2.5): every polling pass refreshes all
// of them, and Copr's build-end message of one of Koschei's builds refreshes that one at once.
// A refresh reads the build's state from Copr; a finished build finishes the rebuild, and the
// request once none of its rebuilds is queued or running. Refreshing again changes nothing, so
// a redelivered message or a second process is harmless. When Copr cannot be reached the
// rebuilds stay running and the next polling pass asks again.
import type { Kysely, NotNull } from "kysely";
import type { BackendEvents } from "../../backend/events.js";
import type { Schema } from "../../db/index.js";
import type { Logger } from "../../log/logger.js";
import { BuildState, FINISHED_BUILD_STATES } from "../../model/states.js";
import type { PluginContext } from "../plugin.js";
import { CoprClient, CoprError } from "./copr-client.js";
import { readCoprMessage, rebuildStateOf } from "./copr-names.js";

interface RunningRebuild {
  request_id: number;
  package_id: number;
  copr_build_id: number;
}

/** `polling_event`: refreshes every running rebuild, until Copr turns out to be unavailable. */
export async function refreshRunningRebuilds(context: PluginContext): Promise<void> {
  const db = (await context.database()).db;
  const running = await db
    .selectFrom("copr_rebuild")
    .select(["request_id", "package_id", "copr_build_id"])
    .where("state", "=", BuildState.running)
    .where("copr_build_id", "is not", null)
    .$narrowType<{ copr_build_id: NotNull }>()
    .orderBy("copr_build_id")
    .execute();
  context.log.info(`Polling copr: ${running.length} running builds`);
  if (running.length === 0) return;
  const copr = CoprClient.fromConfig(context.config);
  for (const rebuild of running) {
    try {
      await refreshRebuild(db, copr, rebuild, context.log);
    } catch (error) {
      if (!(error instanceof CoprError)) throw error;
      const build = rebuild.copr_build_id;
      if (!error.transient) {
        context.log.warn({ err: error }, `Cannot read copr build ${build}: ${error.message}`);
        continue;
      }
      // The others would only wait for the same time limit: the next polling pass asks again.
      context.log.warn({ err: error }, `Copr unavailable (copr build ${build}): ${error.message}`);
      return;
    }
  }
}

/** `fedmsg_event`: a build-end message of Koschei's Copr owner refreshes that build's rebuild. */
export async function onCoprMessage(
  message: BackendEvents["fedmsg_event"],
  context: PluginContext,
): Promise<void> {
  const meaning = readCoprMessage(message, context.config.copr);
  if (meaning.kind === "unrelated") return;
  if (meaning.kind === "malformed") {
    context.log.warn({ topic: message.topic }, `Ignoring a Copr message: ${meaning.reason}`);
    return;
  }
  const db = (await context.database()).db;
  const rebuild = await db
    .selectFrom("copr_rebuild")
    .select(["request_id", "package_id"])
    .where("copr_build_id", "=", meaning.buildId)
    .executeTakeFirst();
  if (!rebuild) {
    context.log.debug(`Copr build ${meaning.buildId} is no rebuild of Koschei's`);
    return;
  }
  try {
    await refreshRebuild(
      db,
      CoprClient.fromConfig(context.config),
      { ...rebuild, copr_build_id: meaning.buildId },
      context.log,
    );
  } catch (error) {
    if (!(error instanceof CoprError)) throw error;
    context.log.warn(
      { err: error },
      `Cannot read copr build ${meaning.buildId} (the next polling pass will): ${error.message}`,
    );
  }
}

/**
 * Applies the Copr build's state to a running rebuild, then finishes its request when none of
 * the request's rebuilds is queued or running any more. The request row is locked first, so
 * that two rebuilds of a request ending at once cannot both miss the other's end.
 */
async function refreshRebuild(
  db: Kysely<Schema>,
  copr: CoprClient,
  rebuild: RunningRebuild,
  log: Logger,
): Promise<void> {
  const coprState = (await copr.getBuild(rebuild.copr_build_id)).state;
  const state = rebuildStateOf(coprState);
  if (state === null) return;
  await db.transaction().execute(async (trx) => {
    await trx
      .selectFrom("copr_rebuild_request")
      .select("id")
      .where("id", "=", rebuild.request_id)
      .forUpdate()
      .execute();
    const changed = await trx
      .updateTable("copr_rebuild")
      .set({ state })
      .where("request_id", "=", rebuild.request_id)
      .where("package_id", "=", rebuild.package_id)
      .where("copr_build_id", "=", rebuild.copr_build_id)
      .where("state", "=", BuildState.running)
      .executeTakeFirst();
    if (changed.numUpdatedRows === 0n) return; // refreshed already
    log.info(`Setting copr build ${rebuild.copr_build_id} to ${coprState}`);
    const unfinished = await trx
      .selectFrom("copr_rebuild")
      .select("package_id")
      .where("request_id", "=", rebuild.request_id)
      .where((eb) => eb.or([eb("state", "is", null), eb("state", "not in", FINISHED_BUILD_STATES)]))
      .limit(1)
      .executeTakeFirst();
    if (!unfinished) {
      // A cancelled request (failed, with who cancelled it) keeps its state and error.
      await trx
        .updateTable("copr_rebuild_request")
        .set({ state: "finished" })
        .where("id", "=", rebuild.request_id)
        .where("state", "in", ["in progress", "scheduled"])
        .execute();
      log.info(`Request ${rebuild.request_id} finished`);
    }
  });
}
