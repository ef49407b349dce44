// The simulated hub's XML-RPC method table: argument binding with Python's rules and messages,
// Koji's result structs (field names and types of a 1.35 hub), sessions and multicall.

import { KojiFault } from "@koschei/koji-protocol/faults.js";
import {
  isXmlRpcStruct,
  splitKwargs,
  type XmlRpcStruct,
  type XmlRpcValue,
} from "@koschei/koji-protocol/xmlrpc.js";
import { DEP_TYPES, REPO_STATES } from "@koschei/koji-protocol/koji-types.js";
import { KojiTaskState } from "@koschei/koji-protocol/koji-states.js";
import { parseDependency } from "./rpmmd.js";
import type { SimGroupPackageType } from "./scenario.js";
import {
  SimState,
  StoredFault,
  formatKojiTime,
  globToRegExp,
  kojiError,
  type BuildRecord,
  type HostRecord,
  type RepoRecord,
  type RpmRecord,
  type SessionRecord,
  type TagHistoryEntry,
  type TagRecord,
  type TaskRecord,
  type UserRecord,
} from "./state.js";

/** What the HTTP layer knows about a call besides its method and params. */
export interface CallContext {
  /** Session credentials from the headers or the query string, if any. */
  sessionId: number | null;
  sessionKey: string | null;
  callnum: number | null;
  /** User name of a verified TLS client certificate on /ssllogin (SSL_CLIENT_VERIFY=SUCCESS). */
  clientCertUser: string | null;
  /** Whether the request came to the /ssllogin path. */
  sslLoginPath: boolean;
}

/** The session state of one call, after validation. */
interface Caller {
  session: SessionRecord | null;
  user: UserRecord | null;
  context: CallContext;
}

type Args = Record<string, XmlRpcValue>;

interface MethodDef {
  /** Python signature text, e.g. "tag, state=None, event=None"; `*args` and `**kw` allowed. */
  signature: string;
  /** The function name Python puts in binding errors (staticmethod exports use the internal one). */
  pythonName?: string;
  handler: (state: SimState, args: Args, caller: Caller) => XmlRpcValue;
}

interface Param {
  name: string;
  hasDefault: boolean;
  default: XmlRpcValue;
}

interface Signature {
  params: Param[];
  varargs: string | null;
  varkw: string | null;
}

function parseSignature(text: string): Signature {
  const signature: Signature = { params: [], varargs: null, varkw: null };
  for (const part of text
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    if (part.startsWith("**")) signature.varkw = part.slice(2);
    else if (part.startsWith("*")) signature.varargs = part.slice(1);
    else {
      const [name, literal] = part.split("=").map((p) => p.trim());
      signature.params.push({
        name: name!,
        hasDefault: literal !== undefined,
        default: literal === undefined ? null : pythonLiteral(literal),
      });
    }
  }
  return signature;
}

function pythonLiteral(text: string): XmlRpcValue {
  if (text === "None") return null;
  if (text === "True") return true;
  if (text === "False") return false;
  if (/^-?\d+$/.test(text)) return Number(text);
  if (/^'.*'$/.test(text)) return text.slice(1, -1);
  throw new Error(`unsupported default ${text}`);
}

/**
 * Binds positional and keyword arguments as Python does, with Python 3.10's error texts. The
 * results have no prototype: a keyword named "__proto__" or "constructor" is just a name.
 */
function bind(name: string, sig: Signature, positional: XmlRpcValue[], keywords: Args): Args {
  const fail = (message: string) => kojiError("ParameterError", `${name}() ${message}`);
  const bound: Args = Object.create(null) as Args;
  const extra: XmlRpcValue[] = [];
  positional.forEach((value, index) => {
    const param = sig.params[index];
    if (param) bound[param.name] = value;
    else extra.push(value);
  });
  if (extra.length > 0 && sig.varargs === null) {
    const required = sig.params.filter((p) => !p.hasDefault).length + 1;
    const total = sig.params.length + 1;
    const takes = required === total ? `${total}` : `from ${required} to ${total}`;
    const plural = total === 1 && required === total ? "argument" : "arguments";
    throw fail(`takes ${takes} positional ${plural} but ${positional.length + 1} were given`);
  }
  if (sig.varargs !== null) bound[sig.varargs] = extra;
  const rest: Args = Object.create(null) as Args;
  for (const [key, value] of Object.entries(keywords)) {
    if (sig.params.some((p) => p.name === key)) {
      if (key in bound) throw fail(`got multiple values for argument '${key}'`);
      bound[key] = value;
    } else if (sig.varkw !== null) {
      rest[key] = value;
    } else {
      throw fail(`got an unexpected keyword argument '${key}'`);
    }
  }
  if (sig.varkw !== null) bound[sig.varkw] = rest;
  const missing = sig.params
    .filter((p) => !p.hasDefault && !(p.name in bound))
    .map((p) => `'${p.name}'`);
  if (missing.length > 0) {
    const list =
      missing.length === 1
        ? missing[0]
        : `${missing.slice(0, -1).join(", ")} and ${missing.at(-1)}`;
    throw fail(
      `missing ${missing.length} required positional argument${missing.length > 1 ? "s" : ""}: ${list}`,
    );
  }
  for (const p of sig.params) if (!(p.name in bound)) bound[p.name] = p.default;
  return bound;
}

// ---------------------------------------------------------------------------------------------
// Result structs

function time(value: number | null): string | null {
  return value === null ? null : formatKojiTime(value);
}

function repoStruct(state: SimState, repo: RepoRecord): XmlRpcStruct {
  const task = repo.taskId === null ? undefined : state.tasks.get(repo.taskId);
  const createTs = state.eventTime(repo.createEvent)!;
  return {
    id: repo.id,
    tag_id: repo.tagId,
    creation_time: formatKojiTime(repo.createTs),
    creation_ts: repo.createTs,
    state_time: formatKojiTime(repo.stateTs),
    state_ts: repo.stateTs,
    create_event: repo.createEvent,
    create_ts: createTs,
    begin_event: null,
    begin_ts: null,
    end_event: null,
    end_ts: null,
    state: repo.state,
    dist: false,
    opts: { src: false, debuginfo: false, separate_src: false },
    custom_opts: null,
    task_id: repo.taskId,
    task_state: task ? task.state : null,
    tag_name: state.tags.get(repo.tagId)!.name,
  };
}

function tagStruct(tag: TagRecord): XmlRpcStruct {
  return {
    id: tag.id,
    name: tag.name,
    perm_id: tag.perm === null ? null : permissionId(tag.perm),
    perm: tag.perm,
    arches: tag.arches.length ? tag.arches.join(" ") : null,
    locked: tag.locked,
    maven_support: false,
    maven_include_all: false,
    extra: {},
  };
}

const PERMISSIONS = [
  "admin",
  "build",
  "repo",
  "tag",
  "target",
  "host",
  "appliance",
  "dist-repo",
  "regen-repo",
];

