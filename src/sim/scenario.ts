// The simulated Koji world: tags, targets, builds with their SRPM and binary RPMs, builder
// hosts and task outcomes. A scenario file is JSON validated against scenario.schema.json;
// `loadScenario` returns it normalized (every default filled in), so the hub never has to
// guess a default. Dependency strings everywhere use the srpms.jsonl form:
// "name", "name >= [E:]V[-R]" (operators = < > <= >=), or a rich dependency "(a or b)".

/** A whole simulated Koji instance at the simulated clock's start. */
export interface Scenario {
  name: string;
  /** Default "". */
  description: string;
  /** ISO 8601 timestamp at which the simulated clock starts, e.g. "2025-01-01T00:00:00Z". */
  startTime: string;
  /** Reported in the Koji-Version header and getKojiVersion; default "1.35.3". */
  kojiVersion: string;
  /** Channel names; default ["default", "createrepo"]. */
  channels: string[];
  hosts: SimHost[];
  tags: SimTag[];
  targets: SimTarget[];
  /** Builds existing at the start, in tagging order (a later build of a package is "latest"). */
  builds: SimBuild[];
  /** Repos READY at the start; default: one per distinct build tag of the targets. */
  repos: SimRepo[];
  /** Task outcomes: the first rule matching a task decides; default []. */
  taskRules: SimTaskRule[];
  /** Duration of a task that no rule (or a rule without durationSeconds) matches; default 1800. */
  defaultTaskDurationSeconds: number;
}

export interface SimHost {
  /** Default: position in `hosts` + 1. */
  id: number;
  name: string;
  /** Canonical arches the host builds, e.g. ["x86_64", "i386"]. */
  arches: string[];
  /** Default 2.0. */
  capacity: number;
  /** Load at the start (sum of running task weights); default 0.0. */
  taskLoad: number;
  /** Default true. */
  enabled: boolean;
  /** Default true. */
  ready: boolean;
  /** Channels the host is in; default: every channel of the scenario. */
  channels: string[];
  /** Default null. */
  description: string | null;
  /** Default null. */
  comment: string | null;
}

export interface SimTag {
  /** Default: position in `tags` + 1. */
  id: number;
  name: string;
  /** Arches of a build tag (getBuildConfig's `arches`); default []. */
  arches: string[];
  /** Inheritance parents by name, highest priority first; default []. */
  parents: string[];
  /** Permission name required to tag; default null. */
  perm: string | null;
  /** Default false. */
  locked: boolean;
  /** Comps groups of the tag (e.g. "build"); default []. */
  groups: SimGroup[];
  /**
   * The tag's own package list (listPackages). Default: every package with a build tagged
   * into this tag, owned by the owner of its first such build.
   */
  packages: SimTagPackage[];
}

export interface SimGroup {
  name: string;
  /** Default null. */
  description: string | null;
  packages: SimGroupPackage[];
}

export type SimGroupPackageType = "mandatory" | "default" | "optional" | "conditional";

export interface SimGroupPackage {
  package: string;
  /** Default "mandatory" (what Koji's groupPackageListAdd stores by default). */
  type: SimGroupPackageType;
  /** Default false. */
  blocked: boolean;
}

export interface SimTagPackage {
  name: string;
  /** Default false. */
  blocked: boolean;
  /** User name; default the scenario's default owner "kojiadmin". */
  owner: string;
}

export interface SimTarget {
  /** Default: position in `targets` + 1. */
  id: number;
  name: string;
  buildTag: string;
  destTag: string;
}

export interface SimBuild {
  /** Koji build id; default: position in `builds` + 1. */
  id: number;
  /** Package (source) name. */
  name: string;
  /** Default null. */
  epoch: number | null;
  version: string;
  release: string;
  /** User name; default "kojiadmin". */
  owner: string;
  /** Tags the build is tagged into at the start, in tagging order; default []. */
  tags: string[];
  srpm: SimSrpm;
  /** Binary RPMs of the build (the SRPM itself is implied); default []. */
  rpms: SimRpm[];
}

/** The SRPM headers Koschei and the builder look at. */
export interface SimSrpm {
  /** BuildRequires as dependency strings; default []. */
  buildRequires: string[];
  /** BUILDARCHS header (e.g. ["noarch"]); default []. */
  buildArchs: string[];
  /** EXCLUSIVEARCH header; default []. */
  exclusiveArch: string[];
  /** EXCLUDEARCH header; default []. */
  excludeArch: string[];
  /** File size in bytes; default 10000. */
  size: number;
}

/** A binary RPM; NEVR defaults to the build's, as rpmbuild does for subpackages. */
export interface SimRpm {
  name: string;
  /** Default: the build's epoch. */
  epoch: number | null;
  /** Default: the build's version. */
  version: string;
  /** Default: the build's release. */
  release: string;
  arch: string;
  /**
   * Default []; the package's own "name = [E:]V-R" is added when no provide has its name,
   * as rpmbuild does.
   */
  provides: string[];
  /** Pre-requires are not distinguished from requires. Default [] for all dependency lists. */
  requires: string[];
  conflicts: string[];
  obsoletes: string[];
  recommends: string[];
  suggests: string[];
  supplements: string[];
  enhances: string[];
  /** Absolute paths of the files the package contains; default []. */
  files: string[];
  /** Package size in bytes; default 10000. */
  size: number;
  /** One-line summary; default "<name> (simulated)". */
  summary: string;
}

/** A repo of a tag existing (READY) at the start. */
export interface SimRepo {
  /** Default: position in `repos` + 1. */
  id: number;
  tag: string;
}

/**
 * Decides how a build's tasks go. A rule matches a task when every condition it gives holds;
 * the first matching rule gives the duration and whether the task fails.
 */
export interface SimTaskRule {
  /** Glob (`*`, `?`) on the package name; default "*". */
  package: string;
  /** Task arch (e.g. "x86_64", "noarch" for the SRPM task); default: any. */
  arch: string | null;
  /** Condition: the build's repo contains a package providing this dependency ("foo >= 2"). */
  repoHas: string | null;
  /** Default: the scenario's defaultTaskDurationSeconds. */
  durationSeconds: number | null;
  /** The task fails (BuildError 1005); default false. */
  fail: boolean;
}
