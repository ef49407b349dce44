// Result shapes of the hub calls Koschei makes (koji-xmlrpc.md §8, §10). Fields present in the
// recorded 2014–2020 answers are required; fields only newer hubs send are optional. Times are
// the hub's strings; `*_ts` are epoch seconds.

import type { XmlRpcStruct, XmlRpcValue } from "./xmlrpc.js";

// Koji's task and build state codes are KojiTaskState and KojiBuildState in ../model/states.ts.

export const REPO_STATES = { INIT: 0, READY: 1, EXPIRED: 2, DELETED: 3, PROBLEM: 4 } as const;

export const DEP_TYPES = {
  REQUIRE: 0,
  PROVIDE: 1,
  OBSOLETE: 2,
  CONFLICT: 3,
  SUGGEST: 4,
  ENHANCE: 5,
  SUPPLEMENT: 6,
  RECOMMEND: 7,
} as const;

/** getRepo / repoInfo */
export interface KojiRepo {
  id: number;
  tag_id: number;
  tag_name: string;
  state: number;
  create_event: number;
  create_ts: number;
  creation_time: string;
  dist: boolean;
  creation_ts?: number;
  state_time?: string;
  state_ts?: number;
  begin_event?: number | null;
  begin_ts?: number | null;
  end_event?: number | null;
  end_ts?: number | null;
  opts?: XmlRpcStruct | null;
  custom_opts?: XmlRpcStruct | null;
  task_id?: number | null;
  task_state?: number | null;
}

/** getTagGroups → packagelist[] */
export interface KojiGroupPackage {
  package: string;
  type: string;
  blocked: boolean;
  group_id: number;
  tag_id: number;
  basearchonly: boolean | null;
  requires: string | null;
}

/** getTagGroups → grouplist[] */
export interface KojiGroupRequirement {
  group_id: number;
  tag_id: number;
  req_id: number;
  blocked: boolean;
  type: string;
  is_metapkg: boolean;
  name: string;
}

/** getTagGroups */
export interface KojiTagGroup {
  name: string;
  group_id: number;
  tag_id: number;
  blocked: boolean;
  exported: boolean;
  display_name: string;
  is_default: boolean | null;
  uservisible: boolean;
  description: string | null;
  langonly: string | null;
  biarchonly: boolean;
  packagelist: KojiGroupPackage[];
  grouplist: KojiGroupRequirement[];
}

/** getTag */
export interface KojiTag {
  id: number;
  name: string;
  perm_id: number | null;
  perm: string | null;
  /** Space-separated, or null when the tag has none. */
  arches: string | null;
  locked: boolean;
  maven_support: boolean;
  maven_include_all: boolean;
  extra?: XmlRpcStruct;
  query_event?: number;
}

/** getBuildConfig: the tag with inherited arches and extra. */
export interface KojiBuildConfig extends KojiTag {
  extra: XmlRpcStruct;
  config_inheritance?: XmlRpcStruct;
}

/** getBuildTarget / getBuildTargets */
export interface KojiBuildTarget {
  id: number;
  name: string;
  build_tag: number;
  build_tag_name: string;
  dest_tag: number;
  dest_tag_name: string;
}

/** listPackages with a tag */
export interface KojiTagPackage {
  package_id: number;
  package_name: string;
  tag_id: number;
  tag_name: string;
  extra_arches: string | null;
  blocked: boolean;
  owner_id?: number;
  owner_name?: string;
}

/** The build fields that listTagged, getBuild and listBuilds all send. */
export interface KojiBuildFields {
  id: number;
  name: string;
  package_name: string;
  package_id: number;
  version: string;
  release: string;
  epoch: number | null;
  nvr: string;
  state: number;
  task_id: number | null;
  owner_id: number;
  owner_name: string;
  volume_id: number;
  volume_name: string;
  creation_event_id: number;
  creation_time: string;
  completion_time: string | null;
  draft?: boolean;
  extra?: XmlRpcStruct | null;
}

/** listTagged */
export interface KojiTaggedBuild extends KojiBuildFields {
  build_id: number;
  tag_id: number;
  tag_name: string;
  start_time: string | null;
  promotion_time?: string | null;
  promoter_id?: number | null;
  promoter_name?: string | null;
  create_event?: number;
}

/** getBuild / listBuilds */
export interface KojiBuildInfo extends KojiBuildFields {
  build_id?: number;
  creation_ts: number;
  completion_ts: number | null;
  start_time?: string | null;
  start_ts?: number | null;
  source?: string | null;
  cg_id?: number | null;
  cg_name?: string | null;
}

/** listRPMs */
export interface KojiRpm {
  id: number;
  name: string;
  version: string;
  release: string;
  epoch: number | null;
  arch: string;
  nvr: string;
  build_id: number;
  buildroot_id: number | null;
  buildtime: number;
  /** Bytes; a bigint never occurs in practice but the wire allows it (i8). */
  size: number | bigint;
  payloadhash: string;
  external_repo_id: number;
  external_repo_name: string;
  metadata_only?: boolean;
  extra?: XmlRpcStruct | null;
  draft?: boolean;
}

/** What getRPMDeps and getRPMHeaders accept to name an rpm (epoch is ignored by the hub). */
export interface RpmIdentifier {
  name: string;
  version: string;
  release: string;
  arch: string;
  epoch?: number | null;
}

/** getRPMDeps */
export interface KojiRpmDep {
  name: string;
  /** "" when unversioned. */
  version: string;
  flags: number;
  type: number;
}

/** getTaskInfo / getTaskChildren / listTasks */
export interface KojiTaskInfo {
  id: number;
  state: number;
  method: string;
  arch: string;
  label: string | null;
  parent: number | null;
  owner: number;
  priority: number;
  weight: number;
  channel_id: number;
  host_id: number | null;
  waiting: boolean | null;
  awaited: boolean | null;
  create_time: string;
  create_ts: number;
  start_time: string | null;
  start_ts: number | null;
  completion_time: string | null;
  completion_ts: number | null;
  /** The call's decoded params; only with `request: true`. */
  request?: XmlRpcValue[];
}

/** getChannel (old hubs send only id and name). */
export interface KojiChannel {
  id: number;
  name: string;
  description?: string | null;
  enabled?: boolean;
  comment?: string | null;
}

/** listHosts */
export interface KojiHost {
  id: number;
  user_id: number;
  name: string;
  /** Space-separated canonical arches. */
  arches: string;
  capacity: number;
  task_load: number;
  ready: boolean;
  enabled: boolean;
  description: string | null;
  comment: string | null;
  update_ts?: number | null;
}

/** getTagExternalRepos */
export interface KojiTagExternalRepo {
  external_repo_id: number;
  external_repo_name: string;
  priority: number;
  tag_id: number;
  tag_name: string;
  url: string;
  merge_mode?: string;
  arches?: string | null;
}

/** getExternalRepo / createExternalRepo */
export interface KojiExternalRepo {
  id: number;
  name: string;
  url: string;
}