function permissionId(name: string): number {
  const index = PERMISSIONS.indexOf(name);
  return index >= 0 ? index + 1 : PERMISSIONS.length + 1;
}

function taskStruct(task: TaskRecord, withRequest: boolean): XmlRpcStruct {
  const struct: XmlRpcStruct = {
    id: task.id,
    state: task.state,
    create_time: formatKojiTime(task.createTs),
    create_ts: task.createTs,
    start_time: time(task.startTs),
    start_ts: task.startTs,
    completion_time: time(task.completionTs),
    completion_ts: task.completionTs,
    channel_id: task.channelId,
    host_id: task.hostId,
    parent: task.parent,
    label: task.label,
    waiting: task.waiting,
    awaited: task.awaited,
    owner: task.owner,
    method: task.method,
    arch: task.arch,
    priority: task.priority,
    weight: task.weight,
  };
  if (withRequest) struct.request = task.request;
  return struct;
}

function buildStruct(state: SimState, build: BuildRecord): XmlRpcStruct {
  return {
    id: build.id,
    build_id: build.id,
    version: build.version,
    release: build.release,
    epoch: build.epoch,
    draft: false,
    state: build.state,
    completion_time: formatKojiTime(build.completionTs),
    promotion_time: null,
    start_time: formatKojiTime(build.startTs),
    task_id: build.taskId,
    creation_event_id: build.createEvent,
    creation_time: formatKojiTime(build.creationTs),
    package_id: build.packageId,
    package_name: build.name,
    name: build.name,
    volume_id: 0,
    volume_name: "DEFAULT",
    nvr: `${build.name}-${build.version}-${build.release}`,
    creation_ts: build.creationTs,
    start_ts: build.startTs,
    completion_ts: build.completionTs,
    promotion_ts: null,
    owner_id: build.ownerId,
    owner_name: state.users.get(build.ownerId)!.name,
    promoter_id: null,
    promoter_name: null,
    cg_id: null,
    source: build.source,
    extra: null,
    cg_name: null,
  };
}

function taggedStruct(
  state: SimState,
  build: BuildRecord,
  entry: TagHistoryEntry,
  tag: TagRecord,
): XmlRpcStruct {
  return {
    tag_id: tag.id,
    tag_name: tag.name,
    id: build.id,
    build_id: build.id,
    version: build.version,
    release: build.release,
    epoch: build.epoch,
    state: build.state,
    completion_time: formatKojiTime(build.completionTs),
    promotion_time: null,
    start_time: formatKojiTime(build.startTs),
    task_id: build.taskId,
    draft: false,
    owner_id: build.ownerId,
    owner_name: state.users.get(build.ownerId)!.name,
    promoter_id: null,
    promoter_name: null,
    creation_event_id: build.createEvent,
    creation_time: formatKojiTime(build.creationTs),
    volume_id: 0,
    volume_name: "DEFAULT",
    package_id: build.packageId,
    package_name: build.name,
    name: build.name,
    nvr: `${build.name}-${build.version}-${build.release}`,
    create_event: entry.createEvent,
  };
}

function rpmStruct(rpm: RpmRecord): XmlRpcStruct {
  return {
    id: rpm.id,
    name: rpm.name,
    version: rpm.version,
    release: rpm.release,
    nvr: `${rpm.name}-${rpm.version}-${rpm.release}`,
    arch: rpm.arch,
    epoch: rpm.epoch,
    draft: false,
    payloadhash: rpm.payloadhash.slice(0, 32),
    size: rpm.size,
    buildtime: rpm.buildtime,
    build_id: rpm.buildId,
    buildroot_id: rpm.buildrootId,
    external_repo_id: 0,
    external_repo_name: "INTERNAL",
    metadata_only: false,
    extra: null,
  };
}

function hostStruct(state: SimState, host: HostRecord): XmlRpcStruct {
  return {
    id: host.id,
    user_id: host.userId,
    name: host.name,
    update_ts: state.time,
    ready: state.hostReady(host),
    task_load: state.hostLoad(host),
    arches: host.arches.join(" "),
    capacity: host.capacity,
    description: host.description,
    comment: host.comment,
    enabled: host.enabled,
  };
}

function userStruct(user: UserRecord): XmlRpcStruct {
  return { id: user.id, name: user.name, status: 0, usertype: 0, krb_principals: [] };
}

// rpm dependency sense flags (rpmds.h)
const SENSE = { LESS: 2, GREATER: 4, EQUAL: 8, RPMLIB: 16777216 };
const FLAG_BITS: Record<string, number> = {
  LT: SENSE.LESS,
  GT: SENSE.GREATER,
  EQ: SENSE.EQUAL,
  LE: SENSE.LESS | SENSE.EQUAL,
  GE: SENSE.GREATER | SENSE.EQUAL,
};
/** rpmbuild adds these to every SRPM; Koschei must skip them (koji-xmlrpc.md §8). */
const SRPM_RPMLIB_REQUIRES = [
  { name: "rpmlib(CompressedFileNames)", version: "3.0.4-1" },
  { name: "rpmlib(FileDigests)", version: "4.6.0-1" },
];
/** A binary rpm's dependency lists with the getRPMDeps type code of each. */
const DEPENDENCY_FIELDS: [keyof RpmDependencies, number][] = [
  ["requires", DEP_TYPES.REQUIRE],
  ["provides", DEP_TYPES.PROVIDE],
  ["obsoletes", DEP_TYPES.OBSOLETE],
  ["conflicts", DEP_TYPES.CONFLICT],
  ["suggests", DEP_TYPES.SUGGEST],
  ["enhances", DEP_TYPES.ENHANCE],
  ["supplements", DEP_TYPES.SUPPLEMENT],
  ["recommends", DEP_TYPES.RECOMMEND],
];

type RpmDependencies = Record<
  | "requires"
  | "provides"
  | "obsoletes"
  | "conflicts"
  | "suggests"
  | "enhances"
  | "supplements"
  | "recommends",
  string[]
>;

function rpmDependencies(state: SimState, rpm: RpmRecord): XmlRpcStruct[] {
  const deps: XmlRpcStruct[] = [];
  const add = (text: string, type: number) => {
    const entry = parseDependency(text);
    const version = text.trim().startsWith("(") ? "" : (text.trim().split(/\s+/)[2] ?? "");
    deps.push({
      name: entry.name,
      version,
      flags: entry.flags ? FLAG_BITS[entry.flags]! : 0,
      type,
    });
  };
  if (rpm.binary === null) {
    const build = state.builds.get(rpm.buildId)!;
    for (const dep of build.srpm.buildRequires) add(dep, DEP_TYPES.REQUIRE);
    for (const lib of SRPM_RPMLIB_REQUIRES) {
      deps.push({
        name: lib.name,
        version: lib.version,
        flags: SENSE.RPMLIB | SENSE.LESS | SENSE.EQUAL,
        type: DEP_TYPES.REQUIRE,
      });
    }
    return deps;
  }
  for (const [field, type] of DEPENDENCY_FIELDS)
    for (const dep of rpm.binary[field]) add(dep, type);
  return deps;
}

