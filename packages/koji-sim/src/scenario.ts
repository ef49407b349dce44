// The simulated Koji world: tags, targets, builds with their SRPM and binary RPMs, builder
// hosts and task outcomes. A scenario file is JSON validated against scenario.schema.json;
// `loadScenario` returns it normalized (every default filled in), so the hub never has to
// guess a default. Dependency strings everywhere use the srpms.jsonl form:
// "name", "name >= [E:]V[-R]" (operators = < > <= >=), or a rich dependency "(a or b)".

import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { FileTooLargeError, readTextFileBounded } from "./bounded-read.js";
import { formatEvr, parseDependency } from "./rpmmd.js";
import { validateAndFillDefaults, type JsonSchema } from "./scenario-validator.js";
import schemaJson from "./scenario.schema.json" with { type: "json" };

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
  /** User name; default "kojiadmin". */
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
  /**
   * Imported without a build task (task_id null); default false: the build comes with the
   * finished build task that made it, from the target whose destination tag is its first tag
   * (else the first target), in the repo its build tag has at the start.
   */
  imported: boolean;
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

/**
 * A scenario as written to a file: anything with a default may be left out (the schema says
 * which fields are required).
 */
export type ScenarioFile = DeepPartial<Scenario>;

export type DeepPartial<T> = T extends (infer U)[]
  ? DeepPartial<U>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** A build added after the start (the control interface's tag-build): a scenario build without id and tags. */
export type NewBuild = Omit<SimBuild, "id" | "tags">;

/** A scenario file that is not valid: every problem found, each naming its JSON path. */
export class ScenarioError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : "";
    super(`${source}: ${problems[0]}${more}`);
    this.name = "ScenarioError";
  }
}

/** The JSON Schema of scenario files (shipped next to this module). */
export const scenarioSchema: JsonSchema = schemaJson as JsonSchema;

/** A scenario build without the fields a new build does not have (its id is the hub's, its tag the request's). */
const newBuildSchema: JsonSchema = withoutProperties(scenarioSchema.$defs!.build!, ["id", "tags"]);

function withoutProperties(schema: JsonSchema, names: string[]): JsonSchema {
  const properties = Object.entries(schema.properties ?? {}).filter(
    ([name]) => !names.includes(name),
  );
  return { ...schema, properties: Object.fromEntries(properties) };
}

/**
 * Koji walks tag inheritance recursively in Python, whose default recursion limit is 1000:
 * deeper chains fail on a real hub.
 */
export const MAX_INHERITANCE_DEPTH = 1000;

/** The bundled demo scenario: scenarios/demo.json at the package root (beside dist/). */
export function bundledScenarioPath(): string {
  return fileURLToPath(new URL("../scenarios/demo.json", import.meta.url));
}

