// The SRPM a scratch build is made from: the latest build tagged in the destination tag
// (02-scheduling.md §6 step 2).

import type { KojiApi } from "./api.js";
import { rpmPath } from "@koschei/koji-protocol/paths.js";
import type { KojiRpm, KojiTaggedBuild } from "@koschei/koji-protocol/koji-types.js";

export interface LastSrpm {
  build: KojiTaggedBuild;
  srpm: KojiRpm;
  /** `<root>/packages/…/src/<nvr>.src.rpm`, as passed to Koji's `build`. */
  url: string;
}

/**
 * The SRPM of the package's latest build in `destTag` (inheritance followed), or null when
 * nothing is tagged or the build has no SRPM. `root` is `srpm_relative_path_root` (`..`, which
 * kojid resolves against its work directory) or the topurl.
 */
export async function lastSrpm(
  api: KojiApi,
  destTag: string,
  packageName: string,
  root: string,
): Promise<LastSrpm | null> {
  const [build] = await api.listTagged(destTag, {
    latest: true,
    package: packageName,
    inherit: true,
  });
  if (!build) return null;
  const [srpm] = await api.listRPMs({ buildID: build.build_id, arches: "src" });
  if (!srpm) return null;
  return { build, srpm, url: rpmPath(root, build, srpm) };
}