/** The rpm header fields the simulator knows, by upper-case name. */
function rpmHeader(state: SimState, rpm: RpmRecord, name: string): XmlRpcValue | undefined {
  const srpm = state.builds.get(rpm.buildId)!.srpm;
  const isSource = rpm.binary === null;
  switch (name.toUpperCase()) {
    case "NAME":
      return rpm.name;
    case "VERSION":
      return rpm.version;
    case "RELEASE":
      return rpm.release;
    case "EPOCH":
      return rpm.epoch;
    case "ARCH":
      return rpm.arch;
    case "SIZE":
      return rpm.size;
    case "BUILDTIME":
      return rpm.buildtime;
    case "SUMMARY":
      return rpm.binary?.summary ?? `${rpm.name} (simulated)`;
    case "BUILDARCHS":
      return isSource ? srpm.buildArchs : [];
    case "EXCLUDEARCH":
      return isSource ? srpm.excludeArch : [];
    case "EXCLUSIVEARCH":
      return isSource ? srpm.exclusiveArch : [];
    case "REQUIRENAME":
      return rpmDependencies(state, rpm)
        .filter((d) => d.type === DEP_TYPES.REQUIRE)
        .map((d) => d.name as string);
    case "PROVIDENAME":
      return rpmDependencies(state, rpm)
        .filter((d) => d.type === DEP_TYPES.PROVIDE)
        .map((d) => d.name as string);
    default:
      return undefined;
  }
}

const ALL_HEADERS = [
  "NAME",
  "VERSION",
  "RELEASE",
  "EPOCH",
  "ARCH",
  "SIZE",
  "BUILDTIME",
  "SUMMARY",
  "BUILDARCHS",
  "EXCLUDEARCH",
  "EXCLUSIVEARCH",
  "REQUIRENAME",
  "PROVIDENAME",
];

// ---------------------------------------------------------------------------------------------
// Query options and argument checks

/** queryOpts: countOnly, order ("field" / "-field"), offset, limit. */
function applyQueryOpts(rows: XmlRpcStruct[], queryOpts: XmlRpcValue): XmlRpcValue {
  if (!isXmlRpcStruct(queryOpts)) return rows;
  if (queryOpts.countOnly) return rows.length;
  let result = rows;
  if (typeof queryOpts.order === "string") {
    const keys = queryOpts.order.split(",").map((k) => k.trim());
    result = [...rows].sort((a, b) => {
      for (const key of keys) {
        const desc = key.startsWith("-");
        const field = desc ? key.slice(1) : key;
        const x = ownField(a, field);
        const y = ownField(b, field);
        if (x === y) continue;
        const cmp = x === null ? -1 : y === null ? 1 : x < y ? -1 : 1;
        return desc ? -cmp : cmp;
      }
      return 0;
    });
  }
  const offset = typeof queryOpts.offset === "number" ? queryOpts.offset : 0;
  const limit = typeof queryOpts.limit === "number" ? queryOpts.limit : undefined;
  return result.slice(offset, limit === undefined ? undefined : offset + limit);
}

/** A row's field for sorting; a name the row lacks (even "constructor") sorts as null. */
function ownField(row: XmlRpcStruct, field: string): number | string | null {
  return Object.hasOwn(row, field) ? (row[field] as number | string | null) : null;
}

function pythonRepr(value: XmlRpcValue): string {
  return typeof value === "string" ? `'${value}'` : JSON.stringify(value);
}

/** Finds one kind of entry by what a client gave (id, name…), with Koji's not-found faults. */
class Lookup<T> {
  constructor(
    private readonly find: (state: SimState, info: XmlRpcValue) => T | undefined,
    private readonly notFound: (info: XmlRpcValue) => string,
  ) {}

  /** The entry; if there is none, GenericError with `strict` (Koji's convention), else null. */
  get(state: SimState, info: XmlRpcValue, strict: XmlRpcValue): T | null {
    const found = this.find(state, info);
    if (found !== undefined) return found;
    if (strict) throw kojiError("GenericError", this.notFound(info));
    return null;
  }

  /** The entry, or GenericError. */
  require(state: SimState, info: XmlRpcValue): T {
    return this.get(state, info, true)!;
  }
}

const findTag = (state: SimState, info: XmlRpcValue) => state.findTag(info);
const tagEntryLookup = new Lookup(findTag, (i) => `No such entry in table tag: ${String(i)}`);
const tagInfoLookup = new Lookup(findTag, (i) => `No such tagInfo: ${pythonRepr(i)}`);
const packageLookup = new Lookup(
  (state, info) => state.findPackage(info),
  (i) => `No such entry in table package: ${String(i)}`,
);
const buildLookup = new Lookup(
  (state, info) => state.findBuild(info),
  (i) => `No such build: ${String(i)}`,
);
const rpmLookup = new Lookup(
  (state, info) => state.findRpm(info),
  (i) => `No such rpm: ${String(i)}`,
);
const targetLookup = new Lookup(
  (state, info) => state.findTarget(info),
  (i) => `No such build target: ${String(i)}`,
);
const externalRepoLookup = new Lookup(
  (state, info) => state.findExternalRepo(info),
  (i) => `No such repo: ${String(i)}`,
);
const userLookup = new Lookup(
  (state, info) => [...state.users.values()].find((u) => u.id === info || u.name === info),
  (i) => `No such user: ${String(i)}`,
);
const findChannel = (state: SimState, info: XmlRpcValue) =>
  [...state.channels.values()].find((c) => c.id === info || c.name === info);
const channelLookup = new Lookup(findChannel, (i) => `No such channel: ${String(i)}`);
const channelEntryLookup = new Lookup(
  findChannel,
  (i) => `No such entry in table channels: ${String(i)}`,
);
// Repos and tasks by id: Koji's query layer finds no row.
const repoLookup = new Lookup(
  (state, id) => state.repos.get(requireInt(id, "repo_id")),
  () => "query returned no rows",
);
const taskRowLookup = new Lookup(
  (state, id) => state.tasks.get(requireInt(id, "task_id")),
  () => "query returned no rows",
);
const taskLookup = new Lookup(
  (state, id) => state.tasks.get(requireInt(id, "task_id")),
  (i) => `No such task: ${String(i)}`,
);

function requireInt(value: XmlRpcValue, name: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    const type = typeof value === "string" ? "str" : value === null ? "NoneType" : typeof value;
    throw kojiError(
      "ParameterError",
      `Invalid type for value '${name}': <class '${type}'>, expected type <class 'int'>`,
    );
  }
  return value;
}

function requireLogin(caller: Caller): UserRecord {
  if (!caller.user) throw kojiError("ActionNotAllowed", "you must be logged in for this operation");
  return caller.user;
}

/**
 * Koji's default `package_list` policy ("has_perm admin :: allow", "has_perm tag :: allow",
 * "all :: deny …"); the simulator's users have no `tag` permission, so admins only.
 */