/** Reads, validates and normalizes a scenario file; the bundled demo when no path is given. */
export function loadScenario(path?: string): Scenario {
  const file = path ?? bundledScenarioPath();
  let text: string;
  try {
    text = readTextFileBounded(file);
  } catch (error) {
    if (error instanceof FileTooLargeError) throw new ScenarioError(file, [error.reason]);
    throw new ScenarioError(file, [`cannot read: ${(error as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(file, [`not JSON: ${(error as Error).message}`]);
  }
  return parseScenario(json, basename(file));
}

/**
 * Validates a parsed scenario against the schema and the cross-references the schema cannot
 * express, and fills every default in. `json` is modified in place and returned.
 */
export function parseScenario(json: unknown, source = "scenario"): Scenario {
  const problems = validateAndFillDefaults(scenarioSchema, json);
  if (problems.length > 0) throw new ScenarioError(source, problems);
  const scenario = json as Scenario;
  fillDerivedDefaults(scenario);
  const crossProblems = checkConsistency(scenario);
  if (crossProblems.length > 0) throw new ScenarioError(source, crossProblems);
  return scenario;
}

/** The defaults that depend on other parts of the scenario (constant ones are in the schema). */
function fillDerivedDefaults(scenario: Scenario): void {
  assignIds(scenario.hosts);
  assignIds(scenario.tags);
  assignIds(scenario.targets);
  assignIds(scenario.builds);
  for (const host of scenario.hosts) host.channels ??= [...scenario.channels];
  for (const build of scenario.builds) fillBuildDefaults(build);
  for (const tag of scenario.tags) tag.packages ??= taggedPackages(scenario.builds, tag.name);
  scenario.repos ??= [...new Set(scenario.targets.map((target) => target.buildTag))].map(
    (tag) => ({ tag }) as SimRepo,
  );
  assignIds(scenario.repos);
}

/** A build's binary RPMs take the build's EVR unless they give their own, and provide themselves. */
function fillBuildDefaults(build: NewBuild): void {
  for (const rpm of build.rpms) {
    if (rpm.epoch === undefined) rpm.epoch = build.epoch;
    rpm.version ??= build.version;
    rpm.release ??= build.release;
    rpm.summary ??= `${rpm.name} (simulated)`;
    if (!rpm.provides.some((provide) => parseDependency(provide).name === rpm.name)) {
      rpm.provides.unshift(`${rpm.name} = ${formatEvr(rpm.epoch, rpm.version, rpm.release)}`);
    }
  }
}

/**
 * Checks a new build (tag-build) exactly as a scenario build, and fills its defaults in (in
 * place); returns the problems, each naming its JSON path below `path`.
 */
export function checkNewBuild(json: unknown, path: string): string[] {
  const problems = validateAndFillDefaults(scenarioSchema, json, newBuildSchema, path);
  if (problems.length > 0) return problems;
  const build = json as NewBuild;
  fillBuildDefaults(build);
  return buildProblems(build, path);
}

/** Gives every item without an id the lowest id not taken (ids start at 1). */
function assignIds(items: { id: number }[]): void {
  const taken = new Set(items.map((item) => item.id).filter((id) => id !== undefined));
  let next = 1;
  for (const item of items) {
    if (item.id !== undefined) continue;
    while (taken.has(next)) next++;
    item.id = next++;
  }
}

function taggedPackages(builds: SimBuild[], tag: string): SimTagPackage[] {
  const packages = new Map<string, SimTagPackage>();
  for (const build of builds) {
    if (build.tags.includes(tag) && !packages.has(build.name)) {
      packages.set(build.name, { name: build.name, blocked: false, owner: build.owner });
    }
  }
  return [...packages.values()];
}

function checkConsistency(scenario: Scenario): string[] {
  const problems: string[] = [];
  const tagNames = new Set(scenario.tags.map((tag) => tag.name));
  const channels = new Set(scenario.channels);
  const requireTag = (name: string, path: string) => {
    if (!tagNames.has(name)) problems.push(`${path}: no tag named "${name}"`);
  };
  problems.push(...duplicates(scenario.hosts, "hosts", (host) => host.name, "name"));
  problems.push(...duplicates(scenario.hosts, "hosts", (host) => host.id, "id"));
  problems.push(...duplicates(scenario.tags, "tags", (tag) => tag.name, "name"));
  problems.push(...duplicates(scenario.tags, "tags", (tag) => tag.id, "id"));
  problems.push(...duplicates(scenario.targets, "targets", (target) => target.name, "name"));
  problems.push(...duplicates(scenario.targets, "targets", (target) => target.id, "id"));
  problems.push(
    ...duplicates(scenario.builds, "builds", (b) => `${b.name}-${b.version}-${b.release}`, "NVR"),
  );
  problems.push(...duplicates(scenario.builds, "builds", (build) => build.id, "id"));
  problems.push(...duplicates(scenario.repos, "repos", (repo) => repo.id, "id"));
  const rpms = scenario.builds.flatMap((build, b) =>
    build.rpms.map((rpm, r) => ({ rpm, path: `builds[${b}].rpms[${r}]` })),
  );
  problems.push(...duplicateNvras(rpms));
  scenario.hosts.forEach((host, h) =>
    host.channels.forEach((channel, c) => {
      if (!channels.has(channel))
        problems.push(`hosts[${h}].channels[${c}]: no channel named "${channel}"`);
    }),
  );
  scenario.tags.forEach((tag, t) => {
    tag.parents.forEach((parent, p) => requireTag(parent, `tags[${t}].parents[${p}]`));
    problems.push(...duplicates(tag.groups, `tags[${t}].groups`, (group) => group.name, "name"));
  });
  problems.push(...inheritanceProblems(scenario.tags));
  scenario.targets.forEach((target, t) => {
    requireTag(target.buildTag, `targets[${t}].buildTag`);
    requireTag(target.destTag, `targets[${t}].destTag`);
  });
  scenario.repos.forEach((repo, r) => requireTag(repo.tag, `repos[${r}].tag`));
  scenario.builds.forEach((build, b) => {
    build.tags.forEach((tag, t) => requireTag(tag, `builds[${b}].tags[${t}]`));
    problems.push(...buildProblems(build, `builds[${b}]`, false));
    if (!build.imported) problems.push(...buildTaskProblems(scenario, build, `builds[${b}]`));
  });
  scenario.taskRules.forEach((rule, r) => {
    if (rule.repoHas === null) return;
    try {
      parseDependency(rule.repoHas);
    } catch (error) {
      problems.push(`taskRules[${r}].repoHas: ${(error as Error).message}`);
    }
  });
  return problems;
}

/**
 * A scenario build's task ran in a target (the one whose destination tag is the build's first
 * tag, else the first target) against the repo its build tag has at the start.
 */
function buildTaskProblems(scenario: Scenario, build: SimBuild, path: string): string[] {
  const target = scenario.targets.find((t) => t.destTag === build.tags[0]) ?? scenario.targets[0];
  if (!target) {
    return [
      `${path}: a build task needs a target, and the scenario has none (or mark it imported)`,
    ];
  }
  if (!scenario.repos.some((repo) => repo.tag === target.buildTag)) {
    return [
      `${path}: built in target ${target.name}, whose build tag ${target.buildTag} has no repo in repos (or mark it imported)`,
    ];
  }
  return [];
}

/** The dependency lists of a binary RPM, in rpm-md order. */
export const dependencyKinds = [
  "provides",
  "requires",
  "conflicts",
  "obsoletes",
  "recommends",
  "suggests",
  "supplements",
  "enhances",
] as const;

export type DependencyKind = (typeof dependencyKinds)[number];

/**
 * What the schema cannot say about one build: dependency strings parse, the SRPM is not listed
 * as a binary; with `ownNvras` also that its binaries' NVRAs are distinct (a scenario checks
 * them across all builds at once).
 */
function buildProblems(build: NewBuild, path: string, ownNvras = true): string[] {
  const problems: string[] = [];
  checkDependencies(build.srpm.buildRequires, `${path}.srpm.buildRequires`, problems);
  build.rpms.forEach((rpm, r) => {
    if (rpm.arch === "src")
      problems.push(`${path}.rpms[${r}].arch: the SRPM is implied, list binary RPMs only`);
    for (const kind of dependencyKinds) {
      checkDependencies(rpm[kind], `${path}.rpms[${r}].${kind}`, problems);
    }
  });
  if (ownNvras) {
    problems.push(
      ...duplicateNvras(build.rpms.map((rpm, r) => ({ rpm, path: `${path}.rpms[${r}]` }))),
    );
  }
  return problems;
}

function duplicateNvras(rpms: { rpm: SimRpm; path: string }[]): string[] {
  return duplicates(
    rpms,
    "",
    ({ rpm }) => `${rpm.name}-${rpm.version}-${rpm.release}.${rpm.arch}`,
    "NVRA",
    ({ path }) => path,
  );
}

function checkDependencies(dependencies: string[], path: string, problems: string[]): void {
  dependencies.forEach((dependency, i) => {
    try {
      parseDependency(dependency);
    } catch (error) {
      problems.push(`${path}[${i}]: ${(error as Error).message}`);
    }
  });
}

function duplicates<T>(
  items: T[],
  path: string,
  key: (item: T) => string | number,
  what: string,
  itemPath: (item: T, index: number) => string = (_item, i) => `${path}[${i}]`,
): string[] {
  const seen = new Map<string | number, string>();
  const problems: string[] = [];
  items.forEach((item, i) => {
    const value = key(item);
    const first = seen.get(value);
    if (first !== undefined)
      problems.push(`${itemPath(item, i)}: same ${what} as ${first} (${value})`);
    else seen.set(value, itemPath(item, i));
  });
  return problems;
}

/**
 * Inheritance cycles, and chains deeper than MAX_INHERITANCE_DEPTH (the first tag reaching it).
 * Iterative: a scenario may chain thousands of tags.
 */
function inheritanceProblems(tags: SimTag[]): string[] {
  const indexByName = new Map(tags.map((tag, i) => [tag.name, i]));
  // Unknown parents are reported as such elsewhere.
  const parentsOf = tags.map((tag) => tag.parents.flatMap((name) => indexByName.get(name) ?? []));
  const visiting = new Set<number>();
  // Per finished tag: its chain's depth (itself = 1) and the parent it goes on through.
  const depth = new Map<number, number>();
  const deepestParent = new Map<number, number>();
  const problems: string[] = [];
  for (let root = 0; root < tags.length; root++) {
    if (depth.has(root)) continue;
    const stack = [{ tag: root, nextParent: 0 }];
    visiting.add(root);
    while (stack.length > 0) {
      const frame = stack.at(-1)!;
      const parents = parentsOf[frame.tag]!;
      if (frame.nextParent < parents.length) {
        const parent = parents[frame.nextParent++]!;
        if (visiting.has(parent)) {
          const chain = stack.slice(stack.findIndex((f) => f.tag === parent)).map((f) => f.tag);
          const names = [...chain, parent].map((t) => tags[t]!.name);
          problems.push(`tags: inheritance cycle ${names.join(" -> ")}`);
        } else if (!depth.has(parent)) {
          visiting.add(parent);
          stack.push({ tag: parent, nextParent: 0 });
        }
        continue;
      }
      let parentDepth = 0;
      for (const parent of parents) {
        const candidate = depth.get(parent) ?? 0;
        if (candidate > parentDepth) {
          parentDepth = candidate;
          deepestParent.set(frame.tag, parent);
        }
      }
      depth.set(frame.tag, parentDepth + 1);
      visiting.delete(frame.tag);
      stack.pop();
    }
  }
  const tooDeep = tags.findIndex((_tag, t) => depth.get(t)! > MAX_INHERITANCE_DEPTH);
  if (tooDeep >= 0) problems.push(tooDeepProblem(tags, tooDeep, deepestParent));
  return problems;
}

function tooDeepProblem(tags: SimTag[], tag: number, deepestParent: Map<number, number>): string {
  const chain = [tag];
  for (let t = deepestParent.get(tag); t !== undefined; t = deepestParent.get(t)) chain.push(t);
  const names = chain.map((t) => tags[t]!.name);
  const shown = [...names.slice(0, 3), "…", names.at(-1)!];
  return (
    `tags[${tag}].parents: inheritance deeper than ${MAX_INHERITANCE_DEPTH} tags ` +
    `(${names.length}: ${shown.join(" -> ")})`
  );
}
