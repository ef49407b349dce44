// Reading build tasks: whether a failure was Koji's fault, and the repo a build used.

import type { KojiApi } from "./api.js";
import { KojiFault, KojiProtocolError } from "@koschei/koji-protocol/faults.js";
import type { KojiTaskInfo } from "@koschei/koji-protocol/koji-types.js";
import { isXmlRpcStruct } from "@koschei/koji-protocol/xmlrpc.js";

/**
 * Classifies what getTaskResult raised for a failed task: a lock conflict or a fault outside
 * Koji's error classes (a builder traceback, code 1) is Koji's fault, so the build says nothing
 * about the package; Koji errors such as BuildError are the package's failure.
 */
export function isKojiFaultOutcome(error: KojiFault): boolean {
  if (error.is("LockError")) return true;
  return !error.isKojiError;
}

/** Whether a finished task failed through Koji's fault rather than the package's. */
export async function isKojiFault(api: KojiApi, taskId: number): Promise<boolean> {
  try {
    await api.getTaskResult(taskId);
    return false;
  } catch (error) {
    if (error instanceof KojiFault) return isKojiFaultOutcome(error);
    throw error;
  }
}

/** Where each child method keeps its options struct (with repo_id) in its request. */
const OPTIONS_INDEX: Record<string, number> = { buildArch: 4, rebuildSRPM: 2 };

/**
 * The repo a build child task ran against: `repo_id` of a buildArch's or rebuildSRPM's options.
 * Null for other methods, a task fetched without its request, or options without a repo id.
 */
export function childTaskRepoId(child: KojiTaskInfo): number | null {
  const index = OPTIONS_INDEX[child.method];
  if (index === undefined || child.request == null) return null;
  const options = child.request[index];
  if (!isXmlRpcStruct(options)) {
    throw new KojiProtocolError(
      `task ${child.id} (${child.method}): request[${index}] is not an options struct`,
    );
  }
  const repoId = options.repo_id;
  return typeof repoId === "number" && repoId !== 0 ? repoId : null;
}