function assertPackageListPolicy(caller: Caller): void {
  const user = requireLogin(caller);
  if (!user.admin)
    throw kojiError(
      "ActionNotAllowed",
      "policy violation (package_list): Only admin/tag can do this via default policy",
    );
}

function eventArg(value: XmlRpcValue): number | null {
  return typeof value === "number" ? value : null;
}

function archMatches(hostArches: string[], wanted: string[]): boolean {
  return hostArches.some((a) => wanted.includes(a));
}

// ---------------------------------------------------------------------------------------------
// The method table

const METHOD_TABLE: Record<string, MethodDef> = {
  getAPIVersion: { signature: "", handler: () => 1 },
  getKojiVersion: { signature: "", handler: (state) => state.kojiVersion },
  hello: { signature: "*args", handler: () => "Hello World" },
  echo: { signature: "*args", handler: (_s, a) => a.args! },
  getLastEvent: {
    signature: "before=None, strict=True",
    handler: (state) => state.lastEvent(),
  },

  // --- sessions
  sslLogin: {
    signature: "proxyuser=None, proxyauthtype=None, renew=False, exclusive=None",
    handler: (state, args, caller) => {
      if (!caller.context.clientCertUser) {
        throw kojiError("AuthError", "could not verify client: NONE");
      }
      if (caller.session && !args.renew) throw kojiError("AuthError", "Already logged in");
      const session = state.login(
        caller.context.clientCertUser,
        args.renew ? (caller.session ?? undefined) : undefined,
      );
      return { "session-id": session.id, "session-key": session.key, "header-auth": true };
    },
  },
  logout: {
    signature: "session_id=None",
    handler: (_state, _args, caller) => {
      if (!caller.session) throw kojiError("AuthError", "Not logged in");
      caller.session.closed = true;
      return null;
    },
  },
  getLoggedInUser: {
    signature: "",
    handler: (_state, _args, caller) =>
      caller.user ? { ...userStruct(caller.user), authtype: 2, krb_principal: null } : null,
  },
  getUser: {
    signature: "userInfo=None, strict=False, krb_princs=True, groups=False",
    pythonName: "get_user",
    handler: (state, args, caller) => {
      const info = args.userInfo!;
      if (info === null) return caller.user ? userStruct(caller.user) : null;
      const user = userLookup.get(state, info, args.strict!);
      return user && userStruct(user);
    },
  },

  // --- repos and tags
  getRepo: {
    signature: "tag, state=None, event=None, dist=False, min_event=None",
    pythonName: "old_get_repo",
    handler: (state, args) => {
      const tag = tagEntryLookup.require(state, args.tag!);
      if (args.dist) return null;
      const repo = state.latestRepo(tag, {
        state: typeof args.state === "number" ? args.state : REPO_STATES.READY,
        event: eventArg(args.event!),
      });
      if (!repo || (typeof args.min_event === "number" && repo.createEvent < args.min_event))
        return null;
      return repoStruct(state, repo);
    },
  },
  repoInfo: {
    signature: "repo_id, strict=False",
    pythonName: "repo_info",
    handler: (state, args) => {
      const repo = repoLookup.get(state, args.repo_id!, args.strict!);
      return repo && repoStruct(state, repo);
    },
  },
  newRepo: {
    signature: "tag, event=None, src=False, debuginfo=False, separate_src=False",
    handler: (state, args, caller) => {
      const user = requireLogin(caller);
      const tag = tagEntryLookup.require(state, args.tag!);
      const options: Args = {};
      for (const key of ["event", "src", "debuginfo", "separate_src"]) {
        if (args[key]) options[key] = args[key]!;
      }
      return state.submitNewRepo(tag, user, options);
    },
  },
  getTag: {
    signature: "tagInfo, strict=False, event=None, blocked=False",
    pythonName: "get_tag",
    handler: (state, args) => {
      const tag = tagInfoLookup.get(state, args.tagInfo!, args.strict!);
      if (!tag) return null;
      const struct = tagStruct(tag);
      if (args.event !== null) struct.query_event = args.event!;
      return struct;
    },
  },
  listTags: {
    signature: "build=None, package=None, perms=True, queryOpts=None, pattern=None",
    pythonName: "list_tags",
    handler: (state, args) => {
      let tags = [...state.tags.values()];
      if (args.build !== null) {
        const build = buildLookup.require(state, args.build!);
        const tagIds = new Set(state.tagIdsOf(build));
        tags = tags.filter((t) => tagIds.has(t.id));
      }
      if (args.package !== null) {
        const packageId = state.findPackage(args.package!);
        if (packageId === undefined)
          throw kojiError("GenericError", `No such package: ${String(args.package)}`);
        tags = tags.filter((t) => t.packages.has(packageId));
      }
      if (typeof args.pattern === "string") {
        const pattern = globToRegExp(args.pattern, "i");
        tags = tags.filter((t) => pattern.test(t.name));
      }
      const rows = tags.map((tag) => {
        const row = tagStruct(tag);
        delete row.extra;
        if (!args.perms) {
          delete row.perm_id;
          delete row.perm;
        }
        if (args.package !== null) {
          const entry = tag.packages.get(state.findPackage(args.package!)!)!;
          Object.assign(row, {
            owner_id: entry.ownerId,
            owner_name: state.users.get(entry.ownerId)!.name,
            blocked: entry.blocked,
            extra_arches: null,
          });
        }
        return row;
      });
      return applyQueryOpts(rows, args.queryOpts!);
    },
  },
  getBuildConfig: {
    signature: "tag, event=None",
    handler: (state, args) => {
      const tag = tagInfoLookup.require(state, args.tag!);
      const struct = tagStruct(tag);
      const arches = state.inheritedArches(tag);
      const archSource = state.inheritanceChain(tag).find((t) => t.arches.length > 0);
      struct.arches = arches.length ? arches.join(" ") : null;
      struct.config_inheritance = {
        extra: {},
        arches:
          archSource && archSource !== tag ? { id: archSource.id, name: archSource.name } : null,
      };
      if (args.event !== null) struct.query_event = args.event!;
      return struct;
    },
  },
  getBuildTarget: {
    signature: "info, event=None, strict=False",
    pythonName: "get_build_target",
    handler: (state, args) => {
      const target = targetLookup.get(state, args.info!, args.strict!);
      return target && targetStruct(state, target.id);
    },
  },
  getBuildTargets: {
    signature: "info=None, event=None, buildTagID=None, destTagID=None, queryOpts=None",
    pythonName: "get_build_targets",
    handler: (state, args) => {
      const buildTag = args.buildTagID === null ? null : state.findTag(args.buildTagID!);
      const destTag = args.destTagID === null ? null : state.findTag(args.destTagID!);
      const rows = [...state.targets.values()]
        .filter((t) => args.info === null || t.id === args.info || t.name === args.info)
        .filter((t) => args.buildTagID === null || t.buildTagId === buildTag?.id)
        .filter((t) => args.destTagID === null || t.destTagId === destTag?.id)
        .map((t) => targetStruct(state, t.id));
      return applyQueryOpts(rows, args.queryOpts!);
    },
  },
  getTagGroups: {
    signature: "tag, event=None, inherit=True, incl_pkgs=True, incl_reqs=True, incl_blocked=False",
    pythonName: "readTagGroups",
    handler: (state, args) => {
      const tag = tagEntryLookup.require(state, args.tag!);
      return state.tagGroups(tag, Boolean(args.inherit)).map((group) => {
        const groupId = state.groupId(group.name);
        return {
          name: group.name,
          group_id: groupId,
          tag_id: group.tagId,
          blocked: false,
          exported: true,
          display_name: group.name,
          is_default: null,
          uservisible: true,
          description: group.description,
          langonly: null,
          biarchonly: false,
          packagelist: args.incl_pkgs
            ? group.packages
                .filter((p) => args.incl_blocked || !p.blocked)
                .map((p) => ({
                  group_id: groupId,
                  tag_id: p.tagId,
                  package: p.name,
                  blocked: p.blocked,
                  type: p.type,
                  basearchonly: null,
                  requires: null,
                }))
            : [],
          grouplist: [],
        };
      });
    },
  },
  listPackages: {
    signature:
      "tagID=None, userID=None, pkgID=None, prefix=None, inherited=False, with_dups=False, event=None, queryOpts=None, with_owners=True, with_blocked=True",
    handler: (state, args) => {
      if (args.tagID === null && args.userID === null && args.pkgID === null) {
        const rows = [...state.packages]
          .filter(([, name]) => typeof args.prefix !== "string" || name.startsWith(args.prefix))
          .map(([id, name]) => ({ package_id: id, package_name: name }));
        return applyQueryOpts(rows, args.queryOpts!);
      }
      const tags =
        args.tagID === null
          ? [...state.tags.values()]
          : [tagEntryLookup.require(state, args.tagID!)];
      const rows: XmlRpcStruct[] = [];
      for (const tag of tags) {
        for (const { entry, tag: from } of state.packageList(
          tag,
          Boolean(args.inherited) && args.tagID !== null,
          eventArg(args.event!),
        )) {
          const name = state.packages.get(entry.packageId)!;
          if (args.pkgID !== null && entry.packageId !== state.findPackage(args.pkgID!)) continue;
          if (typeof args.prefix === "string" && !name.startsWith(args.prefix)) continue;
          if (!args.with_blocked && entry.blocked) continue;
          const row: XmlRpcStruct = {
            package_id: entry.packageId,
            package_name: name,
            tag_id: from.id,
            tag_name: from.name,
            extra_arches: null,
            blocked: entry.blocked,
          };
          if (args.with_owners) {
            row.owner_id = entry.ownerId;
            row.owner_name = state.users.get(entry.ownerId)!.name;
          }
          if (
            args.userID !== null &&
            row.owner_id !== args.userID &&
            row.owner_name !== args.userID
          )
            continue;
          rows.push(row);
        }
      }
      return applyQueryOpts(rows, args.queryOpts!);
    },
  },
  listTagged: {
    signature:
      "tag, event=None, inherit=False, prefix=None, latest=False, package=None, owner=None, type=None, strict=True, extra=False, draft=None",
    handler: (state, args) => {
      const tag = tagInfoLookup.get(state, args.tag!, args.strict!);
      if (!tag) return [];
      return state
        .taggedBuilds(tag, {
          event: eventArg(args.event!),
          inherit: Boolean(args.inherit),
          latest: Boolean(args.latest),
          packageName: typeof args.package === "string" ? args.package : undefined,
        })
        .filter(
          ({ build }) => typeof args.prefix !== "string" || build.name.startsWith(args.prefix),
        )
        .filter(
          ({ build }) =>
            args.owner === null ||
            state.users.get(build.ownerId)!.name === args.owner ||
            build.ownerId === args.owner,
        )
        .map(({ build, entry, tag: from }) => {
          const row = taggedStruct(state, build, entry, from);
          if (args.extra) row.extra = null;
          return row;
        });
    },
  },
  tagBuild: {
    signature: "tag, build, force=False, fromtag=None",
    handler: (state, args, caller) => {
      const user = requireLogin(caller);
      const build = buildLookup.require(state, args.build!);
      const tag = tagInfoLookup.require(state, args.tag!);
      // assert_tag_access: locked tags and tags with a permission are for admins (with force).
      const denied = tag.locked
        ? "tag is locked"
        : tag.perm
          ? `tag requires ${tag.perm} permission`
          : null;
      if (denied && !(user.admin && args.force)) throw kojiError("ActionNotAllowed", denied);
      if (state.isTagged(tag, build) && !args.force) {
        const nvr = `${build.name}-${build.version}-${build.release}`;
        throw kojiError("TagError", `build ${nvr} already tagged (${tag.name})`);
      }
      const listed = state.listedPackage(tag, build.packageId);
      if (!listed) throw kojiError("TagError", `Package ${build.name} not in list for ${tag.name}`);
      if (listed.entry.blocked)
        throw kojiError("TagError", `Package ${build.name} blocked in ${tag.name}`);
      return state.tagExistingBuild(tag, build, user);
    },
  },

  // --- tag administration (repo_regen plugin); every logged-in user may do it here
  createTag: {
    signature:
      "name, parent=None, arches=None, perm=None, locked=False, maven_support=False, maven_include_all=False, extra=None",
    pythonName: "create_tag",
    handler: (state, args, caller) => {
      requireLogin(caller);
      const parent = args.parent === null ? null : state.findTag(args.parent!);
      if (args.parent !== null && !parent) {
        throw kojiError("GenericError", `Parent tag '${String(args.parent)}' could not be found`);
      }
      const arches =
        typeof args.arches === "string" ? args.arches.split(/[\s,]+/).filter(Boolean) : [];
      const perm = typeof args.perm === "string" ? args.perm : null;
      return state.createTag(String(args.name), parent ?? null, arches, perm, Boolean(args.locked))
        .id;
    },
  },
  createBuildTarget: {
    signature: "name, build_tag, dest_tag",
    pythonName: "create_build_target",
    handler: (state, args, caller) => {
      requireLogin(caller);
      const buildTag = state.findTag(args.build_tag!);
      if (!buildTag)
        throw kojiError("GenericError", `build tag '${String(args.build_tag)}' does not exist`);
      const destTag = state.findTag(args.dest_tag!);
      if (!destTag)
        throw kojiError(
          "GenericError",
          `destination tag '${String(args.dest_tag)}' does not exist`,
        );
      state.createTarget(String(args.name), buildTag, destTag);
      return null;
    },
  },
  groupListAdd: {
    signature: "taginfo, grpinfo, block=False, force=False, **opts",
    pythonName: "grplist_add",
    handler: (state, args, caller) => {
      requireLogin(caller);
      const opts = args.opts as XmlRpcStruct;
      const description = typeof opts.description === "string" ? opts.description : null;
      state.addGroup(
        tagInfoLookup.require(state, args.taginfo!),
        String(args.grpinfo),
        description,
      );
      return null;
    },
  },
  groupPackageListAdd: {
    signature: "taginfo, grpinfo, pkg_name, block=False, force=False, **opts",
    pythonName: "grp_pkg_add",
    handler: (state, args, caller) => {
      requireLogin(caller);
      const opts = args.opts as XmlRpcStruct;
      const type = typeof opts.type === "string" ? opts.type : "mandatory";
      if (!["mandatory", "default", "optional", "conditional"].includes(type)) {
        throw kojiError("GenericError", `Invalid package type: ${type}`);
      }
      const tag = tagEntryLookup.require(state, args.taginfo!);
      const blocked = Boolean(args.block) || Boolean(opts.blocked);
      state.addGroupPackage(
        tag,
        String(args.grpinfo),
        String(args.pkg_name),
        type as SimGroupPackageType,
        blocked,
      );
      return null;
    },
  },
  // --- package lists (pkglist_block / pkglist_unblock): a change in a new event
  packageListBlock: {
    signature: "taginfo, pkginfo, force=False",
    pythonName: "pkglist_block",
    handler: (state, args, caller) => {
      // As Koji: the tag, the package and its listing are checked before the login.
      const tag = tagInfoLookup.require(state, args.taginfo!);
      const packageId = packageLookup.require(state, args.pkginfo!);
      if (!state.listedPackage(tag, packageId)) {
        const name = state.packages.get(packageId)!;
        throw kojiError("GenericError", `Package ${name} is not in tag listing for ${tag.name}`);
      }
      assertPackageListPolicy(caller);
      state.blockPackage(tag, packageId);
      return null;
    },
  },
  packageListUnblock: {
    signature: "taginfo, pkginfo, force=False",
    pythonName: "pkglist_unblock",
    handler: (state, args, caller) => {
      const tag = tagInfoLookup.require(state, args.taginfo!);
      const packageId = packageLookup.require(state, args.pkginfo!);
      assertPackageListPolicy(caller);
      state.unblockPackage(tag, packageId);
      return null;
    },
  },
  getExternalRepo: {
    signature: "info, strict=False, event=None",
    pythonName: "get_external_repo",
    handler: (state, args) => {
      const repo = externalRepoLookup.get(state, args.info!, args.strict!);
      return repo && { id: repo.id, name: repo.name, url: repo.url };
    },
  },
  createExternalRepo: {
    signature: "name, url",
    pythonName: "create_external_repo",
    handler: (state, args, caller) => {
      requireLogin(caller);
      const repo = state.createExternalRepo(String(args.name), String(args.url));
      return { id: repo.id, name: repo.name, url: repo.url };
    },
  },
  getTagExternalRepos: {
    signature: "tag_info=None, repo_info=None, event=None",
    pythonName: "get_tag_external_repos",
    handler: (state, args) => {
      const tag = args.tag_info === null ? null : tagInfoLookup.require(state, args.tag_info!);
      const repo =
        args.repo_info === null ? null : externalRepoLookup.require(state, args.repo_info!);
      return state.tagExternalRepos
        .filter(
          (t) => (tag === null || t.tagId === tag.id) && (repo === null || t.repoId === repo?.id),
        )
        .sort((a, b) => a.priority - b.priority)
        .map((t) => {
          const external = state.externalRepos.get(t.repoId)!;
          return {
            external_repo_id: external.id,
            external_repo_name: external.name,
            priority: t.priority,
            tag_id: t.tagId,
            tag_name: state.tags.get(t.tagId)!.name,
            url: external.url,
            merge_mode: t.mergeMode,
            arches: t.arches,
          };
        });
    },
  },
  addExternalRepoToTag: {
    signature: "tag_info, repo_info, priority, merge_mode='koji', arches=None",
    handler: (state, args, caller) => {
      requireLogin(caller);
      const tag = tagInfoLookup.require(state, args.tag_info!);
      const repo = externalRepoLookup.require(state, args.repo_info!);
      const arches = typeof args.arches === "string" ? args.arches : null;
      state.addExternalRepoToTag(
        tag,
        repo,
        requireInt(args.priority!, "priority"),
        String(args.merge_mode ?? "koji"),
        arches,
      );
      return null;
    },
  },
  removeExternalRepoFromTag: {
    signature: "tag_info, repo_info",
    handler: (state, args, caller) => {
      requireLogin(caller);
      const tag = tagInfoLookup.require(state, args.tag_info!);
      const repo = externalRepoLookup.require(state, args.repo_info!);
      state.removeExternalRepoFromTag(tag, repo);
      return null;
    },
  },

  // --- builds and rpms
  getBuild: {
    signature: "buildInfo, strict=False",
    pythonName: "get_build",
    handler: (state, args) => {
      const build = buildLookup.get(state, args.buildInfo!, args.strict!);
      return build && buildStruct(state, build);
    },
  },
  listBuilds: {
    signature:
      "packageID=None, userID=None, taskID=None, prefix=None, state=None, volumeID=None, source=None, createdBefore=None, createdAfter=None, completeBefore=None, completeAfter=None, type=None, typeInfo=None, queryOpts=None, pattern=None, cgID=None, draft=None, promotedBefore=None, promotedAfter=None, promoter=None",
    handler: (state, args) => {
      const packageId = args.packageID === null ? null : state.findPackage(args.packageID!);
      const rows = [...state.builds.values()]
        .filter((b) => args.packageID === null || b.packageId === packageId)
        .filter(
          (b) =>
            args.userID === null ||
            b.ownerId === args.userID ||
            state.users.get(b.ownerId)!.name === args.userID,
        )
        .filter(
          (b) =>
            args.taskID === null ||
            (args.taskID === -1 ? b.taskId !== null : b.taskId === args.taskID),
        )
        .filter((b) => typeof args.prefix !== "string" || b.name.startsWith(args.prefix))
        .filter((b) => args.state === null || b.state === args.state)
        .filter((b) => typeof args.createdAfter !== "number" || b.creationTs > args.createdAfter)
        .filter((b) => typeof args.createdBefore !== "number" || b.creationTs < args.createdBefore)
        .map((b) => buildStruct(state, b));
      return applyQueryOpts(rows, args.queryOpts!);
    },
  },
  listRPMs: {
    signature:
      "buildID=None, buildrootID=None, imageID=None, componentBuildrootID=None, hostID=None, arches=None, queryOpts=None, draft=None",
    pythonName: "list_rpms",
    handler: (state, args) => {
      const arches = args.arches;
      if (arches !== null && typeof arches !== "string" && !Array.isArray(arches)) {
        throw kojiError("GenericError", `Invalid type for "arches" parameter: ${typeof arches}`);
      }
      // A build's own RPMs, in creation order (SRPM first), without scanning every RPM.
      const build = typeof args.buildID === "number" ? state.builds.get(args.buildID) : undefined;
      const candidates =
        args.buildID === null
          ? [...state.rpms.values()]
          : build
            ? [build.srpmRpm, ...build.rpms]
            : [];
      const rows = candidates
        .filter((r) => args.buildrootID === null || r.buildrootId === args.buildrootID)
        .filter(
          (r) =>
            arches === null ||
            (typeof arches === "string" ? r.arch === arches : arches.includes(r.arch)),
        )
        .map(rpmStruct);
      return applyQueryOpts(rows, args.queryOpts!);
    },
  },
  getRPM: {
    signature: "rpminfo, strict=False, multi=False",
    pythonName: "get_rpm",
    handler: (state, args) => {
      const rpm = rpmLookup.get(state, args.rpminfo!, args.strict!);
      return rpm && rpmStruct(rpm);
    },
  },
  getRPMDeps: {
    signature: "rpmID, depType=None, queryOpts=None, strict=False",
    handler: (state, args) => {
      const rpm = rpmLookup.get(state, args.rpmID!, args.strict!);
      if (!rpm) return [];
      const deps = rpmDependencies(state, rpm).filter(
        (d) => args.depType === null || d.type === args.depType,
      );
      if (isXmlRpcStruct(args.queryOpts!) && args.queryOpts.asList) {
        return deps.map((d) => [d.name!, d.version!, d.flags!, d.type!]);
      }
      return applyQueryOpts(deps, args.queryOpts!);
    },
  },
  getRPMHeaders: {
    signature: "rpmID=None, taskID=None, filepath=None, headers=None, strict=False",
    handler: (state, args) => {
      if (args.rpmID === null && (args.taskID === null || args.filepath === null)) {
        throw kojiError("GenericError", "either rpmID or taskID and filepath must be specified");
      }
      const wanted = Array.isArray(args.headers) ? args.headers.map(String) : ALL_HEADERS;
      // Unknown header names fault even when the rpm is missing.
      const unknown = wanted.find((name) => !ALL_HEADERS.includes(name.toUpperCase()));
      if (unknown !== undefined)
        throw kojiError("GenericError", `No such rpm header field: ${unknown}`);
      const rpm = rpmLookup.get(state, args.rpmID!, args.strict!);
      if (!rpm) return {};
      return Object.fromEntries(wanted.map((name) => [name, rpmHeader(state, rpm, name)!]));
    },
  },

  // --- tasks
  build: {
    signature: "src, target, opts=None, priority=None, channel=None",
    handler: (state, args, caller) => {
      const user = requireLogin(caller);
      if (typeof args.src !== "string") {
        throw kojiError(
          "ParameterError",
          `Invalid type for value 'src': <class '${typeof args.src}'>, expected type <class 'str'>`,
        );
      }
      const priority = typeof args.priority === "number" ? args.priority : 0;
      if (priority < 0 && !user.admin)
        throw kojiError("ActionNotAllowed", "only admins may create high-priority tasks");
      const opts = isXmlRpcStruct(args.opts!) ? args.opts : {};
      return state.submitBuild(args.src, args.target!, opts, priority, user);
    },
  },
  getTaskInfo: {
    signature: "task_id, request=False, strict=False",
    handler: (state, args) => {
      const one = (id: XmlRpcValue): XmlRpcValue => {
        const task = taskRowLookup.get(state, id, args.strict!);
        return task && taskStruct(task, Boolean(args.request));
      };
      return Array.isArray(args.task_id) ? args.task_id.map(one) : one(args.task_id!);
    },
  },
  getTaskChildren: {
    signature: "task_id, request=False, strict=False",
    handler: (state, args) => {
      const task = taskRowLookup.get(state, args.task_id!, args.strict!);
      return task ? state.children(task).map((c) => taskStruct(c, Boolean(args.request))) : [];
    },
  },
  getTaskResult: {
    signature: "taskId, raise_fault=True",
    handler: (state, args) => {
      const task = state.tasks.get(requireInt(args.taskId!, "taskId"));
      if (!task) throw kojiError("GenericError", "No such task");
      try {
        return state.taskResult(task);
      } catch (error) {
        if (!args.raise_fault && error instanceof StoredFault) {
          return { faultCode: error.faultCode, faultString: error.faultString };
        }
        throw error;
      }
    },
  },
  cancelTask: {
    signature: "task_id, recurse=True",
    handler: (state, args, caller) => {
      const user = caller.user;
      if (!user) throw kojiError("ActionNotAllowed", "Cannot cancel task, not owner");
      const task = taskLookup.require(state, args.task_id!);
      if (task.owner !== user.id && !user.admin)
        throw kojiError("ActionNotAllowed", "Cannot cancel task, not owner");
      state.cancelTask(task);
      return null;
    },
  },
  listTasks: {
    signature: "opts=None, queryOpts=None",
    handler: (state, args) => {
      const opts = isXmlRpcStruct(args.opts!) ? args.opts : {};
      const matches = (value: number | string | null, filter: XmlRpcValue | undefined) =>
        filter === undefined || (Array.isArray(filter) ? filter.includes(value) : filter === value);
      const excluded = (value: number | string | null, filter: XmlRpcValue | undefined) =>
        filter !== undefined && (Array.isArray(filter) ? filter.includes(value) : filter === value);
      const rows = [...state.tasks.values()]
        .filter(
          (t) =>
            matches(t.arch, opts.arch) &&
            !excluded(t.arch, opts.not_arch) &&
            matches(t.state, opts.state) &&
            !excluded(t.state, opts.not_state) &&
            matches(t.owner, opts.owner) &&
            matches(t.hostId, opts.host_id) &&
            matches(t.channelId, opts.channel_id) &&
            matches(t.parent, opts.parent) &&
            !excluded(t.parent, opts.not_parent) &&
            matches(t.method, opts.method),
        )
        .filter((t) => typeof opts.createdAfter !== "number" || t.createTs > opts.createdAfter)
        .filter((t) => typeof opts.createdBefore !== "number" || t.createTs < opts.createdBefore)
        .map((t) => {
          const owner = state.users.get(t.owner)!;
          // Without decode, request and result stay the stored XML-RPC text; the simulator
          // only has decoded values, so it always answers as with decode=True.
          return {
            ...taskStruct(t, true),
            result: t.state === KojiTaskState.CLOSED ? t.result : null,
            owner_name: owner.name,
            owner_type: 0,
          };
        });
      return applyQueryOpts(rows, args.queryOpts!);
    },
  },

  // --- hosts
  getChannel: {
    signature: "channelInfo, strict=False",
    pythonName: "get_channel",
    handler: (state, args) => {
      const channel = channelLookup.get(state, args.channelInfo!, args.strict!);
      return (
        channel && {
          id: channel.id,
          name: channel.name,
          description: null,
          enabled: true,
          comment: null,
        }
      );
    },
  },
  listHosts: {
    signature: "arches=None, channelID=None, ready=None, enabled=None, userID=None, queryOpts=None",
    handler: (state, args) => {
      let hosts = [...state.hosts.values()];
      if (args.arches !== null) {
        if (!Array.isArray(args.arches) || args.arches.length === 0) {
          throw kojiError("GenericError", "arches option cannot be empty");
        }
        const wanted = args.arches.map(String);
        hosts = hosts.filter((h) => archMatches(h.arches, wanted));
      }
      if (args.channelID !== null) {
        const channel = channelEntryLookup.require(state, args.channelID!);
        hosts = hosts.filter((h) => h.channelIds.includes(channel.id));
      }
      if (args.ready !== null)
        hosts = hosts.filter((h) => state.hostReady(h) === Boolean(args.ready));
      if (args.enabled !== null) hosts = hosts.filter((h) => h.enabled === Boolean(args.enabled));
      if (args.userID !== null) hosts = hosts.filter((h) => h.userId === args.userID);
      return applyQueryOpts(
        hosts.map((h) => hostStruct(state, h)),
        args.queryOpts!,
      );
    },
  },
};

