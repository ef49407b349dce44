// Typed wrappers of the hub methods Koschei calls. Arguments go the way Koschei sends them
// (koji-xmlrpc.md §10): required ones positional, options as keyword arguments; results are
// checked for their overall shape (struct, list, nil) and typed per types.ts.

import type { KojiCall, KojiClient, MultiCallResult } from "./client.js";
import { KojiFault, KojiProtocolError } from "@koschei/koji-protocol/faults.js";
import type {
  KojiBuildConfig,
  KojiBuildInfo,
  KojiBuildTarget,
  KojiChannel,
  KojiExternalRepo,
  KojiHost,
  KojiRepo,
  KojiRpm,
  KojiRpmDep,
  KojiTag,
  KojiTagExternalRepo,
  KojiTagGroup,
  KojiTaggedBuild,
  KojiTagPackage,
  KojiTaskInfo,
  RpmIdentifier,
} from "@koschei/koji-protocol/koji-types.js";
import {
  isXmlRpcStruct,
  type XmlRpcStruct,
  type XmlRpcValue,
} from "@koschei/koji-protocol/xmlrpc.js";

/** A tag, build, package… named by id or by name, as the hub accepts both. */
export type KojiRef = number | string;

type Options = Record<string, XmlRpcValue | undefined>;

export class KojiApi {
  constructor(readonly client: KojiClient) {}

  // --- hub

  async getAPIVersion(): Promise<number> {
    return integer("getAPIVersion", await this.client.call("getAPIVersion"));
  }

  async getKojiVersion(): Promise<string> {
    const version = await this.client.call("getKojiVersion");
    if (typeof version !== "string") throw shapeError("getKojiVersion", "a string", version);
    return version;
  }

  // --- repos, tags, targets, groups

  /** The newest repo of a tag in `state` (default READY), or null. */
  async getRepo(
    tag: KojiRef,
    options: { state?: number; event?: number; dist?: boolean } = {},
  ): Promise<KojiRepo | null> {
    return structOrNull<KojiRepo>("getRepo", await this.call("getRepo", [tag], options));
  }

  async repoInfo(repoId: number): Promise<KojiRepo | null> {
    return structOrNull<KojiRepo>("repoInfo", await this.call("repoInfo", [repoId]));
  }

  /** The tag's comps groups (faults for an unknown tag). */
  async getTagGroups(
    tag: KojiRef,
    options: { event?: number; inherit?: boolean; incl_blocked?: boolean } = {},
  ): Promise<KojiTagGroup[]> {
    return list<KojiTagGroup>("getTagGroups", await this.call("getTagGroups", [tag], options));
  }

  /** The tag with inherited arches and extra (faults for an unknown tag). */
  async getBuildConfig(tag: KojiRef, options: { event?: number } = {}): Promise<KojiBuildConfig> {
    return struct<KojiBuildConfig>(
      "getBuildConfig",
      await this.call("getBuildConfig", [tag], options),
    );
  }

  async getBuildTarget(target: KojiRef): Promise<KojiBuildTarget | null> {
    return structOrNull<KojiBuildTarget>(
      "getBuildTarget",
      await this.call("getBuildTarget", [target]),
    );
  }

  /** All build targets, or those matching `info` (id or name) and the build or destination tag. */
  async getBuildTargets(
    options: { info?: KojiRef; event?: number; buildTagID?: KojiRef; destTagID?: KojiRef } = {},
  ): Promise<KojiBuildTarget[]> {
    return list<KojiBuildTarget>(
      "getBuildTargets",
      await this.call("getBuildTargets", [], options),
    );
  }

  async getTag(tag: KojiRef, options: { event?: number } = {}): Promise<KojiTag | null> {
    return structOrNull<KojiTag>("getTag", await this.call("getTag", [tag], options));
  }

  async listTags(options: { build?: KojiRef; package?: KojiRef } = {}): Promise<KojiTag[]> {
    return list<KojiTag>("listTags", await this.call("listTags", [], options));
  }

  /** Packages listed in a tag (with `inherited`, through its parents), blocked ones included. */
  async listPackages(options: {
    tagID: KojiRef;
    inherited?: boolean;
    event?: number;
  }): Promise<KojiTagPackage[]> {
    return list<KojiTagPackage>("listPackages", await this.call("listPackages", [], options));
  }

  /** Complete builds tagged in a tag, newest first (faults for an unknown tag). */
  async listTagged(
    tag: KojiRef,
    options: {
      event?: number;
      inherit?: boolean;
      latest?: boolean | number;
      package?: string;
      owner?: string;
      type?: string;
    } = {},
  ): Promise<KojiTaggedBuild[]> {
    // The event goes positionally, as Koschei sends it.
    const { event, ...rest } = options;
    const args = event === undefined ? [tag] : [tag, event];
    return list<KojiTaggedBuild>("listTagged", await this.call("listTagged", args, rest));
  }

  // --- builds and rpms

