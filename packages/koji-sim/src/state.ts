// The simulated Koji instance: users, tags with inheritance and tagging history, builds and
// their RPMs, repos, builder hosts, tasks that progress over simulated time, and sessions.
// Everything here is synchronous and free of I/O; the hub (hub.ts) turns it into XML-RPC
// answers and messages.ts publishes the events it emits.

import { randomBytes } from "node:crypto";
import { deserialize, serialize } from "node:v8";
import { canonArch } from "@koschei/koji-protocol/arches.js";
import { KojiFault, kojiFaultCode, type KojiErrorClass } from "@koschei/koji-protocol/faults.js";
import { taskRelPath } from "@koschei/koji-protocol/paths.js";
import { REPO_STATES } from "@koschei/koji-protocol/koji-types.js";
import type { XmlRpcStruct, XmlRpcValue } from "@koschei/koji-protocol/xmlrpc.js";
import { compareEvr, type Evr } from "@koschei/koji-protocol/evr.js";
import { KojiBuildState, KojiTaskState } from "@koschei/koji-protocol/koji-states.js";
import { parseDependency, type DependencyEntry } from "./rpmmd.js";
import type {
  Scenario,
  SimGroup,
  SimRpm,
  SimSrpm,
  SimTaskRule,
  NewBuild,
  SimGroupPackageType,
} from "./scenario.js";

/** Koji's repo state names, indexed by their numeric code. */
const REPO_STATE_NAMES = Object.keys(REPO_STATES);

/** Task weights as kojid's defaults give them (load on hosts is the sum of running weights). */
const WEIGHTS = { build: 0.2, srpm: 1.0, buildArch: 1.5, newRepo: 0.1, createrepo: 1.5 };
/** Seconds between a task becoming FREE and the scheduler considering it. */
const SCHEDULER_DELAY_SECONDS = 5;
/** Simulated duration of one createrepo task of a newRepo. */
const CREATEREPO_SECONDS = 60;
/** Sessions expire this long after login or renewal (Koji's SessionRenewalTimeout default). */
const SESSION_LIFETIME_SECONDS = 24 * 3600;
const ADMIN_USER = "kojiadmin";
/** The dist-git host of past builds' SCM URLs (a reserved name: nothing answers there). */
const SCM_HOST = "src.koji-sim.test";

/** Raises a Koji exception of the given class (answered as its fault code by the hub). */
export function kojiError(kojiClass: KojiErrorClass, message: string): KojiFault {
  return new KojiFault(kojiFaultCode(kojiClass), message);
}

/**
 * A fault stored as a failed task's result: getTaskResult re-raises it verbatim, so in a
 * multicall it carries no traceback (unlike exceptions raised by hub code).
 */
export class StoredFault extends KojiFault {}

// ---------------------------------------------------------------------------------------------
// Simulated time

/** The last simulated second: Koji's timestamps are Python datetimes, which end with year 9999. */
export const MAX_SIM_TIME = Date.UTC(9999, 11, 31, 23, 59, 59) / 1000;

/**
 * Simulated time in epoch seconds. With `speed` > 0 it runs `speed` simulated seconds per real
 * second (and stops at MAX_SIM_TIME); with speed 0 it only moves through `advance` (tests).
 * `advance` works in both modes.
 */
export class SimClock {
  private offset = 0;
  private readonly realStart = performance.now();

  constructor(
    readonly start: number,
    readonly speed: number = 0,
  ) {}

  now(): number {
    const running = this.speed > 0 ? ((performance.now() - this.realStart) / 1000) * this.speed : 0;
    return Math.min(MAX_SIM_TIME, this.start + this.offset + running);
  }

  advance(seconds: number): void {
    this.offset += seconds;
  }
}

/** Koji's timestamp text: `isoformat(' ')` in UTC, the fraction left out when zero. */
export function formatKojiTime(ts: number): string {
  const micros = Math.round(ts * 1e6);
  const seconds = Math.floor(micros / 1e6);
  const fraction = micros - seconds * 1e6;
  const base = new Date(seconds * 1000).toISOString().slice(0, 19).replace("T", " ");
  return `${base}${fraction ? `.${String(fraction).padStart(6, "0")}` : ""}+00:00`;
}

// ---------------------------------------------------------------------------------------------
// Dependencies and arches

/** EVR of a dependency entry; a release missing on either side is not compared (rpm's ranges). */
function entryOrder(provide: DependencyEntry, require: DependencyEntry): number {
  const bothReleases = provide.rel !== undefined && require.rel !== undefined;
  const evr = (e: DependencyEntry): Evr => ({
    epoch: Number(e.epoch ?? 0),
    version: e.ver ?? "",
    release: bothReleases ? e.rel! : null,
  });
  return compareEvr(evr(provide), evr(require));
}

/** Whether a provide ("foo = 2.1-1" or unversioned "foo") satisfies a requirement ("foo >= 2"). */
export function provideSatisfies(provide: DependencyEntry, require: DependencyEntry): boolean {
  if (provide.name !== require.name) return false;
  if (!require.flags || !provide.flags) return true;
  const order = entryOrder(provide, require);
  const sense = (flags: string, cmp: number) =>
    (flags.includes("E") && cmp === 0) ||
    (flags.startsWith("L") && cmp < 0) ||
    (flags.startsWith("G") && cmp > 0);
  // The provided range (relative to the required EVR) and the required range must overlap.
  if (provide.flags === "EQ") return sense(require.flags, order);
  if (require.flags === "EQ") return sense(provide.flags, -order);
  const provideUp = provide.flags.startsWith("G");
  const requireUp = require.flags.startsWith("G");
  if (provideUp === requireUp) return true;
  if (order === 0) return provide.flags.includes("E") && require.flags.includes("E");
  return provideUp ? order < 0 : order > 0;
}