// Looked up in a Map: a method name such as "constructor" or "__proto__" must not reach
// Object.prototype.
const METHODS = new Map(Object.entries(METHOD_TABLE));
// A simulator convenience (issue 4): `listTargets` answers exactly like getBuildTargets, binding
// errors included. Real hubs have no such method and answer "Invalid method: listTargets".
METHODS.set("listTargets", METHOD_TABLE.getBuildTargets!);

function targetStruct(state: SimState, id: number): XmlRpcStruct {
  const target = state.targets.get(id)!;
  return {
    id: target.id,
    build_tag: target.buildTagId,
    dest_tag: target.destTagId,
    name: target.name,
    build_tag_name: state.tags.get(target.buildTagId)!.name,
    dest_tag_name: state.tags.get(target.destTagId)!.name,
  };
}

const SIGNATURES = new Map(
  [...METHODS].map(([name, def]) => [name, parseSignature(def.signature)]),
);
const MULTICALL_SIGNATURE = parseSignature("calls=None, strict=False");

/** Every method the simulated hub answers (besides multiCall / system.multicall). */
export const HUB_METHODS = [...METHODS.keys()];

/**
 * The methods that change the hub's data. Koji's hub commits a session's call number only
 * with a call that wrote something, so only these make a repeated call number a RetryError;
 * reads may be retried freely. (Multicalls count as reads: Koschei sends no writes in them.)
 */
