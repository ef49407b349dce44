// Scenario generation from an rpm-md repository plus srpms.jsonl and build-group.json (the
// format of /work/shared/bench/): one build per source package, carrying its BuildRequires
// and the binaries whose rpm:sourcerpm names it, all tagged into one target's tags. A subset
// can be taken as a dependency-closed random sample, so that every build in it resolves.

import { readJsonFile, readTextFileBounded } from "./bounded-read.js";
import { canonArch } from "@koschei/koji-protocol/arches.js";
import { compareEvr } from "@koschei/koji-protocol/evr.js";
import { formatEvr, parseDependency, type DependencyEntry } from "./rpmmd.js";
import { readRpmmdRepo, type RepoBinary } from "./rpmmd-reader.js";
import {
  dependencyKinds,
  type DeepPartial,
  type Scenario,
  type ScenarioFile,
  type SimBuild,
  type SimRpm,
} from "./scenario.js";
import { provideSatisfies } from "./state.js";

/** One line of srpms.jsonl (a "group" member, used by the edge set's tests, is ignored). */
export interface SourcePackage {
  name: string;
  epoch: number | null;
  version: string;
  release: string;
  buildrequires: string[];
}

export interface FromRepoInput {
  /** Directory holding repodata/. */
  repoDir: string;
  /** srpms.jsonl. */
  srpmsPath: string;
  /** build-group.json (a JSON array of package names); no build group when absent. */
  buildGroupPath?: string;
}

export interface FromRepoOptions {
  name: string;
  description?: string;
  /** Target name; its build tag is "<target>-build", its destination tag "<target>". */
  target: string;
  startTime: string;
  /** Builder hosts to simulate. */
  hosts: number;
  /** Take only this many source packages, as a dependency-closed sample. */
  limit?: number;
  /** Seed of the sample's random choice. */
  seed: number;
}

export const defaultFromRepoOptions: FromRepoOptions = {
  name: "generated",
  target: "f99",
  startTime: "2025-01-01T00:00:00Z",
  hosts: 4,
  seed: 1,
};

/** The source material: sources, the repo's binaries, the build group. */
export interface RepoSources {
  sources: SourcePackage[];
  binaries: RepoBinary[];
  buildGroup: string[];
}

export async function readRepoSources(input: FromRepoInput): Promise<RepoSources> {
  const [repo, sources, buildGroup] = await Promise.all([
    readRpmmdRepo(input.repoDir),
    readSrpms(input.srpmsPath),
    input.buildGroupPath ? readBuildGroup(input.buildGroupPath) : Promise.resolve([]),
  ]);
  return { sources, binaries: repo.packages, buildGroup };
}

