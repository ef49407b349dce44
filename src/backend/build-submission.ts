// Submitting a Koji scratch build of a package (02-scheduling.md §4 and §6), shared by the
// scheduler and `koschei-admin submit-build`: which arches to build for, then the `build`
// call and the running build row it leaves.
import type { Kysely, Selectable } from "kysely";
import { ARCH_HEADERS, splitWords, srpmArches } from "@koschei/koji-protocol/arches.js";
import type { XmlRpcStruct } from "@koschei/koji-protocol/xmlrpc.js";
import type { KojiConfig } from "../config/index.js";
import type { BuildTable, CollectionTable, Schema } from "../db/index.js";
import type { KojiApi } from "../koji/api.js";
import type { KojiSessions } from "../koji/sessions.js";
import { lastSrpm } from "../koji/srpm.js";

type CollectionPlacement = Pick<
  Selectable<CollectionTable>,
  "target" | "dest_tag" | "build_tag" | "secondary_mode" | "latest_repo_id"
>;

export interface PackageToBuild {
  id: number;
  name: string;
  arch_override: string | null;
  collection: CollectionPlacement;
}

/**
 * Packages with what building them needs: their collection's placement (collection_name,
 * target, dest_tag, build_tag, secondary_mode, latest_repo_id) and their last complete
 * build's version and release (null without one).
 */
export function selectPackagesToBuild(db: Kysely<Schema>) {
  return db
    .selectFrom("package")
    .innerJoin("collection", "collection.id", "package.collection_id")
    .leftJoin("build as last_complete", "last_complete.id", "package.last_complete_build_id")
    .select([
      "package.id",
      "package.name",
      "package.arch_override",
      "collection.name as collection_name",
      "collection.target",
      "collection.dest_tag",
      "collection.build_tag",
      "collection.secondary_mode",
      "collection.latest_repo_id",
      "last_complete.version",
      "last_complete.release",
    ]);
}

/** A row of selectPackagesToBuild as the package and its last complete build. */
export function packageToBuild(
  row: Omit<PackageToBuild, "collection"> &
    CollectionPlacement & { version: string | null; release: string | null },
): { pkg: PackageToBuild; lastCompleteBuild: { version: string; release: string } | null } {
  const { version, release } = row;
  return {
    pkg: { id: row.id, name: row.name, arch_override: row.arch_override, collection: row },
    lastCompleteBuild: version !== null && release !== null ? { version, release } : null,
  };
}

/** The arches of a build tag, inherited ones included (primary Koji's getBuildConfig). */
export async function fetchTagArches(primary: KojiApi, buildTag: string): Promise<string[]> {
  return splitWords((await primary.getBuildConfig(buildTag)).arches ?? "");
}

/**
 * The arches to build the package for (§4), from its last complete build's SRPM headers, its
 * arch override and `build_arches`; null when there is no such SRPM (no last complete build,
 * or Koji does not know it). A set with `noarch` means "let Koji choose".
 */
export async function allowedBuildArches(
  sessions: KojiSessions,
  pkg: PackageToBuild,
  lastCompleteBuild: { version: string; release: string } | null,
  tagArches: string[],
  buildArches: string[],
): Promise<Set<string> | null> {
  if (!lastCompleteBuild) return null;
  const srpm = { name: pkg.name, ...lastCompleteBuild, arch: "src" };
  const headers = await sessions.forCollection(pkg.collection).getRPMHeaders(srpm, ARCH_HEADERS);
  return srpmArches({ tagArches, headers, archOverride: pkg.arch_override, buildArches });
}

type SubmissionConfig = Pick<
  KojiConfig,
  "build_opts" | "task_priority" | "build_from_repo_id" | "srpm_relative_path_root"
>;

/**
 * Submits a scratch build of the package's latest SRPM in its collection's destination tag
 * (§6) and records it as a running build; null, with nothing submitted, when there is no SRPM.
 * `arches` null leaves the choice to Koji. The primary session must be logged in.
 */
export async function submitScratchBuild(
  db: Kysely<Schema>,
  sessions: KojiSessions,
  config: SubmissionConfig,
  pkg: PackageToBuild,
  arches: Iterable<string> | null,
): Promise<Selectable<BuildTable> | null> {
  const { collection } = pkg;
  const source = sessions.forCollection(collection);
  const srpm = await lastSrpm(
    source,
    collection.dest_tag,
    pkg.name,
    config.srpm_relative_path_root,
  );
  if (!srpm) return null;
  const options: XmlRpcStruct = { ...(config.build_opts as XmlRpcStruct) };
  if (arches) options.arch_override = [...arches].join(" ");
  let target: string | null = collection.target;
  let repoId: number | null = null;
  if (config.build_from_repo_id) {
    if (collection.latest_repo_id === null) {
      throw new Error(`collection of ${pkg.name} has no resolved repo to build from`);
    }
    target = null;
    repoId = collection.latest_repo_id;
    options.repo_id = repoId;
  }
  options.scratch = true;
  const taskId = await sessions.primary.build(srpm.url, target, options, {
    priority: config.task_priority,
  });
  return db
    .insertInto("build")
    .values({
      package_id: pkg.id,
      task_id: taskId,
      started: new Date(),
      epoch: srpm.srpm.epoch,
      version: srpm.srpm.version,
      release: srpm.srpm.release,
      repo_id: repoId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}