const STATE_CHANGING_METHODS = new Set([
  "build",
  "cancelTask",
  "newRepo",
  "tagBuild",
  "createTag",
  "createBuildTarget",
  "groupListAdd",
  "groupPackageListAdd",
  "packageListBlock",
  "packageListUnblock",
  "createExternalRepo",
  "addExternalRepoToTag",
  "removeExternalRepoFromTag",
]);

// ---------------------------------------------------------------------------------------------
// Dispatch

/** A fault as the hub sends it; `traceback` marks faults from exceptions (for multicall). */
export interface HubFault {
  faultCode: number;
  faultString: string;
  fromException: boolean;
}

export type HubAnswer = { result: XmlRpcValue } | { fault: HubFault };

function toFault(error: unknown): HubFault {
  if (error instanceof StoredFault)
    return { faultCode: error.faultCode, faultString: error.faultString, fromException: false };
  if (error instanceof KojiFault)
    return { faultCode: error.faultCode, faultString: error.faultString, fromException: true };
  const name = error instanceof Error ? error.constructor.name : "Exception";
  const message = error instanceof Error ? error.message : String(error);
  return { faultCode: 1, faultString: `<class '${name}'>: ${message}`, fromException: true };
}

export class Hub {
  constructor(readonly state: SimState) {}