  async getBuild(build: KojiRef | { name: string; version: string; release: string }) {
    return structOrNull<KojiBuildInfo>("getBuild", await this.call("getBuild", [build]));
  }

  async listBuilds(
    options: {
      packageID?: number;
      userID?: number;
      taskID?: number;
      state?: number;
      prefix?: string;
      queryOpts?: XmlRpcStruct;
    } = {},
  ): Promise<KojiBuildInfo[]> {
    return list<KojiBuildInfo>("listBuilds", await this.call("listBuilds", [], options));
  }

  async listRPMs(options: { buildID: number; arches?: string | string[] }): Promise<KojiRpm[]> {
    return list<KojiRpm>("listRPMs", await this.call("listRPMs", [], options));
  }

  async getRPMDeps(rpm: RpmIdentifier | number | string, depType?: number): Promise<KojiRpmDep[]> {
    const args: XmlRpcValue[] = depType === undefined ? [rpmRef(rpm)] : [rpmRef(rpm), depType];
    return list<KojiRpmDep>("getRPMDeps", await this.client.call("getRPMDeps", args));
  }

  /** getRPMDeps of many rpms through multicall: per rpm, its deps or the fault. */
  async getRPMDepsMany(
    rpms: RpmIdentifier[],
    depType: number,
  ): Promise<(KojiRpmDep[] | KojiFault)[]> {
    const calls = rpms.map((rpm) => ({ method: "getRPMDeps", args: [rpmRef(rpm), depType] }));
    return this.multi(calls, (value) => list<KojiRpmDep>("getRPMDeps", value));
  }

  /**
   * The requested rpm header fields, keyed as requested; `{}` when the rpm is unknown or its
   * file is gone.
   */
  async getRPMHeaders(
    rpm: RpmIdentifier | number,
    headers: string[],
  ): Promise<Record<string, XmlRpcValue>> {
    const answer = await this.call("getRPMHeaders", [], { rpmID: rpmRef(rpm), headers });
    // Python's falsy "no headers" may also arrive as nil.
    return answer === null ? {} : struct<Record<string, XmlRpcValue>>("getRPMHeaders", answer);
  }

  /** Submits a build (target null with opts.repo_id builds from that repo); returns the task id. */
  async build(
    src: string,
    target: string | null,
    opts: XmlRpcStruct,
    options: { priority?: number; channel?: string } = {},
  ): Promise<number> {
    return integer("build", await this.call("build", [src, target, opts], options));
  }

  /** Tags a build (a task on the hub); returns the task id. */
  async tagBuild(tag: KojiRef, build: KojiRef, options: { force?: boolean } = {}) {
    return integer("tagBuild", await this.call("tagBuild", [tag, build], options));
  }

  // --- tasks

  async getTaskInfo(taskId: number, options: { request?: boolean } = {}) {
    return structOrNull<KojiTaskInfo>(
      "getTaskInfo",
      await this.call("getTaskInfo", [taskId], options),
    );
  }

  /** getTaskInfo of many tasks through multicall: per task, its info (null if unknown) or fault. */
  async getTaskInfoMany(taskIds: number[]): Promise<(KojiTaskInfo | null | KojiFault)[]> {
    const calls = taskIds.map((id) => ({ method: "getTaskInfo", args: [id] }));
    return this.multi(calls, (value) => structOrNull<KojiTaskInfo>("getTaskInfo", value));
  }

  async getTaskChildren(taskId: number, options: { request?: boolean } = {}) {
    return list<KojiTaskInfo>(
      "getTaskChildren",
      await this.call("getTaskChildren", [taskId], options),
    );
  }

  /** getTaskChildren of many tasks through multicall. */
  async getTaskChildrenMany(
    taskIds: number[],
    options: { request?: boolean } = {},
  ): Promise<(KojiTaskInfo[] | KojiFault)[]> {
    const kwargs = definedOptions(options);
    const calls = taskIds.map((id) => ({ method: "getTaskChildren", args: [id], kwargs }));
    return this.multi(calls, (value) => list<KojiTaskInfo>("getTaskChildren", value));
  }

  /** A finished task's result; a failed task's stored fault is thrown as KojiFault. */
  async getTaskResult(taskId: number): Promise<XmlRpcValue> {
    return this.client.call("getTaskResult", [taskId]);
  }

  async cancelTask(taskId: number): Promise<void> {
    await this.client.call("cancelTask", [taskId]);
  }

  async listTasks(opts: XmlRpcStruct = {}, queryOpts: XmlRpcStruct = {}) {
    return list<KojiTaskInfo>("listTasks", await this.call("listTasks", [], { opts, queryOpts }));
  }

  // --- hosts

  async getChannel(channel: KojiRef): Promise<KojiChannel | null> {
    return structOrNull<KojiChannel>("getChannel", await this.call("getChannel", [channel]));
  }

