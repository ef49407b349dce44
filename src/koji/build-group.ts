// The build group (04-depsolve.md §5): packages every buildroot of a tag gets installed.

import type { KojiApi } from "./api.js";
import type { KojiTagGroup } from "@koschei/koji-protocol/koji-types.js";

/**
 * Names of the group's unblocked default and mandatory packages (optional and conditional
 * ones are not installed); null when the tag has no such group.
 */
export function buildGroupPackages(groups: KojiTagGroup[], groupName: string): string[] | null {
  const group = groups.find((g) => g.name === groupName);
  if (!group) return null;
  return group.packagelist
    .filter((entry) => !entry.blocked && (entry.type === "default" || entry.type === "mandatory"))
    .map((entry) => entry.package);
}

/** The build group as it was when the repo was generated; null if the repo or group is gone. */
export async function fetchBuildGroup(
  api: KojiApi,
  tag: string,
  groupName: string,
  repoId: number,
): Promise<string[] | null> {
  const repo = await api.repoInfo(repoId);
  if (!repo) return null;
  const groups = await api.getTagGroups(tag, { event: repo.create_event });
  return buildGroupPackages(groups, groupName);
}