  /** Answers one XML-RPC call (session checked once, before dispatch, as on a real hub). */
  call(method: string, params: XmlRpcValue[], context: CallContext): HubAnswer {
    let caller: Caller;
    try {
      caller = this.caller(method, params, context);
    } catch (error) {
      return { fault: toFault(error) };
    }
    const answer = this.dispatch(method, params, caller);
    // Koji's hub records the call number in the transaction of a call that wrote something: a
    // read, or a write that faulted, leaves none, so only a write that went through makes the
    // same number a retry.
    if (
      caller.session &&
      context.callnum !== null &&
      "result" in answer &&
      STATE_CHANGING_METHODS.has(method)
    ) {
      this.state.recordCall(caller.session, context.callnum);
    }
    return answer;
  }

  private dispatch(method: string, params: XmlRpcValue[], caller: Caller): HubAnswer {
    if (method === "multiCall" || method === "system.multicall") {
      try {
        return { result: this.multiCall(params, caller) };
      } catch (error) {
        return { fault: toFault(error) };
      }
    }
    return this.invoke(method, params, caller);
  }

  private caller(method: string, params: XmlRpcValue[], context: CallContext): Caller {
    if (context.sessionId === null) return { session: null, user: null, context };
    const renew = method === "sslLogin" && Boolean(splitKwargs(params).kwargs.renew);
    const session = this.state.checkSession(
      context.sessionId,
      context.sessionKey ?? "",
      context.callnum,
      renew ? "sslLogin" : method,
    );
    return { session, user: this.state.users.get(session.userId)!, context };
  }

