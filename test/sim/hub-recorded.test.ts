// The simulator answers every recorded Koji call (contracts/recorded/) with the recording's
// structure: the same keys (plus only the fields newer hubs add, per koji-xmlrpc.md §10), the
// same value types (int vs double checked on the wire), and the same fault codes; a value the
// recording has is never nil, an empty list or an empty string in the simulator's answer; and
// where the answer is about the same object as the recording (the recorded world mirrors its
// builds, targets, tags and repo), the members the world mirrors have the recorded values.

import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { after, before, test } from "node:test";
import { KojiTaskState } from "@koschei/koji-protocol/koji-states.js";
import { kojiDoubleMember, kwargs, type XmlRpcValue } from "@koschei/koji-protocol/xmlrpc.js";
import { parseScenario, type Scenario } from "@koschei/koji-sim/scenario.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { sharedPath } from "../support/shared.js";
import { rawCall, recordedWorldScenario, sessionHeaders } from "./hub-fixture.js";

interface RecordedCall {
  method: string;
  args: XmlRpcValue[];
  kwargs: Record<string, XmlRpcValue>;
  result?: XmlRpcValue;
  fault?: { faultCode: number; faultString: string };
}

/** Repo fields (getRepo, repoInfo) a 1.35 hub returns that the recordings lack. */
const NEWER_REPO_FIELDS = [
  "state_time",
  "state_ts",
  "begin_event",
  "begin_ts",
  "end_event",
  "end_ts",
  "opts",
  "custom_opts",
  "task_id",
  "task_state",
  "creation_ts",
];

/** Fields a 1.35 hub returns that the 2014–2020 recordings lack (koji-xmlrpc.md §10). */
const NEWER_FIELDS: Record<string, string[]> = {
  getRepo: NEWER_REPO_FIELDS,
  repoInfo: NEWER_REPO_FIELDS,
  getBuildConfig: ["config_inheritance"],
  listTagged: ["draft", "promotion_time", "promoter_id", "promoter_name", "create_event"],
  getBuild: [
    "build_id",
    "start_time",
    "start_ts",
    "draft",
    "promotion_time",
    "promotion_ts",
    "promoter_id",
    "promoter_name",
    "cg_id",
    "cg_name",
    "source",
    "extra",
  ],
  listRPMs: ["draft", "metadata_only", "extra"],
  listHosts: ["update_ts"],
  getChannel: ["description", "enabled", "comment"],
  getTagGroups: ["tag_id", "uservisible"],
};

/**
 * Members Koji allows to be nil that may be nil in a simulator object standing for a different
 * recorded one (an epoch-less build for one with an epoch, a package without extra arches).
 */
const NULLABLE_MEMBERS = new Set(["epoch", "extra_arches"]);

/** Build members the world copies (not owner_name: its maven build's owner is not the recording's). */
const BUILD_MEMBERS = [
  "id",
  "build_id",
  "name",
  "package_name",
  "version",
  "release",
  "epoch",
  "nvr",
  "state",
  "volume_name",
];

/** Members a task cancelled before a host took it has nil (in the recordings it had started). */
const UNSTARTED_TASK_MEMBERS = new Set(["host_id", "start_time", "start_ts"]);

/** Task members fixed by the role (method and arch) and the task rules (rnv fails on i386). */
const TASK_MEMBERS = ["method", "arch", "label", "state"];

/**
 * Members whose recorded values the simulator's answer has when it is about the same object
 * (sameObject): what recordedWorldScenario() copies from the recordings.
 */
const MIRRORED_MEMBERS: Record<string, string[]> = {
  getBuild: BUILD_MEMBERS,
  listTagged: [...BUILD_MEMBERS, "tag_id", "tag_name"],
  listRPMs: [
    "name",
    "version",
    "release",
    "epoch",
    "arch",
    "nvr",
    "build_id",
    "external_repo_name",
  ],
  // The world's f29 target builds into f29 rather than f29-pending.
  getBuildTarget: ["id", "name", "build_tag", "build_tag_name"],
  getBuildConfig: ["id", "name", "arches", "locked", "perm", "perm_id", "maven_support"],
  repoInfo: ["id", "tag_id", "tag_name", "dist"],
  getChannel: ["id", "name"],
  getTaskInfo: TASK_MEMBERS,
  getTaskChildren: TASK_MEMBERS,
};