export async function readSrpms(path: string): Promise<SourcePackage[]> {
  const lines = readTextFileBounded(path).split("\n");
  const sources: SourcePackage[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${path}:${i + 1}`;
    let json: Partial<SourcePackage>;
    try {
      json = JSON.parse(line) as Partial<SourcePackage>;
    } catch (error) {
      throw new Error(`${where}: not JSON: ${(error as Error).message}`);
    }
    const { name, version, release, epoch, buildrequires } = json;
    if (typeof name !== "string" || typeof version !== "string" || typeof release !== "string") {
      throw new Error(`${where}: needs string "name", "version" and "release"`);
    }
    if (!Array.isArray(buildrequires) || buildrequires.some((dep) => typeof dep !== "string")) {
      throw new Error(`${where}: "buildrequires" must be an array of strings`);
    }
    if (epoch != null && !(Number.isInteger(epoch) && epoch >= 0)) {
      throw new Error(`${where}: "epoch" must be a whole number or null`);
    }
    sources.push({ name, version, release, epoch: epoch || null, buildrequires });
  });
  return sources;
}

async function readBuildGroup(path: string): Promise<string[]> {
  const json = readJsonFile(path);
  if (!Array.isArray(json) || json.some((name) => typeof name !== "string")) {
    throw new Error(`${path}: expected a JSON array of package names`);
  }
  return json as string[];
}

/** Builds the scenario; the result passes parseScenario. */
export function scenarioFromSources(input: RepoSources, options: FromRepoOptions): ScenarioFile {
  const builds = assignBinaries(input.sources, input.binaries);
  const { complete, providers } =
    options.limit === undefined
      ? { complete: builds, providers: [] }
      : sampleClosed(builds, input.buildGroup, options.limit, options.seed);
  const buildTag = `${options.target}-build`;
  const destTag = options.target;
  const tagged = [
    ...complete.map((build) => ({ build, tag: destTag })),
    ...providers.map((build) => ({ build, tag: buildTag })),
  ];
  const arches = [...new Set(tagged.flatMap(({ build }) => build.rpms.map((rpm) => rpm.arch)))]
    .filter((arch) => arch !== "noarch")
    .sort();
  const hostArches = arches.length > 0 ? [...new Set(arches.map(canonArch))] : ["x86_64"];
  return {
    name: options.name,
    ...(options.description ? { description: options.description } : {}),
    startTime: options.startTime,
    hosts: Array.from({ length: options.hosts }, (_, i) => ({
      name: `builder${String(i + 1).padStart(2, "0")}.sim`,
      arches: hostArches,
    })),
    tags: [
      { name: destTag },
      {
        name: buildTag,
        parents: [destTag],
        arches: arches.length > 0 ? arches : ["x86_64"],
        groups: [
          {
            name: "build",
            packages: input.buildGroup.map((name) => ({ package: name })),
          },
        ],
      },
    ],
    targets: [{ name: options.target, buildTag, destTag }],
    builds: orderForTagging(tagged).map(({ build, tag }) => compactBuild(build, tag)),
  };
}

/** A source package with its binaries, before it becomes a scenario build. */
interface SourceBuild {
  name: string;
  epoch: number | null;
  version: string;
  release: string;
  buildRequires: string[];
  rpms: SimRpm[];
}

/**
 * Gives every binary to the build named by its rpm:sourcerpm: the exact NVR when srpms.jsonl
 * has it, else the newest source of that name in srpms.jsonl, else a build made from the
 * sourcerpm's NVR (with no BuildRequires); a binary without sourcerpm becomes a build of its
 * own.
 */
function assignBinaries(sources: SourcePackage[], binaries: RepoBinary[]): SourceBuild[] {
  const builds: SourceBuild[] = sources.map((source) => ({
    name: source.name,
    epoch: source.epoch,
    version: source.version,
    release: source.release,
    buildRequires: source.buildrequires,
    rpms: [],
  }));
  const byNvr = new Map(builds.map((build) => [nvr(build), build]));
  const newestByName = new Map<string, SourceBuild>();
  for (const build of builds) {
    const known = newestByName.get(build.name);
    if (!known || compareEvr(evrOf(known), evrOf(build)) < 0) newestByName.set(build.name, build);
  }
  for (const { rpm, sourceRpm } of binaries) {
    const parsed = parseSourceRpm(sourceRpm) ?? {
      name: rpm.name,
      version: rpm.version,
      release: rpm.release,
    };
    let build = byNvr.get(nvr(parsed)) ?? newestByName.get(parsed.name);
    if (!build) {
      build = { ...parsed, epoch: rpm.epoch, buildRequires: [], rpms: [] };
      builds.push(build);
      byNvr.set(nvr(build), build);
    }
    build.rpms.push(rpm);
  }
  return builds;
}

/** "name-version-release.src.rpm" → its parts, or null when it is not that shape. */
export function parseSourceRpm(
  file: string,
): { name: string; version: string; release: string } | null {
  const match = /^(.+)-([^-]+)-([^-]+)\.src\.rpm$/.exec(file);
  return match ? { name: match[1]!, version: match[2]!, release: match[3]! } : null;
}

function nvr(build: { name: string; version: string; release: string }): string {
  return `${build.name}-${build.version}-${build.release}`;
}

function evrOf(build: SourceBuild) {
  return { epoch: build.epoch, version: build.version, release: build.release };
}

/** Koji's latest build is the last tagged: tag older builds of a package first. */
function orderForTagging<T extends { build: SourceBuild }>(builds: T[]): T[] {
  return [...builds].sort(({ build: a }, { build: b }) =>
    a.name === b.name ? compareEvr(evrOf(a), evrOf(b)) : a.name < b.name ? -1 : 1,
  );
}

/** The build as a scenario file entry, leaving out what the loader derives. */
function compactBuild(build: SourceBuild, tag: string): DeepPartial<SimBuild> {
  const noarchOnly = build.rpms.length > 0 && build.rpms.every((rpm) => rpm.arch === "noarch");
  return {
    name: build.name,
    ...(build.epoch ? { epoch: build.epoch } : {}),
    version: build.version,
    release: build.release,
    tags: [tag],
    srpm: {
      buildRequires: build.buildRequires,
      // A source whose binaries are all noarch is what BuildArch: noarch produces.
      ...(noarchOnly ? { buildArchs: ["noarch"] } : {}),
    },
    rpms: build.rpms.map((rpm) => compactRpm(rpm, build)),
  };
}

function compactRpm(rpm: SimRpm, build: SourceBuild): Partial<SimRpm> {
  const compact: Partial<SimRpm> = { name: rpm.name, arch: rpm.arch };
  if (rpm.epoch !== build.epoch) compact.epoch = rpm.epoch;
  if (rpm.version !== build.version) compact.version = rpm.version;
  if (rpm.release !== build.release) compact.release = rpm.release;
  const selfProvide = `${rpm.name} = ${formatEvr(rpm.epoch, rpm.version, rpm.release)}`;
  // The loader adds the self-provide back when no provide has the package's name.
  const provides =
    rpm.provides[0] === selfProvide &&
    !rpm.provides.slice(1).some((p) => parseDependency(p).name === rpm.name)
      ? rpm.provides.slice(1)
      : rpm.provides;
  if (provides.length > 0) compact.provides = provides;
  for (const kind of dependencyKinds) {
    if (kind !== "provides" && rpm[kind].length > 0) compact[kind] = rpm[kind];
  }
  if (rpm.files.length > 0) compact.files = rpm.files;
  compact.size = rpm.size;
  if (rpm.summary) compact.summary = rpm.summary;
  return compact;
}

// ---------------------------------------------------------------------------------------------
// Dependency-closed sampling

/** A dependency-closed sample: complete builds, and builds contributing some binaries only. */
interface Sample {
  /** Sources taken whole: their BuildRequires resolve and all their binaries are installable. */
  complete: SourceBuild[];
  /** Sources present only for some binaries that the others need (only those binaries kept). */
  providers: SourceBuild[];
}

/**
 * Picks `limit` complete sources (fewer when the repository has no more that resolve) such
 * that within the sample's binaries the build group and the BuildRequires of every complete
 * source resolve and every binary's Requires are satisfied. Other sources contribute just the
 * binaries needed (a source's whole build closure would be thousands of sources). It starts
 * from the build group's closure, then tries sources in a seeded random order. Weak
 * dependencies, conflicts and the conditional parts of rich dependencies are not followed.
 */
function sampleClosed(
  builds: SourceBuild[],
  buildGroup: string[],
  limit: number,
  seed: number,
): Sample {
  const index = new ProviderIndex(builds);
  const sample = new SampleState();
  const base = index.closure(buildGroup, [], sample, Infinity);
  if (!base) throw new Error("the build group cannot be satisfied from the repository");
  sample.add(base, index);
  // Cheapest first: passes admit sources needing at most 0, 1, 2, 4, … new sources, so the
  // sample grows around what it has instead of around a few sources with huge closures.
  const order = shuffled(builds.length, seed);
  for (let room = 0; sample.complete.size < limit && room <= builds.length; room = room * 2 || 1) {
    for (const candidate of order) {
      if (sample.complete.size >= limit) break;
      if (sample.complete.has(candidate)) continue;
      const added = index.closure([], [candidate], sample, room);
      if (added) sample.add(added, index);
    }
  }
  const complete = [...sample.complete].sort((a, b) => a - b).map((i) => builds[i]!);
  const providers = [...sample.sources]
    .filter((source) => !sample.complete.has(source))
    .sort((a, b) => a - b)
    .map((source) => ({
      ...builds[source]!,
      rpms: index
        .rpmsOf(source)
        .filter((rpm) => sample.rpms.has(rpm))
        .map((rpm) => index.rpm(rpm)),
    }));
  return { complete, providers };
}

/** What a sample holds so far: binary ids, sources touched, sources taken whole. */
class SampleState {
  readonly rpms = new Set<number>();
  readonly sources = new Set<number>();
  readonly complete = new Set<number>();

  add(addition: Addition, index: ProviderIndex): void {
    for (const rpm of addition.rpms) {
      this.rpms.add(rpm);
      this.sources.add(index.sourceOf(rpm));
    }
    for (const source of addition.complete) {
      this.complete.add(source);
      this.sources.add(source);
    }
  }
}

interface Addition {
  rpms: Set<number>;
  complete: Set<number>;
}

/** Who provides what among all binaries (by id), and which source each binary comes from. */
class ProviderIndex {
  private readonly rpms: SimRpm[] = [];
  private readonly sources: number[] = [];
  private readonly rpmsBySource: number[][] = [];
  private readonly byName = new Map<string, { rpm: number; entry: DependencyEntry }[]>();
  private readonly byFile = new Map<string, number[]>();
  private readonly parsed = new Map<string, RichNode>();
  private readonly providerCache = new Map<string, number[]>();

  constructor(private readonly builds: SourceBuild[]) {
    builds.forEach((build, source) => {
      const ids: number[] = [];
      for (const rpm of build.rpms) {
        const id = this.rpms.push(rpm) - 1;
        ids.push(id);
        this.sources.push(source);
        for (const provide of rpm.provides) {
          const entry = parseDependency(provide);
          push(this.byName, entry.name, { rpm: id, entry });
        }
        for (const file of rpm.files) push(this.byFile, file, id);
      }
      this.rpmsBySource.push(ids);
    });
  }

  rpm(id: number): SimRpm {
    return this.rpms[id]!;
  }

  sourceOf(rpm: number): number {
    return this.sources[rpm]!;
  }

  rpmsOf(source: number): number[] {
    return this.rpmsBySource[source]!;
  }

  /** Binaries providing a simple dependency, one with the dependency's own name first. */
  private providers(dependency: string): number[] {
    let rpms = this.providerCache.get(dependency);
    if (!rpms) {
      const wanted = parseDependency(dependency);
      const byProvide = (this.byName.get(wanted.name) ?? [])
        .filter(({ entry }) => provideSatisfies(entry, wanted))
        .map(({ rpm }) => rpm);
      const found = [...new Set([...byProvide, ...(this.byFile.get(wanted.name) ?? [])])];
      const ownName = (rpm: number) => Number(this.rpms[rpm]!.name === wanted.name);
      rpms = found.sort((a, b) => ownName(b) - ownName(a));
      this.providerCache.set(dependency, rpms);
    }
    return rpms;
  }

  private node(dependency: string): RichNode {
    let node = this.parsed.get(dependency);
    if (!node) {
      node = parseRich(dependency);
      this.parsed.set(dependency, node);
    }
    return node;
  }

  /**
   * What must be added to `sample` to satisfy `dependencies` and to take `sources` whole,
   * with everything that needs in turn; null when that touches more than `room` new sources
   * or some dependency has no provider at all.
   */
  closure(
    dependencies: string[],
    sources: number[],
    sample: SampleState,
    room: number,
  ): Addition | null {
    const added: Addition = { rpms: new Set(), complete: new Set() };
    const newSources = new Set<number>();
    const has = (rpm: number) => sample.rpms.has(rpm) || added.rpms.has(rpm);
    const queue = [...dependencies];
    const touch = (source: number): boolean => {
      if (sample.sources.has(source) || newSources.has(source)) return true;
      if (newSources.size >= room) return false;
      newSources.add(source);
      return true;
    };
    const includeRpm = (rpm: number): boolean => {
      if (has(rpm)) return true;
      if (!touch(this.sourceOf(rpm))) return false;
      added.rpms.add(rpm);
      queue.push(...this.rpms[rpm]!.requires);
      return true;
    };
    for (const source of sources) {
      if (!touch(source)) return null;
      added.complete.add(source);
      queue.push(...this.builds[source]!.buildRequires);
      for (const rpm of this.rpmsOf(source)) if (!includeRpm(rpm)) return null;
    }
    while (queue.length > 0) {
      const node = this.node(queue.pop()!);
      if (this.satisfied(node, has)) continue;
      for (const dependency of this.needed(node)) {
        const provider = this.providers(dependency)[0];
        if (provider === undefined || !includeRpm(provider)) return null;
      }
    }
    return added;
  }

  private satisfied(node: RichNode, has: (rpm: number) => boolean): boolean {
    if (typeof node === "string") return this.providers(node).some(has);
    const [first, , third] = node.operands;
    switch (node.operator) {
      case "or":
        return node.operands.some((operand) => this.satisfied(operand, has));
      case "and":
      case "with":
        return node.operands.every((operand) => this.satisfied(operand, has));
      case "without":
        return this.satisfied(first!, has);
      default: // if / unless: conditional; only an else branch makes it a requirement
        return third === undefined || this.satisfied(first!, has) || this.satisfied(third, has);
    }
  }

  /** Simple dependencies whose providers would satisfy `node` (unsatisfiable ones included). */
  private needed(node: RichNode): string[] {
    if (typeof node === "string") return [node];
    const [first, , third] = node.operands;
    switch (node.operator) {
      case "or": {
        const resolvable = node.operands.find((operand) => this.resolvable(operand));
        return this.needed(resolvable ?? first!);
      }
      case "and":
      case "with":
        return node.operands.flatMap((operand) => this.needed(operand));
      case "without":
        return this.needed(first!);
      default:
        if (third === undefined) return [];
        return this.needed(this.resolvable(first!) ? first! : third);
    }
  }

  private resolvable(node: RichNode): boolean {
    return this.needed(node).every((dependency) => this.providers(dependency).length > 0);
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** A rich dependency's tree: a simple dependency string, or an operator over operands. */
type RichNode = string | { operator: string; operands: RichNode[] };

const richOperators = new Set(["and", "or", "if", "else", "unless", "with", "without"]);

/** Parses "(a or (b >= 2 and c))"; a simple dependency is returned as is. */
export function parseRich(dependency: string): RichNode {
  if (!dependency.trim().startsWith("(")) return dependency.trim();
  const tokens = dependency.match(/[()]|[^\s()]+/g) ?? [];
  let position = 0;
  const group = (): RichNode => {
    if (tokens[position++] !== "(") throw new Error(`malformed rich dependency "${dependency}"`);
    const operands: RichNode[] = [];
    let operator: string | undefined;
    while (tokens[position] !== ")") {
      if (position >= tokens.length) throw new Error(`unbalanced rich dependency "${dependency}"`);
      if (operands.length > 0) {
        const word = tokens[position++]!;
        if (!richOperators.has(word))
          throw new Error(`unknown operator "${word}" in "${dependency}"`);
        if (word !== "else") operator ??= word;
      }
      operands.push(operand());
    }
    position++;
    return operands.length === 1 ? operands[0]! : { operator: operator!, operands };
  };
  const operand = (): RichNode => {
    if (tokens[position] === "(") return group();
    const name = tokens[position++]!;
    const comparison = tokens[position];
    if (comparison && /^[<>=]+$/.test(comparison)) {
      position += 2;
      return `${name} ${comparison} ${tokens[position - 1]}`;
    }
    return name;
  };
  return group();
}

/** The indices 0..n-1 in a random order fixed by `seed` (mulberry32 + Fisher-Yates). */
function shuffled(n: number, seed: number): number[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

// ---------------------------------------------------------------------------------------------
// Consistency

/** A dependency of a scenario that nothing in its builds satisfies. */
export interface UnsatisfiedDependency {
  /** "name-version-release.arch" of the binary, or "name-version-release.src" for BuildRequires. */
  of: string;
  dependency: string;
}

/**
 * The Requires of every binary, and the BuildRequires of every build in a target's
 * destination tag (the packages Koschei tracks), that no binary of the scenario satisfies,
 * whatever tag it is in. Conditional parts of rich dependencies are not checked.
 */
export function unsatisfiedDependencies(scenario: Scenario): UnsatisfiedDependency[] {
  const builds: SourceBuild[] = scenario.builds.map((build: SimBuild) => ({
    ...build,
    buildRequires: build.srpm.buildRequires,
  }));
  const index = new ProviderIndex(builds);
  const everything = new SampleState();
  everything.add(
    { rpms: new Set(builds.flatMap((_, i) => index.rpmsOf(i))), complete: new Set() },
    index,
  );
  const unsatisfied: UnsatisfiedDependency[] = [];
  const check = (of: string, dependency: string) => {
    if (!index.closure([dependency], [], everything, 0)) unsatisfied.push({ of, dependency });
  };
  const tracked = new Set(scenario.targets.map((target) => target.destTag));
  for (const build of scenario.builds) {
    if (build.tags.some((tag) => tracked.has(tag))) {
      for (const dependency of build.srpm.buildRequires) check(`${nvr(build)}.src`, dependency);
    }
    for (const rpm of build.rpms) {
      for (const dependency of rpm.requires) check(`${nvr(rpm)}.${rpm.arch}`, dependency);
    }
  }
  return unsatisfied;
}
