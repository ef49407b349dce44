// Names and URLs of the external repos repo_regen attaches to the primary hub's build tags
// (spec 11 §5), and the multicall that copies comps groups. Pure.
import type { KojiTagGroup } from "@koschei/koji-protocol/koji-types.js";
import type { KojiApi } from "../../koji/api.js";
import type { KojiCall } from "../../koji/client.js";

/** `<collection>-<secondary repo id>`: one external repo per mirrored secondary repo. */
export function externalRepoName(collectionName: string, secondaryRepoId: number): string {
  return `${collectionName}-${secondaryRepoId}`;
}

/** A placeholder of `repo_url` this plugin does not fill. */
export class RepoUrlError extends Error {
  override name = "RepoUrlError";
}

/**
 * `secondary_koji_config.repo_url` filled in as Python's str.format would: `{build_tag}`,
 * `{repo_id}`, and `{arch}` as Koji's own `$arch` (the primary hub puts each arch in);
 * `{{` and `}}` are literal braces.
 */
export function externalRepoUrl(template: string, buildTag: string, repoId: number): string {
  const values: Record<string, string> = {
    build_tag: buildTag,
    repo_id: String(repoId),
    arch: "$arch",
  };
  return template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (token, name: string | undefined) => {
    if (token === "{{") return "{";
    if (token === "}}") return "}";
    const value = values[name!];
    if (value === undefined) {
      throw new RepoUrlError(`repo_url has an unknown placeholder {${name}}: ${template}`);
    }
    return value;
  });
}

/** Arches of a tag created on the primary hub: its build arches, or none when there are none. */
export function tagArches(buildArches: readonly string[]): string | null {
  return buildArches.length > 0 ? buildArches.join(",") : null;
}

/** One multicall's calls adding every group and each of its packages (type, blocked) to the tag. */
export function copyGroupCalls(
  primary: KojiApi,
  tag: string,
  groups: readonly KojiTagGroup[],
): KojiCall[] {
  return groups.flatMap((group) => [
    primary.groupListAddCall(tag, group.name),
    ...group.packagelist.map((entry) =>
      primary.groupPackageListAddCall(tag, group.name, entry.package, {
        type: entry.type,
        blocked: entry.blocked,
      }),
    ),
  ]);
}