/** A shell glob (`*`, `?`) as an anchored regular expression. */
export function globToRegExp(glob: string, flags = ""): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${escaped.replace(/\*/g, ".*").replace(/\?/g, ".")}$`, flags);
}

// ---------------------------------------------------------------------------------------------
// Records

export interface UserRecord {
  id: number;
  name: string;
  admin: boolean;
}

export interface TagPackageEntry {
  packageId: number;
  blocked: boolean;
  ownerId: number;
  /** The event that created the entry (Koji's tag_packages.create_event). */
  createEvent: number;
  /** The event that revoked it (a later entry replaced or removed it), or null. */
  revokeEvent: number | null;
}

export interface TagRecord {
  id: number;
  name: string;
  arches: string[];
  /** Parent tag ids, highest priority first. */
  parents: number[];
  perm: string | null;
  locked: boolean;
  groups: SimGroup[];
  /** The tag's own package list now: package id → current entry. */
  packages: Map<number, TagPackageEntry>;
  /** Every entry the tag's own list ever had, by package, oldest first (revoked ones too). */
  packageHistory: Map<number, TagPackageEntry[]>;
}

export interface TargetRecord {
  id: number;
  name: string;
  buildTagId: number;
  destTagId: number;
}

export interface RpmRecord {
  id: number;
  buildId: number;
  name: string;
  epoch: number | null;
  version: string;
  release: string;
  arch: string;
  size: number;
  buildtime: number;
  payloadhash: string;
  /** The buildroot of the task that built it; null for an imported build. */
  buildrootId: number | null;
  /** The binary package description; null for the SRPM. */
  binary: SimRpm | null;
}

export interface BuildRecord {
  id: number;
  packageId: number;
  name: string;
  epoch: number | null;
  version: string;
  release: string;
  state: number;
  ownerId: number;
  taskId: number | null;
  /** The SCM URL the build task built from (getBuild's `source`); null for an imported build. */
  source: string | null;
  createEvent: number;
  creationTs: number;
  startTs: number;
  completionTs: number;
  srpm: SimSrpm;
  srpmRpm: RpmRecord;
  rpms: RpmRecord[];
}

export interface TagHistoryEntry {
  tagId: number;
  buildId: number;
  createEvent: number;
  revokeEvent: number | null;
  creatorId: number;
}

export interface RepoRecord {
  id: number;
  tagId: number;
  createEvent: number;
  createTs: number;
  state: number;
  stateTs: number;
  taskId: number | null;
}

export interface HostRecord {
  id: number;
  userId: number;
  name: string;
  arches: string[];
  capacity: number;
  /** Load from outside the simulation (the scenario's starting load). */
  baseLoad: number;
  enabled: boolean;
  checkedIn: boolean;
  channelIds: number[];
  description: string | null;
  comment: string | null;
}

export interface ExternalRepoRecord {
  id: number;
  name: string;
  url: string;
}

export interface TagExternalRepoRecord {
  tagId: number;
  repoId: number;
  priority: number;
  mergeMode: string;
  arches: string | null;
}

export interface ChannelRecord {
  id: number;
  name: string;
}

/** What a task does when it runs (never exposed on the wire). */
type TaskPlan =
  | { kind: "build"; buildTagId: number | null; repoId: number | null; source: BuildRecord | null }
  | { kind: "srpm"; durationSeconds: number; fail: boolean; srpmName: string }
  | { kind: "buildArch"; durationSeconds: number; fail: boolean; rpmPaths: string[] }
  | { kind: "newRepo"; tagId: number; repoId: number | null }
  | { kind: "createrepo"; repoId: number }
  | { kind: "done" };

export interface TaskRecord {
  id: number;
  method: string;
  arch: string;
  label: string | null;
  parent: number | null;
  state: number;
  createTs: number;
  startTs: number | null;
  completionTs: number | null;
  channelId: number;
  hostId: number | null;
  owner: number;
  priority: number;
  weight: number;
  request: XmlRpcValue[];
  waiting: boolean | null;
  awaited: boolean | null;
  result: XmlRpcValue;
  fault: { code: number; message: string } | null;
  /** The scheduler considers a FREE task from this time on. */
  eligibleTs: number;
  /** A running leaf task finishes at this time. */
  endsTs: number | null;
  plan: TaskPlan;
}

/** What the creator of a task chooses; createTask fills in the rest. */
type NewTask = Pick<
  TaskRecord,
  "method" | "arch" | "label" | "parent" | "owner" | "priority" | "weight" | "request" | "plan"
> & { channel?: string };

/** A past task as recordFinishedTask takes it, and its creation, start and completion times. */
type FinishedTask = Omit<NewTask, "plan" | "channel">;
type TaskTimes = [created: number, started: number, completed: number];

export interface SessionRecord {
  id: number;
  key: string;
  userId: number;
  lastCallnum: number | null;
  renewedTs: number;
  closed: boolean;
}

/** Domain events, turned into buildsys.* messages by messages.ts. */
export type SimEvent =
  | { kind: "taskState"; taskId: number; old: number | null; new: number }
  | { kind: "tag"; tagId: number; buildId: number; userId: number }
  | { kind: "repoInit"; repoId: number }
  | { kind: "repoDone"; repoId: number };

// ---------------------------------------------------------------------------------------------
// The simulated hub

export class SimState {
  readonly kojiVersion: string;
  time: number;
  private lastEventId = 0;
  private readonly eventTimes = new Map<number, number>();
  // Ids look like a real hub's, in distinct ranges so that mixing kinds up shows in tests.
  private readonly ids = {
    user: 0,
    package: 1000,
    build: 0,
    rpm: 5_000_000,
    repo: 0,
    task: 10_000_000,
    session: 70_000,
    buildroot: 900_000,
    tag: 0,
    target: 0,
    externalRepo: 0,
  };
  readonly users = new Map<number, UserRecord>();
  readonly packages = new Map<number, string>();
  readonly tags = new Map<number, TagRecord>();
  readonly targets = new Map<number, TargetRecord>();
  readonly builds = new Map<number, BuildRecord>();
  readonly rpms = new Map<number, RpmRecord>();
  readonly repos = new Map<number, RepoRecord>();
  readonly hosts = new Map<number, HostRecord>();
  readonly channels = new Map<number, ChannelRecord>();
  readonly tasks = new Map<number, TaskRecord>();
  readonly sessions = new Map<number, SessionRecord>();
  readonly externalRepos = new Map<number, ExternalRepoRecord>();
  readonly tagExternalRepos: TagExternalRepoRecord[] = [];
  /** Unfinished tasks (the scheduler's working set), children by parent, load by host. */
  private readonly activeTasks = new Set<TaskRecord>();
  private readonly childTasks = new Map<number, TaskRecord[]>();
  private readonly runningWeight = new Map<number, number>();
  /** Binary RPMs per repo id; a repo's content is fixed by its event. */
  private readonly repoContent = new Map<number, RpmRecord[]>();
  /** Provides of a repo's binary RPMs by provided name, built when a task rule first asks. */
  private readonly repoProvidesByName = new Map<number, Map<string, DependencyEntry[]>>();
  /** Lookup indexes: package id by name, build by "N-V-R", RPM by "N-V-R.A". */
  private readonly packageIds = new Map<string, number>();
  private readonly buildsByNvr = new Map<string, BuildRecord>();
  private readonly rpmsByNvra = new Map<string, RpmRecord>();
  /**
   * The tagging history (Koji's tag_listing), indexed so that whole-tag queries cost the size
   * of the tag, not of the history: entries per tag and per (tag, package) in creation order
   * (each tagging is its own event, so that is also event order), and the current (not
   * revoked) entry per (build, tag).
   */
  private readonly historyByTag = new Map<number, TagHistoryEntry[]>();
  private readonly historyByTagPackage = new Map<number, Map<number, TagHistoryEntry[]>>();
  private readonly currentTagging = new Map<number, Map<number, TagHistoryEntry>>();
  private readonly taskRules: SimTaskRule[];
  private readonly defaultDuration: number;
  private readonly listeners: ((event: SimEvent) => void)[] = [];

  constructor(scenario: Scenario) {
    this.kojiVersion = scenario.kojiVersion;
    this.taskRules = scenario.taskRules;
    this.defaultDuration = scenario.defaultTaskDurationSeconds;
    const start = Date.parse(scenario.startTime) / 1000;
    if (Number.isNaN(start))
      throw new Error(`scenario startTime is not a date: ${scenario.startTime}`);
    // The world before the start: builds were made an hour apart, the repos a minute before.
    this.time = start - 3600 * (scenario.builds.length + 1);
    this.lastEventId = 30_000;
    this.newEvent();
    this.loadScenario(scenario);
    this.time = start;
  }

  /**
   * The whole world as bytes, for a simulator that must outlive its process (the demo's data
   * directory). One structured-clone pass keeps the records shared between the maps and
   * indexes shared; the listeners belong to the process and are left out.
   */
  snapshot(): Buffer {
    return serialize({ ...this, listeners: [] });
  }

  /** The world `snapshot` saved, without listeners. */
  static restore(bytes: Buffer): SimState {
    const fields = deserialize(bytes) as Record<string, unknown>;
    if (typeof fields !== "object" || fields === null || !(fields.tasks instanceof Map)) {
      throw new Error("not a simulator snapshot");
    }
    return Object.assign(Object.create(SimState.prototype) as SimState, fields);
  }

  private loadScenario(scenario: Scenario): void {
    this.userByName(ADMIN_USER, true);
    scenario.channels.forEach((name, index) =>
      this.channels.set(index + 1, { id: index + 1, name }),
    );
    for (const tag of scenario.tags) {
      this.tags.set(tag.id, {
        id: tag.id,
        name: tag.name,
        arches: tag.arches,
        parents: [],
        perm: tag.perm,
        locked: tag.locked,
        // Copied: groupListAdd and groupPackageListAdd change them.
        groups: tag.groups.map((g) => ({ ...g, packages: [...g.packages] })),
        packages: new Map(),
        packageHistory: new Map(),
      });
    }
    for (const tag of scenario.tags) {
      const record = this.tags.get(tag.id)!;
      record.parents = tag.parents.map((name) => this.tagByName(name).id);
      for (const entry of tag.packages) {
        const packageId = this.packageId(entry.name);
        const ownerId = this.userByName(entry.owner).id;
        this.setPackageEntry(
          record,
          packageId,
          { blocked: entry.blocked, ownerId },
          this.lastEventId,
        );
      }
    }
    this.ids.tag = scenario.tags.reduce((max, t) => Math.max(max, t.id), 0);
    this.ids.target = scenario.targets.reduce((max, t) => Math.max(max, t.id), 0);
    for (const target of scenario.targets) {
      this.targets.set(target.id, {
        id: target.id,
        name: target.name,
        buildTagId: this.tagByName(target.buildTag).id,
        destTagId: this.tagByName(target.destTag).id,
      });
    }
    this.ids.build = scenario.builds.reduce((max, b) => Math.max(max, b.id), 0);
    for (const build of scenario.builds) {
      this.time += 3600;
      const record = this.addBuild({ ...build, id: build.id });
      for (const tagName of build.tags)
        this.tagBuild(this.tagByName(tagName), record, record.ownerId);
    }
    scenario.hosts.forEach((host) => {
      const user = this.userByName(host.name);
      this.hosts.set(host.id, {
        id: host.id,
        userId: user.id,
        name: host.name,
        arches: host.arches,
        capacity: host.capacity,
        baseLoad: host.taskLoad,
        enabled: host.enabled,
        checkedIn: host.ready,
        channelIds: host.channels.map((name) => this.channelByName(name).id),
        description: host.description,
        comment: host.comment,
      });
    });
    this.time += 3540;
    this.ids.repo = scenario.repos.reduce((max, r) => Math.max(max, r.id), 0);
    for (const repo of scenario.repos) {
      const record = this.createRepo(this.tagByName(repo.tag), null, repo.id);
      this.markRepoReady(record);
    }
    // Built in the repos of the start, which hold their dependencies (so that a client can
    // resolve them there), though Koji's repos hold only builds older than themselves.
    for (const build of scenario.builds) {
      if (build.imported) continue;
      const record = this.builds.get(build.id)!;
      const firstTag = build.tags[0] === undefined ? undefined : this.tagByName(build.tags[0]);
      const { target, repo } = this.buildTargetAndRepo(firstTag);
      this.recordBuildTask(record, target, repo, firstTag);
    }
  }

  // --- events and listeners ---------------------------------------------------------------

  onEvent(listener: (event: SimEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  private emit(event: SimEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** A new Koji event (every change to tags and repos happens in one). */
  newEvent(): number {
    const id = ++this.lastEventId;
    this.eventTimes.set(id, this.time);
    return id;
  }

  lastEvent(): { id: number; ts: number } {
    return { id: this.lastEventId, ts: this.eventTimes.get(this.lastEventId)! };
  }

  eventTime(eventId: number): number | undefined {
    return this.eventTimes.get(eventId);
  }

  // --- lookups ----------------------------------------------------------------------------

  userByName(name: string, admin = false): UserRecord {
    for (const user of this.users.values()) if (user.name === name) return user;
    const user = { id: ++this.ids.user, name, admin };
    this.users.set(user.id, user);
    return user;
  }

  packageId(name: string): number {
    let id = this.packageIds.get(name);
    if (id === undefined) {
      id = ++this.ids.package;
      this.packages.set(id, name);
      this.packageIds.set(name, id);
    }
    return id;
  }

  findPackage(info: XmlRpcValue): number | undefined {
    if (typeof info === "number") return this.packages.has(info) ? info : undefined;
    return typeof info === "string" ? this.packageIds.get(info) : undefined;
  }

  channelByName(name: string): ChannelRecord {
    for (const channel of this.channels.values()) if (channel.name === name) return channel;
    throw new Error(`unknown channel ${name}`);
  }

  /** A tag by id, name or {id|name} struct, or undefined. */
  findTag(info: XmlRpcValue): TagRecord | undefined {
    if (typeof info === "number") return this.tags.get(info);
    if (typeof info === "string") {
      for (const tag of this.tags.values()) if (tag.name === info) return tag;
      return undefined;
    }
    if (info && typeof info === "object" && !Array.isArray(info)) {
      const struct = info as Record<string, XmlRpcValue>;
      if (struct.id !== undefined) return this.findTag(struct.id);
      if (struct.name !== undefined) return this.findTag(struct.name);
    }
    return undefined;
  }

  tagByName(name: string): TagRecord {
    const tag = this.findTag(name);
    if (!tag) throw new Error(`unknown tag ${name}`);
    return tag;
  }

  findTarget(info: XmlRpcValue): TargetRecord | undefined {
    for (const target of this.targets.values()) {
      if (target.id === info || target.name === info) return target;
    }
    return undefined;
  }

  /** A build by id, "N-V-R" or {name, version, release} struct. */
  findBuild(info: XmlRpcValue): BuildRecord | undefined {
    if (typeof info === "number") return this.builds.get(info);
    if (typeof info === "string") return this.buildsByNvr.get(info);
    if (info && typeof info === "object" && !Array.isArray(info)) {
      const s = info as Record<string, XmlRpcValue>;
      if (typeof s.id === "number") return this.builds.get(s.id);
      return this.buildsByNvr.get(`${String(s.name)}-${String(s.version)}-${String(s.release)}`);
    }
    return undefined;
  }

  /** An RPM by id, "N-V-R.A" or {name, version, release, arch} struct (epoch ignored). */
  findRpm(info: XmlRpcValue): RpmRecord | undefined {
    if (typeof info === "number") return this.rpms.get(info);
    if (typeof info === "string") return this.rpmsByNvra.get(info);
    if (info && typeof info === "object" && !Array.isArray(info)) {
      const s = info as Record<string, XmlRpcValue>;
      const nvra = `${String(s.name)}-${String(s.version)}-${String(s.release)}.${String(s.arch)}`;
      return this.rpmsByNvra.get(nvra);
    }
    return undefined;
  }

  // --- tags, inheritance and tagged builds --------------------------------------------------

  /** The tag followed by its ancestors, depth first in priority order (readFullInheritance). */
  inheritanceChain(tag: TagRecord): TagRecord[] {
    // Depth first, parents in priority order, each tag once; iterative, as createTag may
    // chain tags deeper than a recursion could go.
    const chain = new Set<TagRecord>();
    const stack = [tag];
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (chain.has(current)) continue;
      chain.add(current);
      for (const parentId of current.parents.toReversed()) stack.push(this.tags.get(parentId)!);
    }
    return [...chain];
  }

  /** Arches of a build tag, inherited from the nearest tag that sets them. */
  inheritedArches(tag: TagRecord): string[] {
    return this.inheritanceChain(tag).find((t) => t.arches.length > 0)?.arches ?? [];
  }

  /**
   * The package's entry in the tag's list (the nearest along the inheritance), blocked or not,
   * now or at an event.
   */
  listedPackage(
    tag: TagRecord,
    packageId: number,
    event: number | null = null,
  ): { entry: TagPackageEntry; tag: TagRecord } | undefined {
    return listedAlong(this.inheritanceChain(tag), packageId, event);
  }

  /**
   * The package list, now or at an event; with inheritance the nearest tag's entry for each
   * package wins (readPackageList).
   */
  packageList(
    tag: TagRecord,
    inherit: boolean,
    event: number | null = null,
  ): { entry: TagPackageEntry; tag: TagRecord }[] {
    const seen = new Map<number, { entry: TagPackageEntry; tag: TagRecord }>();
    for (const current of inherit ? this.inheritanceChain(tag) : [tag]) {
      for (const entry of ownEntries(current, event)) {
        if (!seen.has(entry.packageId)) seen.set(entry.packageId, { entry, tag: current });
      }
    }
    return [...seen.values()];
  }

  /**
   * Replaces the tag's own entry for the package (or removes it, for null) in `event`: the
   * current entry is revoked and the new one created, as Koji's _pkglist_add/_pkglist_remove.
   */
  private setPackageEntry(
    tag: TagRecord,
    packageId: number,
    data: { blocked: boolean; ownerId: number } | null,
    event: number,
  ): void {
    const previous = tag.packages.get(packageId);
    if (previous) previous.revokeEvent = event;
    tag.packages.delete(packageId);
    if (!data) return;
    const entry: TagPackageEntry = { packageId, ...data, createEvent: event, revokeEvent: null };
    tag.packages.set(packageId, entry);
    mapEntry(tag.packageHistory, packageId, () => []).push(entry);
  }

  /**
   * packageListBlock (Koji's pkglist_block with the default package_list policy): the package
   * must be listed (maybe by inheritance); an entry blocking it in this tag is added in a new
   * event, unless it is blocked there already (then nothing changes). Returns the event or null.
   */
  blockPackage(tag: TagRecord, packageId: number): number | null {
    const listed = this.listedPackage(tag, packageId);
    const name = this.packages.get(packageId)!;
    if (!listed)
      throw kojiError("GenericError", `Package ${name} is not in tag listing for ${tag.name}`);
    if (listed.entry.blocked) return null;
    const event = this.newEvent();
    this.setPackageEntry(tag, packageId, { blocked: true, ownerId: listed.entry.ownerId }, event);
    return event;
  }

  /**
   * packageListUnblock (Koji's pkglist_unblock): a block inherited from a parent is overridden
   * by an unblocked entry in this tag; a block in this tag is removed, and an unblocked entry
   * added when the inheritance would then still block it or not list it. In a new event.
   */
  unblockPackage(tag: TagRecord, packageId: number): number {
    const listed = this.listedPackage(tag, packageId);
    const name = this.packages.get(packageId)!;
    if (!listed)
      throw kojiError(
        "GenericError",
        `no data (blocked or otherwise) for package ${name} in tag ${tag.name}`,
      );
    if (!listed.entry.blocked)
      throw kojiError("GenericError", `package ${name} NOT blocked in tag ${tag.name}`);
    const event = this.newEvent();
    const unblocked = { blocked: false, ownerId: listed.entry.ownerId };
    if (listed.tag !== tag) {
      this.setPackageEntry(tag, packageId, unblocked, event);
    } else {
      this.setPackageEntry(tag, packageId, null, event);
      const next = this.listedPackage(tag, packageId);
      if (!next || next.entry.blocked) this.setPackageEntry(tag, packageId, unblocked, event);
    }
    return event;
  }

  /**
   * Builds tagged in a tag (COMPLETE, package listed and not blocked), newest tagging first,
   * at an event (default: now); with `latest` only the first per package along the chain.
   */
  taggedBuilds(
    tag: TagRecord,
    options: { event?: number | null; inherit?: boolean; latest?: boolean; packageName?: string },
  ): { build: BuildRecord; entry: TagHistoryEntry; tag: TagRecord }[] {
    const event = options.event ?? this.lastEventId;
    const packageId =
      options.packageName === undefined ? undefined : this.packageIds.get(options.packageName);
    if (options.packageName !== undefined && packageId === undefined) return [];
    const chain = this.inheritanceChain(tag);
    const allowed = (id: number) => {
      const listed = listedAlong(chain, id, options.event ?? null);
      return listed !== undefined && !listed.entry.blocked;
    };
    const result: { build: BuildRecord; entry: TagHistoryEntry; tag: TagRecord }[] = [];
    const seenPackages = new Set<number>();
    for (const current of options.inherit ? chain : [tag]) {
      const entries =
        (packageId === undefined
          ? this.historyByTag.get(current.id)
          : this.historyByTagPackage.get(current.id)?.get(packageId)) ?? [];
      const fromThisTag = new Set<number>();
      // Newest tagging first: creation order backwards.
      for (let i = entries.length - 1; i >= 0; i--) {
        const entry = entries[i]!;
        if (entry.createEvent > event) continue;
        if (entry.revokeEvent !== null && entry.revokeEvent <= event) continue;
        const build = this.builds.get(entry.buildId)!;
        if (build.state !== KojiBuildState.COMPLETE || !allowed(build.packageId)) continue;
        if (options.latest && seenPackages.has(build.packageId)) continue;
        fromThisTag.add(build.packageId);
        result.push({ build, entry, tag: current });
        if (options.latest) seenPackages.add(build.packageId);
      }
      for (const id of fromThisTag) seenPackages.add(id);
    }
    return result;
  }

  /** Whether the build is tagged in the tag now. */
  isTagged(tag: TagRecord, build: BuildRecord): boolean {
    return this.currentTagging.get(build.id)?.has(tag.id) ?? false;
  }

  /** Ids of the tags the build is tagged in now. */
  tagIdsOf(build: BuildRecord): number[] {
    return [...(this.currentTagging.get(build.id)?.keys() ?? [])];
  }

  /** Comps groups of a tag with inheritance (nearest definition of a group and entry wins). */
  tagGroups(
    tag: TagRecord,
    inherit: boolean,
  ): {
    name: string;
    tagId: number;
    description: string | null;
    packages: { name: string; type: SimGroupPackageType; blocked: boolean; tagId: number }[];
  }[] {
    const groups = new Map<
      string,
      {
        name: string;
        tagId: number;
        description: string | null;
        packages: Map<
          string,
          { name: string; type: SimGroupPackageType; blocked: boolean; tagId: number }
        >;
      }
    >();
    for (const current of inherit ? this.inheritanceChain(tag) : [tag]) {
      for (const group of current.groups) {
        let merged = groups.get(group.name);
        if (!merged) {
          merged = {
            name: group.name,
            tagId: current.id,
            description: group.description,
            packages: new Map(),
          };
          groups.set(group.name, merged);
        }
        for (const p of group.packages) {
          if (!merged.packages.has(p.package)) {
            merged.packages.set(p.package, {
              name: p.package,
              type: p.type,
              blocked: p.blocked,
              tagId: current.id,
            });
          }
        }
      }
    }
    return [...groups.values()].map((g) => ({ ...g, packages: [...g.packages.values()] }));
  }

  /** A stable id per comps group name (Koji's groups table). */
  groupId(name: string): number {
    const names = [...new Set([...this.tags.values()].flatMap((t) => t.groups.map((g) => g.name)))];
    return names.indexOf(name) + 1;
  }

  // --- builds -----------------------------------------------------------------------------

  private addBuild(spec: NewBuild & { id?: number }): BuildRecord {
    const owner = this.userByName(spec.owner ?? ADMIN_USER);
    const id = spec.id ?? ++this.ids.build;
    const packageId = this.packageId(spec.name);
    const epoch = spec.epoch ?? null;
    const buildtime = Math.floor(this.time);
    const rpm = (
      name: string,
      arch: string,
      size: number,
      binary: SimRpm | null,
      nevr = { epoch, version: spec.version, release: spec.release },
    ): RpmRecord => {
      const record: RpmRecord = {
        id: ++this.ids.rpm,
        buildId: id,
        name,
        ...nevr,
        arch,
        size,
        buildtime,
        payloadhash: pseudoHash(`${name}-${nevr.version}-${nevr.release}.${arch}`),
        buildrootId: null,
        binary,
      };
      this.rpms.set(record.id, record);
      this.rpmsByNvra.set(`${name}-${nevr.version}-${nevr.release}.${arch}`, record);
      return record;
    };
    const srpm = spec.srpm;
    const event = this.newEvent();
    const build: BuildRecord = {
      id,
      packageId,
      name: spec.name,
      epoch,
      version: spec.version,
      release: spec.release,
      state: KojiBuildState.COMPLETE,
      ownerId: owner.id,
      taskId: null,
      source: null,
      createEvent: event,
      creationTs: this.time - 1800,
      startTs: this.time - 1800,
      completionTs: this.time,
      srpm,
      srpmRpm: rpm(spec.name, "src", srpm.size, null),
      rpms: [],
    };
    build.rpms = spec.rpms.map((b) =>
      rpm(b.name, b.arch, b.size, b, { epoch: b.epoch, version: b.version, release: b.release }),
    );
    this.builds.set(id, build);
    this.buildsByNvr.set(`${build.name}-${build.version}-${build.release}`, build);
    return build;
  }

  private tagBuild(tag: TagRecord, build: BuildRecord, userId: number): void {
    const event = this.newEvent();
    const entry: TagHistoryEntry = {
      tagId: tag.id,
      buildId: build.id,
      createEvent: event,
      revokeEvent: null,
      creatorId: userId,
    };
    const buildTagging = mapEntry(this.currentTagging, build.id, () => new Map());
    const previous = buildTagging.get(tag.id);
    if (previous) previous.revokeEvent = event;
    buildTagging.set(tag.id, entry);
    mapEntry(this.historyByTag, tag.id, () => []).push(entry);
    const byPackage = mapEntry(this.historyByTagPackage, tag.id, () => new Map());
    mapEntry(byPackage, build.packageId, () => []).push(entry);
    if (!this.listedPackage(tag, build.packageId)) {
      const owner = { blocked: false, ownerId: build.ownerId };
      this.setPackageEntry(tag, build.packageId, owner, event);
    }
    this.emit({ kind: "tag", tagId: tag.id, buildId: build.id, userId });
  }

  /**
   * The target a build tagged first into `firstTag` was built from (the one with that
   * destination tag, else the first) and its build tag's READY repo; GenericError when missing.
   */
  private buildTargetAndRepo(firstTag: TagRecord | undefined): {
    target: TargetRecord;
    repo: RepoRecord;
  } {
    const targets = [...this.targets.values()];
    const target = targets.find((t) => t.destTagId === firstTag?.id) ?? targets[0];
    if (!target) throw kojiError("GenericError", "no build target to build from");
    const buildTag = this.tags.get(target.buildTagId)!;
    const repo = this.latestRepo(buildTag, { state: REPO_STATES.READY });
    if (!repo) throw kojiError("GenericError", `No repo available for tag ${buildTag.name}`);
    return { target, repo };
  }

  /**
   * The finished `build` task that made a build, as kojid leaves it: a buildSRPMFromSCM child,
   * one buildArch child per arch (kojid's choice; for a build whose SRPM excludes every arch of
   * the tag, the arches of its binaries), all against `repo`, and a tagBuild child when the
   * build went into the target's destination tag (else it was built with skip_tag and tagged
   * by hand). The tasks ran in the half hour before the build's completion.
   */
  private recordBuildTask(
    build: BuildRecord,
    target: TargetRecord,
    repo: RepoRecord,
    firstTag: TagRecord | undefined,
  ): void {
    const buildTag = this.tags.get(target.buildTagId)!;
    const nvr = `${build.name}-${build.version}-${build.release}`;
    const skipTag = firstTag?.id !== target.destTagId;
    const source = `git+https://${SCM_HOST}/rpms/${build.name}.git?#${gitCommitId(nvr)}`;
    const started = build.startTs;
    const completed = build.completionTs;
    const parent = this.recordFinishedTask(
      {
        method: "build",
        arch: "noarch",
        label: null,
        parent: null,
        owner: build.ownerId,
        priority: 20,
        weight: WEIGHTS.build,
        request: [source, target.name, skipTag ? { skip_tag: true } : {}],
      },
      [started - 300, started - 295, completed],
    );
    const child = (task: Omit<FinishedTask, "owner" | "parent">, times: TaskTimes) =>
      this.recordFinishedTask({ ...task, owner: build.ownerId, parent: parent.id }, times);
    const srpmTask = child(
      {
        method: "buildSRPMFromSCM",
        arch: "noarch",
        label: "srpm",
        priority: 19,
        weight: WEIGHTS.srpm,
        request: [source, buildTag.id, { repo_id: repo.id, scratch: null }],
      },
      [started - 290, started - 285, started],
    );
    const srpmPath = `${taskRelPath(srpmTask.id)}/${nvr}.src.rpm`;
    build.srpmRpm.buildrootId = ++this.ids.buildroot;
    srpmTask.result = srpmResult(srpmTask.id, srpmPath, build.srpmRpm.buildrootId);
    const buildrootByArch = new Map<string, number>();
    this.builtArches(build, buildTag).forEach((label, index) => {
      const task = child(
        {
          method: "buildArch",
          arch: canonArch(label),
          label,
          priority: 19,
          weight: WEIGHTS.buildArch,
          request: [srpmPath, buildTag.id, label, index === 0, { repo_id: repo.id }],
        },
        [started, started + 5, completed - 10],
      );
      const buildrootId = ++this.ids.buildroot;
      task.result = buildArchResult(task.id, archTaskRpms(build, label), buildrootId);
      buildrootByArch.set(label, buildrootId);
    });
    // Binaries of an arch no task has (noarch ones) come from the first task.
    const firstBuildroot = buildrootByArch.values().next().value!;
    for (const rpm of build.rpms) rpm.buildrootId = buildrootByArch.get(rpm.arch) ?? firstBuildroot;
    if (!skipTag) {
      child(
        {
          method: "tagBuild",
          arch: "noarch",
          label: "tag",
          priority: 19,
          weight: 1.0,
          request: [target.destTagId, build.id, false, null, true],
        },
        [completed - 10, completed - 8, completed],
      );
    }
    build.taskId = parent.id;
    build.source = source;
  }

  /** kojid's arches for a past build; those of its binaries when kojid would find none. */
  private builtArches(build: BuildRecord, buildTag: TagRecord): string[] {
    try {
      return this.buildArches(build, buildTag, {});
    } catch (error) {
      if (!(error instanceof KojiFault)) throw error;
      const arches = new Set(build.rpms.map((rpm) => rpm.arch));
      return arches.size > 0 ? [...arches] : ["noarch"];
    }
  }

  /**
   * A new COMPLETE build, tagged into `tag` (control interface): built by a build task in the
   * repo its build tag has now, or imported.
   */
  addTaggedBuild(tag: TagRecord, spec: NewBuild, userId?: number): BuildRecord {
    const existing = this.findBuild({
      name: spec.name,
      version: spec.version,
      release: spec.release,
    });
    if (existing)
      throw kojiError(
        "GenericError",
        `Build already exists: ${spec.name}-${spec.version}-${spec.release}`,
      );
    const builtIn = spec.imported ? null : this.buildTargetAndRepo(tag);
    const build = this.addBuild(spec);
    this.tagBuild(tag, build, userId ?? build.ownerId);
    if (builtIn) this.recordBuildTask(build, builtIn.target, builtIn.repo, tag);
    return build;
  }

  /** Tags an existing build (hub tagBuild); returns the id of the finished tagBuild task. */
  tagExistingBuild(tag: TagRecord, build: BuildRecord, user: UserRecord): number {
    const task = this.createTask({
      method: "tagBuild",
      arch: "noarch",
      label: null,
      parent: null,
      owner: user.id,
      priority: 10,
      weight: 0.1,
      request: [tag.id, build.id, false, null, false],
      plan: { kind: "done" },
    });
    this.tagBuild(tag, build, user.id);
    this.setTaskState(task, KojiTaskState.CLOSED);
    return task.id;
  }

  // --- tag administration (Koschei's repo_regen plugin) ----------------------------------

  createTag(
    name: string,
    parent: TagRecord | null,
    arches: string[],
    perm: string | null,
    locked: boolean,
  ): TagRecord {
    if (this.findTag(name))
      throw kojiError("GenericError", `A tag with the name '${name}' already exists`);
    this.newEvent();
    const tag: TagRecord = {
      id: ++this.ids.tag,
      name,
      arches,
      parents: parent ? [parent.id] : [],
      perm,
      locked,
      groups: [],
      packages: new Map(),
      packageHistory: new Map(),
    };
    this.tags.set(tag.id, tag);
    return tag;
  }

  createTarget(name: string, buildTag: TagRecord, destTag: TagRecord): TargetRecord {
    if (this.findTarget(name)) {
      throw kojiError("GenericError", `A build target with the name '${name}' already exists`);
    }
    this.newEvent();
    const target = { id: ++this.ids.target, name, buildTagId: buildTag.id, destTagId: destTag.id };
    this.targets.set(target.id, target);
    return target;
  }

  /** groupListAdd: the group in the tag's own list (a no-op when already visible there). */
  addGroup(tag: TagRecord, name: string, description: string | null): void {
    if (this.tagGroups(tag, true).some((g) => g.name === name)) return;
    this.newEvent();
    tag.groups.push({ name, description, packages: [] });
  }

  /** groupPackageListAdd: a package entry in the tag's group (the group must be visible). */
  addGroupPackage(
    tag: TagRecord,
    groupName: string,
    packageName: string,
    type: SimGroupPackageType,
    blocked: boolean,
  ): void {
    const visible = this.tagGroups(tag, true).find((g) => g.name === groupName);
    if (!visible)
      throw kojiError("GenericError", `group ${groupName} not present in tag ${tag.name}`);
    let own = tag.groups.find((g) => g.name === groupName);
    if (!own) {
      own = { name: groupName, description: visible.description, packages: [] };
      tag.groups.push(own);
    }
    this.newEvent();
    own.packages = own.packages.filter((p) => p.package !== packageName);
    own.packages.push({ package: packageName, type, blocked });
  }

  findExternalRepo(info: XmlRpcValue): ExternalRepoRecord | undefined {
    for (const repo of this.externalRepos.values()) {
      if (repo.id === info || repo.name === info) return repo;
    }
    return undefined;
  }

  createExternalRepo(name: string, url: string): ExternalRepoRecord {
    if (this.findExternalRepo(name)) {
      throw kojiError("GenericError", `An external repo named "${name}" already exists`);
    }
    this.newEvent();
    const repo = { id: ++this.ids.externalRepo, name, url: url.endsWith("/") ? url : `${url}/` };
    this.externalRepos.set(repo.id, repo);
    return repo;
  }

  addExternalRepoToTag(
    tag: TagRecord,
    repo: ExternalRepoRecord,
    priority: number,
    mergeMode: string,
    arches: string | null,
  ): void {
    if (!["koji", "simple", "bare"].includes(mergeMode)) {
      throw kojiError("GenericError", `No such merge mode: ${mergeMode}`);
    }
    const existing = this.tagExternalRepos.filter((t) => t.tagId === tag.id);
    if (existing.some((t) => t.repoId === repo.id)) {
      throw kojiError(
        "GenericError",
        `tag ${tag.name} already associated with external repo ${repo.name}`,
      );
    }
    if (existing.some((t) => t.priority === priority)) {
      throw kojiError(
        "GenericError",
        `tag ${tag.name} already associated with an external repo at priority ${priority}`,
      );
    }
    this.newEvent();
    this.tagExternalRepos.push({ tagId: tag.id, repoId: repo.id, priority, mergeMode, arches });
  }

  removeExternalRepoFromTag(tag: TagRecord, repo: ExternalRepoRecord): void {
    const index = this.tagExternalRepos.findIndex(
      (t) => t.tagId === tag.id && t.repoId === repo.id,
    );
    if (index < 0) {
      throw kojiError(
        "GenericError",
        `external repo ${repo.name} not associated with tag ${tag.name}`,
      );
    }
    this.newEvent();
    this.tagExternalRepos.splice(index, 1);
  }

  // --- repos ------------------------------------------------------------------------------

  private createRepo(tag: TagRecord, taskId: number | null, id?: number): RepoRecord {
    const repo: RepoRecord = {
      id: id ?? ++this.ids.repo,
      tagId: tag.id,
      createEvent: this.newEvent(),
      createTs: this.time,
      state: REPO_STATES.INIT,
      stateTs: this.time,
      taskId,
    };
    this.repos.set(repo.id, repo);
    this.emit({ kind: "repoInit", repoId: repo.id });
    return repo;
  }

  private markRepoReady(repo: RepoRecord): void {
    for (const other of this.repos.values()) {
      if (other.tagId === repo.tagId && other.state === REPO_STATES.READY) {
        other.state = REPO_STATES.EXPIRED;
        other.stateTs = this.time;
      }
    }
    repo.state = REPO_STATES.READY;
    repo.stateTs = this.time;
    this.emit({ kind: "repoDone", repoId: repo.id });
  }

  /** A new READY repo of the tag right now (control interface); older ones become EXPIRED. */
  regenerateRepo(tag: TagRecord): RepoRecord {
    const repo = this.createRepo(tag, null);
    this.markRepoReady(repo);
    return repo;
  }

  /** The newest repo of a tag in a state (or at an event), as getRepo selects it. */
  latestRepo(
    tag: TagRecord,
    options: { state?: number; event?: number | null },
  ): RepoRecord | undefined {
    const candidates = [...this.repos.values()].filter((r) => {
      if (r.tagId !== tag.id) return false;
      if (options.event !== undefined && options.event !== null)
        return r.createEvent <= options.event;
      return r.state === (options.state ?? REPO_STATES.READY);
    });
    return candidates.sort((a, b) => b.createTs - a.createTs || b.id - a.id)[0];
  }

  /** The binary RPMs a repo contains: latest builds of its tag (inherited) at its event. */
  repoRpms(repo: RepoRecord): RpmRecord[] {
    let rpms = this.repoContent.get(repo.id);
    if (!rpms) {
      const tag = this.tags.get(repo.tagId)!;
      rpms = this.taggedBuilds(tag, {
        event: repo.createEvent,
        inherit: true,
        latest: true,
      }).flatMap(({ build }) => build.rpms);
      this.repoContent.set(repo.id, rpms);
    }
    return rpms;
  }

  /** Whether some package in the repo provides the dependency (e.g. "foo >= 2"). */
  repoProvides(repo: RepoRecord, dependency: string): boolean {
    const wanted = parseDependency(dependency);
    let provides = this.repoProvidesByName.get(repo.id);
    if (!provides) {
      provides = new Map();
      for (const rpm of this.repoRpms(repo)) {
        for (const provide of rpmProvides(rpm))
          mapEntry(provides, provide.name, () => []).push(provide);
      }
      this.repoProvidesByName.set(repo.id, provides);
    }
    // A provide satisfies only requirements of its own name.
    return (provides.get(wanted.name) ?? []).some((p) => provideSatisfies(p, wanted));
  }

  // --- tasks ------------------------------------------------------------------------------

  /** A FREE task of the given fields, on the named channel (default "default"). */
  private createTask({ channel = "default", ...given }: NewTask): TaskRecord {
    const task: TaskRecord = {
      ...given,
      id: ++this.ids.task,
      state: KojiTaskState.FREE,
      createTs: this.time,
      startTs: null,
      completionTs: null,
      channelId: this.channelByName(channel).id,
      hostId: null,
      waiting: given.parent === null ? false : null,
      awaited: given.parent === null ? null : false,
      result: null,
      fault: null,
      eligibleTs: this.time + SCHEDULER_DELAY_SECONDS,
      endsTs: null,
    };
    this.registerTask(task);
    this.activeTasks.add(task);
    this.emit({ kind: "taskState", taskId: task.id, old: null, new: KojiTaskState.FREE });
    return task;
  }

  private registerTask(task: TaskRecord): void {
    this.tasks.set(task.id, task);
    if (task.parent !== null) mapEntry(this.childTasks, task.parent, () => []).push(task);
  }

  /**
   * A task that ran before now and CLOSED (a past build's), on the first host of the default
   * channel able to run it; no events, as its changes happened in the past.
   */
  private recordFinishedTask(
    given: FinishedTask,
    [createTs, startTs, completionTs]: TaskTimes,
  ): TaskRecord {
    const channelId = this.channelByName("default").id;
    const host = [...this.hosts.values()].find((h) => canRun(h, channelId, given.arch));
    const task: TaskRecord = {
      ...given,
      id: ++this.ids.task,
      state: KojiTaskState.CLOSED,
      createTs,
      startTs,
      completionTs,
      channelId,
      hostId: host?.id ?? null,
      waiting: given.parent === null ? false : null,
      awaited: given.parent === null ? null : false,
      result: null,
      fault: null,
      eligibleTs: createTs,
      endsTs: null,
      plan: { kind: "done" },
    };
    this.registerTask(task);
    return task;
  }

  private setTaskState(task: TaskRecord, state: number): void {
    const old = task.state;
    task.state = state;
    const weightOnHost = (sign: number) => {
      const current = this.runningWeight.get(task.hostId!) ?? 0;
      this.runningWeight.set(task.hostId!, current + sign * task.weight);
    };
    if (state === KojiTaskState.OPEN) {
      task.startTs = this.time;
      weightOnHost(+1);
    } else if (old === KojiTaskState.OPEN) {
      weightOnHost(-1);
    }
    if (SimState.isFinished(task)) {
      this.activeTasks.delete(task);
      task.completionTs = this.time;
      task.endsTs = null;
      if (task.waiting) task.waiting = false;
      if (task.awaited) task.awaited = false;
    }
    this.emit({ kind: "taskState", taskId: task.id, old, new: state });
  }

  static isFinished(task: TaskRecord): boolean {
    return (
      task.state === KojiTaskState.CLOSED ||
      task.state === KojiTaskState.FAILED ||
      task.state === KojiTaskState.CANCELED
    );
  }

  children(task: TaskRecord): TaskRecord[] {
    return this.childTasks.get(task.id) ?? [];
  }

  /** Current load of a host: its starting load plus the weights of the tasks running on it. */
  hostLoad(host: HostRecord): number {
    // Rounded so that adding and removing weights leaves no float residue.
    return Math.round((host.baseLoad + (this.runningWeight.get(host.id) ?? 0)) * 1e6) / 1e6;
  }

  /** Koji's `ready` flag: the host checked in and has room for more work. */
  hostReady(host: HostRecord): boolean {
    return host.enabled && host.checkedIn && this.hostLoad(host) < host.capacity;
  }

  /** Submits a build task (hub `build`); everything else happens as the build runs. */
  submitBuild(
    src: string,
    target: XmlRpcValue,
    opts: Record<string, XmlRpcValue>,
    priority: number,
    user: UserRecord,
  ): number {
    const task = this.createTask({
      method: "build",
      arch: "noarch",
      label: null,
      parent: null,
      owner: user.id,
      priority: 20 + priority,
      weight: WEIGHTS.build,
      request: [src, target, opts],
      plan: { kind: "build", buildTagId: null, repoId: null, source: null },
    });
    return task.id;
  }

  /** Submits a newRepo task (hub `newRepo`). */
  submitNewRepo(tag: TagRecord, user: UserRecord, options: Record<string, XmlRpcValue>): number {
    const request: XmlRpcValue[] = Object.keys(options).length
      ? [tag.name, { __starstar: true, ...options }]
      : [tag.name];
    return this.createTask({
      method: "newRepo",
      arch: "noarch",
      label: null,
      parent: null,
      owner: user.id,
      priority: 15,
      weight: WEIGHTS.newRepo,
      request,
      channel: "createrepo",
      plan: { kind: "newRepo", tagId: tag.id, repoId: null },
    }).id;
  }

  /** Cancels a task and its unfinished descendants (hub `cancelTask`). */
  cancelTask(task: TaskRecord): void {
    if (SimState.isFinished(task)) return;
    for (const child of this.children(task)) this.cancelTask(child);
    this.setTaskState(task, KojiTaskState.CANCELED);
  }

  /** The stored result of a finished task, re-raising a failure's fault (getTaskResult). */
  taskResult(task: TaskRecord): XmlRpcValue {
    if (task.state === KojiTaskState.CANCELED)
      throw kojiError("GenericError", `Task ${task.id} is canceled`);
    if (task.state === KojiTaskState.FAILED)
      throw new StoredFault(task.fault!.code, task.fault!.message);
    if (task.state !== KojiTaskState.CLOSED)
      throw kojiError("GenericError", `Task ${task.id} is not finished`);
    return task.result;
  }

  /** Runs the simulation up to `target` (epoch seconds): scheduling, task ends, follow-ups. */
  advanceTo(target: number): void {
    for (;;) {
      this.assignFreeTasks();
      const next = this.nextEventTime();
      if (next === null || next > target) break;
      this.time = Math.max(this.time, next);
      const ending = [...this.activeTasks]
        .filter((t) => t.state === KojiTaskState.OPEN && t.endsTs !== null && t.endsTs <= this.time)
        .sort((a, b) => a.endsTs! - b.endsTs! || a.id - b.id);
      for (const task of ending) if (task.state === KojiTaskState.OPEN) this.finishTask(task);
    }
    this.time = Math.max(this.time, target);
  }

  private nextEventTime(): number | null {
    let next: number | null = null;
    for (const task of this.activeTasks) {
      const at =
        task.state === KojiTaskState.OPEN
          ? task.endsTs
          : task.state === KojiTaskState.FREE && task.eligibleTs > this.time
            ? task.eligibleTs
            : null;
      if (at !== null && (next === null || at < next)) next = at;
    }
    return next;
  }

  private assignFreeTasks(): void {
    const waiting = [...this.activeTasks]
      .filter((t) => t.state === KojiTaskState.FREE && t.eligibleTs <= this.time)
      .sort((a, b) => a.priority - b.priority || a.id - b.id);
    for (const task of waiting) {
      const host = this.pickHost(task);
      if (!host) continue;
      task.hostId = host.id;
      this.setTaskState(task, KojiTaskState.ASSIGNED);
      this.setTaskState(task, KojiTaskState.OPEN);
      this.startTask(task);
    }
  }

  private pickHost(task: TaskRecord): HostRecord | undefined {
    const candidates = [...this.hosts.values()].filter((host) => {
      if (!host.enabled || !host.checkedIn || !canRun(host, task.channelId, task.arch))
        return false;
      const load = this.hostLoad(host);
      return load === 0 || load + task.weight <= host.capacity;
    });
    return candidates.sort(
      (a, b) => this.hostLoad(a) / a.capacity - this.hostLoad(b) / b.capacity || a.id - b.id,
    )[0];
  }

  private startTask(task: TaskRecord): void {
    const plan = task.plan;
    switch (plan.kind) {
      case "build":
        this.startBuild(task);
        return;
      case "srpm":
      case "buildArch":
        task.endsTs = this.time + plan.durationSeconds;
        return;
      case "newRepo":
        this.startNewRepo(task, plan);
        return;
      case "createrepo":
        task.endsTs = this.time + CREATEREPO_SECONDS;
        return;
      case "done":
        return;
    }
  }

  private failTask(task: TaskRecord, fault: KojiFault): void {
    task.fault = { code: fault.faultCode, message: fault.faultString };
    this.setTaskState(task, KojiTaskState.FAILED);
  }

  /** kojid's build handler: resolve the repo and the SRPM, then run the SRPM task. */
  private startBuild(task: TaskRecord): void {
    const [src, targetInfo, rawOpts] = task.request;
    const opts = (rawOpts && typeof rawOpts === "object" ? rawOpts : {}) as Record<
      string,
      XmlRpcValue
    >;
    let repo: RepoRecord | undefined;
    let buildTag: TagRecord | undefined;
    if (typeof opts.repo_id === "number") {
      repo = this.repos.get(opts.repo_id);
      if (!repo)
        return this.failTask(task, kojiError("BuildError", `No such repo: ${opts.repo_id}`));
      if (repo.state !== REPO_STATES.READY && repo.state !== REPO_STATES.EXPIRED) {
        return this.failTask(
          task,
          kojiError("BuildError", `Bad repo: ${repo.id} (${REPO_STATE_NAMES[repo.state]})`),
        );
      }
      buildTag = this.tags.get(repo.tagId);
    } else {
      const target = this.findTarget(targetInfo ?? null);
      if (!target)
        return this.failTask(
          task,
          kojiError("GenericError", `unknown build target: ${String(targetInfo)}`),
        );
      buildTag = this.tags.get(target.buildTagId)!;
      repo = this.latestRepo(buildTag, { state: REPO_STATES.READY });
      if (!repo)
        return this.failTask(
          task,
          kojiError("BuildError", `No repo available for tag ${buildTag.name}`),
        );
    }
    const source = this.buildForSource(String(src), targetInfo ?? null);
    if (!source) {
      return this.failTask(
        task,
        kojiError("GenericError", `Unable to find source rpm: ${String(src)}`),
      );
    }
    task.plan = { kind: "build", buildTagId: buildTag!.id, repoId: repo.id, source };
    const scm = /^git\+|^git:|\.git[#?]/.test(String(src));
    const rule = this.ruleFor(source.name, "noarch", repo);
    task.waiting = true;
    this.createTask({
      method: scm ? "buildSRPMFromSCM" : "rebuildSRPM",
      arch: "noarch",
      label: "srpm",
      parent: task.id,
      owner: task.owner,
      priority: task.priority - 1,
      weight: WEIGHTS.srpm,
      request: [String(src), buildTag!.id, { repo_id: repo.id, scratch: opts.scratch ?? null }],
      plan: {
        kind: "srpm",
        durationSeconds: rule.durationSeconds,
        fail: rule.fail,
        srpmName: `${source.name}-${source.version}-${source.release}.src.rpm`,
      },
    }).awaited = true;
  }

  /** The build whose SRPM a `build` source names: a packages/ path, or an SCM URL's package. */
  private buildForSource(src: string, targetInfo: XmlRpcValue): BuildRecord | undefined {
    const path = /packages\/([^/]+)\/([^/]+)\/([^/]+)\/src\/[^/]+\.src\.rpm$/.exec(src);
    if (path) return this.findBuild({ name: path[1]!, version: path[2]!, release: path[3]! });
    const scm = /\/([^/#?]+?)(?:\.git)?(?:[?#].*)?$/.exec(src);
    const target = this.findTarget(targetInfo);
    if (!scm || !target) return undefined;
    const destTag = this.tags.get(target.destTagId)!;
    return this.taggedBuilds(destTag, { inherit: true, latest: true, packageName: scm[1]! })[0]
      ?.build;
  }

  private ruleFor(
    packageName: string,
    arch: string,
    repo: RepoRecord,
  ): { durationSeconds: number; fail: boolean } {
    const rule = this.taskRules.find(
      (r) =>
        globToRegExp(r.package).test(packageName) &&
        (r.arch === null || r.arch === arch) &&
        (r.repoHas === null || this.repoProvides(repo, r.repoHas)),
    );
    return {
      durationSeconds: rule?.durationSeconds ?? this.defaultDuration,
      fail: rule?.fail ?? false,
    };
  }

  /**
   * kojid's getArchList: the tag's arches, replaced by the SRPM's BuildArch, narrowed by its
   * ExclusiveArch/ExcludeArch (noarch kept when asked for), replaced by a scratch build's
   * arch_override, and finally limited to arches whose canonical arch the tag has.
   */
  private buildArches(
    build: BuildRecord,
    buildTag: TagRecord,
    opts: Record<string, XmlRpcValue>,
  ): string[] {
    const tagArches = this.inheritedArches(buildTag);
    if (tagArches.length === 0) {
      throw kojiError("BuildError", `No arches for tag ${buildTag.name} [${buildTag.id}]`);
    }
    const { buildArchs, exclusiveArch, excludeArch } = build.srpm;
    let arches = buildArchs.length > 0 ? [...buildArchs] : [...tagArches];
    if (exclusiveArch.length > 0) arches = arches.filter((a) => exclusiveArch.includes(a));
    if (excludeArch.length > 0) arches = arches.filter((a) => !excludeArch.includes(a));
    if (
      !excludeArch.includes("noarch") &&
      (buildArchs.includes("noarch") || exclusiveArch.includes("noarch"))
    ) {
      arches.push("noarch");
    }
    const override = opts.arch_override;
    if (opts.scratch && typeof override === "string" && override.trim()) {
      arches = override.trim().split(/\s+/);
    }
    const tagCanon = new Set(tagArches.map(canonArch));
    const result = [...new Set(arches)].filter((a) => a === "noarch" || tagCanon.has(canonArch(a)));
    if (result.length === 0) throw kojiError("BuildError", "No matching arches were found");
    return result;
  }

  private finishTask(task: TaskRecord): void {
    const plan = task.plan;
    if (plan.kind === "srpm") {
      if (plan.fail) {
        return this.childFailed(
          task,
          kojiError(
            "BuildError",
            "error building srpm, mock exited with status 1; see root.log for more information",
          ),
        );
      }
      const srpmPath = `${taskRelPath(task.id)}/${plan.srpmName}`;
      task.result = srpmResult(task.id, srpmPath, ++this.ids.buildroot);
      this.setTaskState(task, KojiTaskState.CLOSED);
      this.startBuildArches(this.tasks.get(task.parent!)!, srpmPath);
    } else if (plan.kind === "buildArch") {
      if (plan.fail) {
        return this.childFailed(
          task,
          kojiError(
            "BuildError",
            `error building package (arch ${task.label}), mock exited with status 1; see build.log for more information`,
          ),
        );
      }
      task.result = buildArchResult(task.id, plan.rpmPaths, ++this.ids.buildroot);
      this.setTaskState(task, KojiTaskState.CLOSED);
      this.childClosed(task);
    } else if (plan.kind === "createrepo") {
      task.result = [
        `repos/${task.id}`,
        ["repomd.xml", "primary.xml.gz", "filelists.xml.gz", "other.xml.gz", "comps.xml"],
      ];
      this.setTaskState(task, KojiTaskState.CLOSED);
      this.childClosed(task);
    }
  }

  private startBuildArches(parent: TaskRecord, srpmPath: string): void {
    if (parent.plan.kind !== "build" || !parent.plan.source) return;
    const { source, repoId, buildTagId } = parent.plan;
    const repo = this.repos.get(repoId!)!;
    const opts = parent.request[2] as Record<string, XmlRpcValue>;
    let arches: string[];
    try {
      arches = this.buildArches(source, this.tags.get(buildTagId!)!, opts);
    } catch (error) {
      if (error instanceof KojiFault) return this.failTask(parent, error);
      throw error;
    }
    arches.forEach((label, index) => {
      const rule = this.ruleFor(source.name, canonArch(label), repo);
      const rpmPaths = archTaskRpms(source, label);
      this.createTask({
        method: "buildArch",
        arch: canonArch(label),
        label,
        parent: parent.id,
        owner: parent.owner,
        priority: parent.priority - 1,
        weight: WEIGHTS.buildArch,
        request: [srpmPath, buildTagId!, label, index === 0, { repo_id: repoId! }],
        plan: {
          kind: "buildArch",
          durationSeconds: rule.durationSeconds,
          fail: rule.fail,
          rpmPaths,
        },
      }).awaited = true;
    });
  }

  /** failany: a failed child fails its parent with the same fault and cancels the siblings. */
  private childFailed(task: TaskRecord, fault: KojiFault): void {
    this.failTask(task, fault);
    const parent = this.tasks.get(task.parent!)!;
    for (const sibling of this.children(parent)) this.cancelTask(sibling);
    if (parent.plan.kind === "newRepo" && parent.plan.repoId !== null) {
      const repo = this.repos.get(parent.plan.repoId)!;
      repo.state = REPO_STATES.PROBLEM;
      repo.stateTs = this.time;
    }
    this.failTask(parent, fault);
  }

  private childClosed(task: TaskRecord): void {
    const parent = this.tasks.get(task.parent!)!;
    if (!this.children(parent).every((c) => c.state === KojiTaskState.CLOSED)) return;
    if (parent.plan.kind === "newRepo") {
      const repo = this.repos.get(parent.plan.repoId!)!;
      this.markRepoReady(repo);
      parent.result = [repo.id, repo.createEvent];
    }
    this.setTaskState(parent, KojiTaskState.CLOSED);
  }

  private startNewRepo(task: TaskRecord, plan: Extract<TaskPlan, { kind: "newRepo" }>): void {
    const tag = this.tags.get(plan.tagId)!;
    const oldRepo = this.latestRepo(tag, { state: REPO_STATES.READY });
    const repo = this.createRepo(tag, task.id);
    plan.repoId = repo.id;
    const arches = this.inheritedArches(tag);
    if (arches.length === 0) {
      this.markRepoReady(repo);
      task.result = [repo.id, repo.createEvent];
      this.setTaskState(task, KojiTaskState.CLOSED);
      return;
    }
    task.waiting = true;
    for (const arch of arches) {
      this.createTask({
        method: "createrepo",
        arch: canonArch(arch),
        label: arch,
        parent: task.id,
        owner: task.owner,
        priority: task.priority - 1,
        weight: WEIGHTS.createrepo,
        request: [repo.id, arch, oldRepo ? { id: oldRepo.id, tag_id: tag.id } : null],
        channel: "createrepo",
        plan: { kind: "createrepo", repoId: repo.id },
      }).awaited = true;
    }
  }

  // --- sessions ---------------------------------------------------------------------------

  /** sslLogin: a new session for the user (created on first login, as LoginCreatesUser). */
  login(userName: string, renew?: SessionRecord): SessionRecord {
    const user = this.userByName(userName);
    const key = `${user.id}-${randomKey(19)}`;
    if (renew) {
      renew.key = key;
      renew.renewedTs = this.time;
      renew.lastCallnum = null;
      return renew;
    }
    const session: SessionRecord = {
      id: ++this.ids.session,
      key,
      userId: user.id,
      lastCallnum: null,
      renewedTs: this.time,
      closed: false,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** Checks session credentials of a call; throws the AuthError family faults Koji raises. */
  checkSession(id: number, key: string, callnum: number | null, method: string): SessionRecord {
    const session = this.sessions.get(id);
    if (!session || session.closed || session.key !== key) {
      throw kojiError("AuthError", "Invalid session or bad credentials");
    }
    if (
      this.time - session.renewedTs > SESSION_LIFETIME_SECONDS &&
      method !== "sslLogin" &&
      method !== "login"
    ) {
      throw kojiError("AuthExpired", `session "${session.id}" has expired`);
    }
    if (callnum !== null && session.lastCallnum !== null && callnum < session.lastCallnum) {
      throw kojiError(
        "SequenceError",
        `${session.lastCallnum} > ${callnum} (session ${session.id})`,
      );
    }
    // The same number again is a client retrying a call the hub already carried out: a real
    // hub refuses to run it twice (kojihub/auth.py), so a lost answer never doubles a build.
    if (callnum !== null && callnum === session.lastCallnum) {
      throw kojiError(
        "RetryError",
        `unable to retry call ${callnum} (method ${method}) for session ${session.id}`,
      );
    }
    return session;
  }

  /** Remembers the call number of a logged-in call that went through. */
  recordCall(session: SessionRecord, callnum: number): void {
    session.lastCallnum = callnum;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** The entry active at an event: created at or before it, not revoked by then. */
function activeAt(entry: TagPackageEntry, event: number): boolean {
  return entry.createEvent <= event && (entry.revokeEvent === null || entry.revokeEvent > event);
}

/** A tag's own package list entries, now (null) or at an event. */
function ownEntries(tag: TagRecord, event: number | null): Iterable<TagPackageEntry> {
  if (event === null) return tag.packages.values();
  const entries: TagPackageEntry[] = [];
  for (const history of tag.packageHistory.values()) {
    const entry = history.find((e) => activeAt(e, event));
    if (entry) entries.push(entry);
  }
  return entries;
}

/** A package's entry in the first tag of an inheritance chain that lists it (now or at an event). */
function listedAlong(
  chain: TagRecord[],
  packageId: number,
  event: number | null,
): { entry: TagPackageEntry; tag: TagRecord } | undefined {
  for (const tag of chain) {
    const entry =
      event === null
        ? tag.packages.get(packageId)
        : tag.packageHistory.get(packageId)?.find((e) => activeAt(e, event));
    if (entry) return { entry, tag };
  }
  return undefined;
}

/** The map's value for the key, created by `create` when missing. */
function mapEntry<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/** Whether a host may take a task of the arch from the channel. */
function canRun(host: HostRecord, channelId: number, arch: string): boolean {
  return host.channelIds.includes(channelId) && (arch === "noarch" || host.arches.includes(arch));
}

/** The logs of a build task's child, relative to the topurl's work directory. */
function buildLogs(taskId: number): string[] {
  return ["build.log", "root.log", "state.log", "mock_output.log"].map(
    (name) => `${taskRelPath(taskId)}/${name}`,
  );
}

/** A finished rebuildSRPM/buildSRPMFromSCM task's result. */
function srpmResult(taskId: number, srpmPath: string, buildrootId: number): XmlRpcStruct {
  return { srpm: srpmPath, logs: buildLogs(taskId), brootid: buildrootId };
}

/** A finished buildArch task's result; `rpmNames` are the files it wrote. */
function buildArchResult(taskId: number, rpmNames: string[], buildrootId: number): XmlRpcStruct {
  return {
    brootid: buildrootId,
    logs: buildLogs(taskId),
    rpms: rpmNames.map((name) => `${taskRelPath(taskId)}/${name}`),
    srpms: [],
  };
}

/** The binary RPM files a buildArch task of the label writes: its arch's and the noarch ones. */
function archTaskRpms(build: BuildRecord, label: string): string[] {
  return build.rpms
    .filter((r) => r.arch === label || r.arch === "noarch")
    .map((r) => `${r.name}-${r.version}-${r.release}.${r.arch}.rpm`);
}

/** The provides of a binary RPM, with its own "name = [E:]V-R" as rpmbuild adds it. */
function rpmProvides(rpm: RpmRecord): DependencyEntry[] {
  const provides = (rpm.binary?.provides ?? []).map(parseDependency);
  if (!provides.some((p) => p.name === rpm.name)) {
    provides.push({
      name: rpm.name,
      flags: "EQ",
      epoch: String(rpm.epoch ?? 0),
      ver: rpm.version,
      rel: rpm.release,
    });
  }
  return provides;
}

/** A made-up 40-hex-digit git commit id, the same for the same text. */
function gitCommitId(text: string): string {
  // pseudoHash repeats its 16 digits; three different ones look like a real id.
  const digits = [1, 2, 3].map((n) => pseudoHash(`${n} ${text}`).slice(0, 16));
  return digits.join("").slice(0, 40);
}

function pseudoHash(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    h1 = Math.imul(h1 ^ text.charCodeAt(i), 16777619) >>> 0;
    h2 = Math.imul(h2 + text.charCodeAt(i), 2246822519) >>> 0;
  }
  return (h1.toString(16).padStart(8, "0") + h2.toString(16).padStart(8, "0")).repeat(2);
}

const KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomKey(length: number): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => KEY_ALPHABET[b % KEY_ALPHABET.length]).join("");
}
