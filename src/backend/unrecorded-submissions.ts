// Finding a scratch build that Koji accepted but Koschei never recorded: the answer to `build`
// got lost (a timeout, a dropped connection, a hub refusing the client's retry of a call it
// had already run), or the pass failed before its transaction committed. The scheduler looks
// for one before submitting, so one committed state of a package never yields two builds.
import { KojiTaskState } from "@koschei/koji-protocol/koji-states.js";
import type { KojiTaskInfo } from "@koschei/koji-protocol/koji-types.js";
import { isXmlRpcStruct } from "@koschei/koji-protocol/xmlrpc.js";
import type { Kysely } from "kysely";
import type { Schema } from "../db/index.js";
import type { KojiApi } from "../koji/api.js";

/** The submission the scheduler is about to make. */
export interface IntendedSubmission {
  /** The SRPM URL passed to `build`. */
  srpmUrl: string;
  /** The build target, or null when building from a repo id. */
  target: string | null;
  /** Only tasks created after this instant count (the package's last build started then). */
  since: Date;
}

const loggedInUsers = new WeakMap<KojiApi, number>();

/** The id of the user the session is logged in as (asked once per session). */
async function loggedInUserId(api: KojiApi): Promise<number> {
  const known = loggedInUsers.get(api);
  if (known !== undefined) return known;
  const user = await api.client.call("getLoggedInUser");
  if (!isXmlRpcStruct(user) || typeof user.id !== "number") {
    throw new Error("the Koji session is not logged in (getLoggedInUser answered no user)");
  }
  loggedInUsers.set(api, user.id);
  return user.id;
}

/**
 * Tasks still waiting or running. A finished task is never taken: its build may have been
 * deleted on purpose (canceled, failed through Koji's fault, no repo id).
 */
const ACTIVE_STATES = [KojiTaskState.FREE, KojiTaskState.ASSIGNED, KojiTaskState.OPEN];

/**
 * The oldest active `build` task of the logged-in user for exactly this submission, created
 * since `since`, whose task id no scratch build row has; null when there is none.
 */
export async function findUnrecordedSubmission(
  db: Kysely<Schema>,
  primary: KojiApi,
  intended: IntendedSubmission,
): Promise<KojiTaskInfo | null> {
  const owner = await loggedInUserId(primary);
  const tasks = await primary.listTasks(
    {
      method: "build",
      owner,
      state: ACTIVE_STATES,
      parent: null,
      createdAfter: intended.since.getTime() / 1000,
      decode: true,
    },
    { order: "id" },
  );
  const matching = tasks.filter((task) => isSubmissionOf(task, intended));
  if (matching.length === 0) return null;
  const recorded = new Set(
    (
      await db
        .selectFrom("build")
        .select("task_id")
        .where("real", "=", false)
        .where(
          "task_id",
          "in",
          matching.map((task) => task.id),
        )
        .execute()
    ).map((row) => row.task_id),
  );
  return matching.find((task) => !recorded.has(task.id)) ?? null;
}

/** A `build` task's request is [source, target, options]. */
function isSubmissionOf(task: KojiTaskInfo, intended: IntendedSubmission): boolean {
  const [source, target, options] = task.request ?? [];
  return (
    source === intended.srpmUrl &&
    (target ?? null) === intended.target &&
    isXmlRpcStruct(options) &&
    options.scratch === true
  );
}