  private invoke(method: string, params: XmlRpcValue[], caller: Caller): HubAnswer {
    try {
      const def = METHODS.get(method);
      if (!def) throw kojiError("GenericError", `Invalid method: ${method}`);
      const { args, kwargs } = splitKwargs(params);
      const bound = bind(
        def.pythonName ?? `RootExports.${method}`,
        SIGNATURES.get(method)!,
        args,
        kwargs,
      );
      return { result: def.handler(this.state, bound, caller) };
    } catch (error) {
      return { fault: toFault(error) };
    }
  }

  /** `[result]` per successful call, a fault struct per failed one, in order. */
  private multiCall(params: XmlRpcValue[], caller: Caller): XmlRpcValue[] {
    const { args, kwargs } = splitKwargs(params);
    const bound = bind("RootExports.multiCall", MULTICALL_SIGNATURE, args, kwargs);
    if (!Array.isArray(bound.calls))
      throw kojiError("GenericError", "multiCall expects a list of calls");
    return bound.calls.map((call) => {
      if (
        !isXmlRpcStruct(call) ||
        typeof call.methodName !== "string" ||
        !Array.isArray(call.params)
      ) {
        return faultStruct({
          faultCode: 1000,
          faultString: "Invalid call in multiCall",
          fromException: true,
        });
      }
      if (call.methodName === "multiCall" || call.methodName === "system.multicall") {
        return faultStruct({
          faultCode: 1000,
          faultString: "multicall cannot be nested",
          fromException: true,
        });
      }
      const answer = this.invoke(call.methodName, call.params, caller);
      return "result" in answer ? [answer.result] : faultStruct(answer.fault);
    });
  }
}

function faultStruct(fault: HubFault): XmlRpcStruct {
  const struct: XmlRpcStruct = { faultCode: fault.faultCode, faultString: fault.faultString };
  if (fault.fromException) {
    struct.traceback = [
      "Traceback (most recent call last):\n",
      `koji simulator: ${fault.faultString}\n`,
    ];
  }
  return struct;
}