  /** Hosts supporting any of `arches` (word match on their arch list). */
  async listHosts(
    options: { arches?: string[]; channelID?: KojiRef; ready?: boolean; enabled?: boolean } = {},
  ): Promise<KojiHost[]> {
    // Arches and channel go positionally, as Koschei sends them.
    const { arches, channelID, ...rest } = options;
    const args: XmlRpcValue[] =
      channelID !== undefined ? [arches ?? null, channelID] : arches ? [arches] : [];
    return list<KojiHost>("listHosts", await this.call("listHosts", args, rest));
  }

  // --- hub administration (repo_regen plugin)

  async newRepo(tag: KojiRef, options: { event?: number; src?: boolean } = {}): Promise<number> {
    return integer("newRepo", await this.call("newRepo", [tag], options));
  }

  async createTag(
    name: string,
    options: { parent?: KojiRef; arches?: string | null } = {},
  ): Promise<number> {
    return integer("createTag", await this.call("createTag", [name], options));
  }

  async createBuildTarget(name: string, buildTag: KojiRef, destTag: KojiRef): Promise<void> {
    await this.client.call("createBuildTarget", [name, buildTag, destTag]);
  }

  /** Calls for a multicall that copies a group into a tag (results are not interesting). */
  groupListAddCall(tag: KojiRef, group: string): KojiCall {
    return { method: "groupListAdd", args: [tag, group] };
  }

  groupPackageListAddCall(
    tag: KojiRef,
    group: string,
    packageName: string,
    options: { type?: string; blocked?: boolean } = {},
  ): KojiCall {
    return {
      method: "groupPackageListAdd",
      args: [tag, group, packageName],
      kwargs: definedOptions(options),
    };
  }

  async getTagExternalRepos(tag: KojiRef): Promise<KojiTagExternalRepo[]> {
    return list<KojiTagExternalRepo>(
      "getTagExternalRepos",
      await this.client.call("getTagExternalRepos", [tag]),
    );
  }

  async removeExternalRepoFromTag(tag: KojiRef, repo: KojiRef): Promise<void> {
    await this.client.call("removeExternalRepoFromTag", [tag, repo]);
  }

  async getExternalRepo(repo: KojiRef): Promise<KojiExternalRepo | null> {
    return structOrNull<KojiExternalRepo>(
      "getExternalRepo",
      await this.client.call("getExternalRepo", [repo]),
    );
  }

  async createExternalRepo(name: string, url: string): Promise<KojiExternalRepo> {
    return struct<KojiExternalRepo>(
      "createExternalRepo",
      await this.client.call("createExternalRepo", [name, url]),
    );
  }

  async addExternalRepoToTag(tag: KojiRef, repo: KojiRef, priority: number): Promise<void> {
    await this.client.call("addExternalRepoToTag", [tag, repo, priority]);
  }

  private call(method: string, args: XmlRpcValue[], options: Options = {}) {
    return this.client.call(method, args, definedOptions(options));
  }

  private async multi<T>(
    calls: KojiCall[],
    check: (value: XmlRpcValue) => T,
  ): Promise<(T | KojiFault)[]> {
    const outcomes: MultiCallResult[] = await this.client.multiCall(calls);
    return outcomes.map((outcome) => (outcome instanceof KojiFault ? outcome : check(outcome)));
  }
}

function definedOptions(options: Options): Record<string, XmlRpcValue> {
  const defined: Record<string, XmlRpcValue> = {};
  for (const [key, value] of Object.entries(options)) if (value !== undefined) defined[key] = value;
  return defined;
}

/** An rpm by id, "N-V-R.A", or NVRA struct (epoch is sent when known; the hub ignores it). */
function rpmRef(rpm: RpmIdentifier | number | string): XmlRpcValue {
  if (typeof rpm !== "object") return rpm;
  const { name, version, release, arch, epoch } = rpm;
  return typeof epoch === "number"
    ? { name, version, release, arch, epoch }
    : { name, version, release, arch };
}

function shapeError(method: string, expected: string, value: XmlRpcValue): KojiProtocolError {
  const got = Array.isArray(value)
    ? "an array"
    : value === null
      ? "nil"
      : isXmlRpcStruct(value)
        ? "a struct"
        : `a ${typeof value}`;
  return new KojiProtocolError(`${method} answered ${got}, expected ${expected}`);
}

function struct<T>(method: string, value: XmlRpcValue): T {
  if (!isXmlRpcStruct(value)) throw shapeError(method, "a struct", value);
  return value as T;
}

function structOrNull<T>(method: string, value: XmlRpcValue): T | null {
  return value === null ? null : struct<T>(method, value);
}

function list<T>(method: string, value: XmlRpcValue): T[] {
  if (!Array.isArray(value)) throw shapeError(method, "an array of structs", value);
  for (const item of value) {
    if (!isXmlRpcStruct(item)) throw shapeError(method, "an array of structs", value);
  }
  return value as T[];
}

function integer(method: string, value: XmlRpcValue): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw shapeError(method, "an integer", value);
  }
  return value;
}