/** Answers the world determines entirely: the SRPM headers it copies from the recordings. */
const EXACT_METHODS = new Set(["getRPMHeaders"]);

function recordedFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return recordedFiles(path);
    return name.endsWith(".json") ? [path] : [];
  });
}

/** XML-RPC element types used for each struct member name in a response. */
function memberTypes(xml: string): Map<string, Set<string>> {
  const types = new Map<string, Set<string>>();
  for (const match of xml.matchAll(/<name>([^<]+)<\/name>\s*<value><([A-Za-z0-9.]+)\/?>/g)) {
    const set = types.get(match[1]!) ?? new Set<string>();
    set.add(match[2]!);
    types.set(match[1]!, set);
  }
  return types;
}

function kind(value: unknown): string {
  if (value === null) return "nil";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function isStruct(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Whether a simulator struct is about the same Koji object as a recorded one: tasks by method
 * and arch (their role in a build), builds and RPMs by NVR (and arch), anything else by id.
 */
function sameObject(recorded: unknown, actual: unknown): boolean {
  if (!isStruct(recorded) || !isStruct(actual)) return false;
  const keys =
    recorded.method !== undefined
      ? ["method", "arch"]
      : recorded.nvr !== undefined
        ? ["nvr", "arch"]
        : ["id"];
  return recorded[keys[0]!] !== undefined && keys.every((key) => recorded[key] === actual[key]);
}

/**
 * The simulator item standing for a recorded list item: the same object if there is one; for
 * a task, else one of the same method (real builds have buildSRPMFromSCM and tagBuild children
 * that scratch builds lack: none then); else the item at the same position (or the last).
 */
function counterpart(recorded: unknown, items: unknown[], index: number): unknown {
  const same = items.find((item) => sameObject(recorded, item));
  if (same !== undefined) return same;
  if (isStruct(recorded) && recorded.method !== undefined) {
    return items.find((item) => isStruct(item) && item.method === recorded.method);
  }
  return items[Math.min(index, items.length - 1)];
}

/**
 * Whether an answer is about (one of) the recorded object(s): the struct itself, or for a list
 * any recorded item.
 */
function aboutRecordedObject(recorded: unknown, actual: unknown): boolean {
  if (!Array.isArray(recorded)) return sameObject(recorded, actual);
  const items = Array.isArray(actual) ? actual : [];
  return recorded.some((item) => items.some((other) => sameObject(item, other)));
}

/** Differences between a recorded value and the simulator's (see the file's header). */
function shapeProblems(
  method: string,
  recorded: unknown,
  actual: unknown,
  xmlTypes: Map<string, Set<string>>,
  path: string,
  key = "",
): string[] {
  if (recorded === null) return [];
  if (actual === null || actual === undefined)
    return [`${path}: recorded ${JSON.stringify(recorded)}, simulator nil`];
  if (kind(recorded) !== kind(actual))
    return [`${path}: recorded ${kind(recorded)}, simulator ${kind(actual)}`];
  if (recorded !== "" && actual === "") return [`${path}: recorded "${recorded}", simulator ""`];
  if (typeof recorded === "number" && key) {
    const expected =
      kojiDoubleMember(key) || !Number.isInteger(recorded) ? ["double"] : ["int", "i8"];
    const seen = [...(xmlTypes.get(key) ?? [])].filter((t) => t !== "nil");
    if (!seen.every((t) => expected.includes(t)))
      return [`${path}: simulator sends <${seen.join(",")}>, recorded ${expected[0]}`];
  }
  if (Array.isArray(recorded)) {
    const items = actual as unknown[];
    if (recorded.length === 0) return [];
    if (items.length === 0) return [`${path}: recorded ${recorded.length} items, simulator none`];
    return recorded.flatMap((item, index) => {
      const other = counterpart(item, items, index);
      if (other === undefined) return [];
      return structProblems(method, item, other, xmlTypes, `${path}[${index}]`);
    });
  }
  if (typeof recorded === "object") {
    if (path.endsWith(".extra")) return []; // free-form data, not a schema
    return structProblems(method, recorded, actual, xmlTypes, path);
  }
  return [];
}

/** shapeProblems of a struct (or a list item), with the mirrored members of the same object. */
function structProblems(
  method: string,
  recorded: unknown,
  actual: unknown,
  xmlTypes: Map<string, Set<string>>,
  path: string,
): string[] {
  if (!isStruct(recorded) || !isStruct(actual)) {
    return shapeProblems(method, recorded, actual, xmlTypes, path);
  }
  const same = sameObject(recorded, actual);
  const unstartedTask = actual.method !== undefined && actual.state === KojiTaskState.CANCELED;
  const mayBeNil = (name: string) =>
    (!same && NULLABLE_MEMBERS.has(name)) || (unstartedTask && UNSTARTED_TASK_MEMBERS.has(name));
  const problems: string[] = [];
  for (const name of Object.keys(recorded)) {
    if (!(name in actual)) {
      problems.push(`${path}.${name}: missing in the simulator's answer`);
      continue;
    }
    if (actual[name] === null && mayBeNil(name)) continue;
    problems.push(
      ...shapeProblems(method, recorded[name], actual[name], xmlTypes, `${path}.${name}`, name),
    );
    const mirrored = same && (MIRRORED_MEMBERS[method] ?? []).includes(name);
    if (mirrored && !isDeepStrictEqual(recorded[name], actual[name])) {
      problems.push(
        `${path}.${name}: recorded ${JSON.stringify(recorded[name])}, ` +
          `simulator ${JSON.stringify(actual[name])}`,
      );
    }
  }
  // Only the top-level structs of a method may carry the newer fields.
  const allowed = NEWER_FIELDS[method] ?? [];
  for (const name of Object.keys(actual)) {
    if (!(name in recorded) && !allowed.includes(name) && !isNestedFreeForm(path)) {
      problems.push(`${path}.${name}: not in the recording`);
    }
  }
  return problems;
}

/** Structs whose keys depend on the call: task request options, config inheritance. */
function isNestedFreeForm(path: string): boolean {
  return /\.request\[|\.config_inheritance/.test(path);
}

const recordedDir = sharedPath("contracts", "recorded");

function recordedCalls(file: string): RecordedCall[] {
  return JSON.parse(readFileSync(file, "utf8")) as RecordedCall[];
}

const SRPM_FAILURE = {
  file: "PollingTest/test_poll_failed_rebuildSRPM.json",
  src: "../packages/python-debtcollector/1.22.0/2.fc32/src/python-debtcollector-1.22.0-2.fc32.src.rpm",
  build: { name: "python-debtcollector", version: "1.22.0", release: "2.fc32" },
};

/**
 * The recorded world plus what some recordings are about: the SRPMs whose headers
 * get_srpm_arches*.json asked for, with the recorded headers, and python-debtcollector, whose
 * SRPM task fails as in SRPM_FAILURE.file (both imported builds, in no tag).
 */
function recordedWorldWithRecordedSrpms(): Scenario {
  const world = recordedWorldScenario();
  const known = new Set(world.builds.map((b) => `${b.name}-${b.version}-${b.release}`));
  const headerBuilds = recordedFiles(recordedDir)
    .filter((file) => relative(recordedDir, file).startsWith("get_srpm_arches"))
    .flatMap(recordedCalls)
    .map((entry) => {
      const rpm = entry.kwargs.rpmID as {
        name: string;
        epoch?: number;
        version: string;
        release: string;
      };
      const headers = entry.result as Record<string, string[]>;
      return {
        name: rpm.name,
        epoch: rpm.epoch ?? null,
        version: rpm.version,
        release: rpm.release,
        imported: true,
        srpm: {
          buildArchs: headers.BUILDARCHS,
          excludeArch: headers.EXCLUDEARCH,
          exclusiveArch: headers.EXCLUSIVEARCH,
        },
      };
    })
    .filter((build) => !known.has(`${build.name}-${build.version}-${build.release}`));
  const srpmFailure = { package: SRPM_FAILURE.build.name, arch: "noarch", fail: true };
  return parseScenario(
    JSON.parse(
      JSON.stringify({
        ...world,
        builds: [...world.builds, ...headerBuilds, { ...SRPM_FAILURE.build, imported: true }],
        taskRules: [srpmFailure, ...world.taskRules],
      }),
    ),
    "recorded-world with the recorded SRPMs",
  );
}

let sim: Simulator;
let callnum = 0;
let login: XmlRpcValue;
const tasks = { closed: 0, failed: 0, srpmFailed: 0, canceled: 0, running: 0, createrepo: 0 };
let repoEvent = 0;

async function call(method: string, args: XmlRpcValue[], kw: Record<string, XmlRpcValue> = {}) {
  const params = Object.keys(kw).length ? [...args, kwargs(kw)] : args;
  return rawCall(sim.hubUrl, method, params, sessionHeaders(login, ++callnum));
}

async function advance(seconds: number): Promise<void> {
  const response = await fetch(`${sim.url}/control/advance`, {
    method: "POST",
    body: JSON.stringify({ seconds }),
  });
  assert.equal(response.status, 200);
}

const MAVEN_SRC = "../packages/maven/3.5.3/2.fc29/src/maven-3.5.3-2.fc29.src.rpm";
const RNV_SRC = "../packages/rnv/1.7.11/15.fc28/src/rnv-1.7.11-15.fc28.src.rpm";

before(async () => {
  sim = await startSimulator({
    listen: "127.0.0.1:0",
    scenario: recordedWorldWithRecordedSrpms(),
    plainLoginUser: "koschei",
  });
  login = (await rawCall(`${sim.hubUrl}/ssllogin`, "sslLogin", [kwargs({ proxyuser: null })]))
    .value!;
  const submit = async (src: string) =>
    (await call("build", [src, "f29", { scratch: true }], { priority: 30 })).value as number;
  tasks.closed = await submit(MAVEN_SRC);
  tasks.failed = await submit(RNV_SRC);
  tasks.srpmFailed = await submit(SRPM_FAILURE.src);
  tasks.canceled = await submit(MAVEN_SRC);
  const newRepo = (await call("newRepo", ["f29-build"])).value as number;
  await advance(60);
  await call("cancelTask", [tasks.canceled]);
  await advance(5000);
  tasks.running = await submit(MAVEN_SRC);
  const children = (await call("getTaskChildren", [newRepo])).value as { id: number }[];
  tasks.createrepo = children[0]!.id;
  repoEvent = ((await call("repoInfo", [888027])).value as { create_event: number }).create_event;
});

after(async () => {
  await sim.close();
});

/** The simulator call standing for a recorded one (same method, fixture ids), or a skip reason. */
function simulatorCall(
  entry: RecordedCall,
  file = "",
): { args: XmlRpcValue[]; kw: Record<string, XmlRpcValue> } | string {
  const kw = entry.kwargs;
  // Hand-made entries (recorded/README.md) are not real hub output.
  if (entry.args[0] === "f28-side-42") return "hand-written result";
  if (file.endsWith("latest_no_repo_id.json") && entry.method === "getTaskChildren") {
    return "children edited by hand";
  }
  const taskFor = (recorded: unknown): number => {
    if (file.endsWith(SRPM_FAILURE.file)) return tasks.srpmFailed;
    const state = (recorded as { state?: number } | null)?.state;
    return state === 5 ? tasks.failed : tasks.closed;
  };
  switch (entry.method) {
    case "getBuildTarget":
      return { args: entry.args, kw };
    case "getBuildConfig":
      return { args: ["f29-build"], kw };
    case "getRPMHeaders":
      return { args: entry.args, kw };
    case "cancelTask":
      return entry.fault ? { args: [999], kw } : { args: [tasks.running], kw };
    case "listTagged": {
      if (entry.args.length === 1) return { args: entry.args, kw };
      // OSCI artifacts: the builds of a tag at a repo's event (f29-pending has none).
      const empty = Array.isArray(entry.result) && entry.result.length === 0;
      return { args: [empty ? "f29-pending" : "f29", repoEvent], kw };
    }
    case "getTaskInfo":
      return { args: [taskFor(entry.result)], kw };
    case "getTaskChildren": {
      const failed =
        Array.isArray(entry.result) &&
        entry.result.some((c) => (c as { state: number }).state === 5);
      return { args: [taskFor({ state: failed ? 5 : 2 })], kw };
    }
    case "listPackages":
      return { args: [], kw: { ...kw, tagID: "f29-build" } };
    case "listRPMs":
      return { args: entry.args, kw };
    case "build": {
      const [src, target, opts] = entry.args as [
        string,
        string | null,
        Record<string, XmlRpcValue>,
      ];
      const simOpts = opts.repo_id !== undefined ? { ...opts, repo_id: 888027 } : opts;
      return { args: [src, target, simOpts], kw };
    }
    case "getTaskResult":
      if (entry.fault?.faultCode === 1) return "builder tracebacks (code 1) are not simulated";
      if (entry.fault?.faultCode === 1000) return { args: [tasks.canceled], kw };
      if (entry.fault) return { args: [taskFor({ state: 5 })], kw };
      return { args: [entry.result === null ? tasks.closed : tasks.createrepo], kw };
    case "repoInfo":
      return { args: [888027], kw };
    case "getTagGroups":
      return { args: ["f29-build"], kw: { ...kw, event: repoEvent } };
    case "getChannel":
    case "listHosts":
    case "getBuild":
      return { args: entry.args, kw };
    default:
      return `no mapping for ${entry.method}`;
  }
}

for (const file of recordedFiles(recordedDir).sort()) {
  const entries = recordedCalls(file);
  if (entries.length === 0) continue;
  test(`recorded ${relative(recordedDir, file)}`, async () => {
    for (const [index, entry] of entries.entries()) {
      const mapped = simulatorCall(entry, file);
      if (typeof mapped === "string") {
        assert.ok(!mapped.startsWith("no mapping"), mapped);
        continue;
      }
      const answer = await call(entry.method, mapped.args, mapped.kw);
      const where = `${entry.method} (call ${index})`;
      if (entry.fault) {
        assert.equal(
          answer.fault?.faultCode,
          entry.fault.faultCode,
          `${where}: expected fault ${entry.fault.faultCode}`,
        );
        continue;
      }
      assert.equal(answer.fault, undefined, `${where}: unexpected fault ${answer.fault?.message}`);
      if (typeof entry.result === "number")
        assert.match(answer.xml, /<value><int>\d+<\/int><\/value>/, where);
      if (EXACT_METHODS.has(entry.method)) assert.deepEqual(answer.value, entry.result, where);
      // Called with the recorded arguments, a method answering with objects the world mirrors
      // answers about the recorded object (else its mirrored members would go unchecked).
      const verbatim = mapped.args === entry.args && mapped.kw === entry.kwargs;
      if (verbatim && MIRRORED_MEMBERS[entry.method] && entry.result !== null) {
        assert.ok(
          aboutRecordedObject(entry.result, answer.value),
          `${where}: not about the recorded object: ${JSON.stringify(answer.value)}`,
        );
      }
      const problems = shapeProblems(
        entry.method,
        entry.result,
        answer.value,
        memberTypes(answer.xml),
        entry.method,
      );
      assert.deepEqual(problems, [], `${where}: ${problems.join("; ")}`);
    }
  });
}
