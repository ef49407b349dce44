// The simulator answers every recorded Koji call (contracts/recorded/) with the recording's
// structure: the same keys (plus only the fields newer hubs add, per koji-xmlrpc.md §10), the
// same value types (int vs double checked on the wire), and the same fault codes.

import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { after, before, test } from "node:test";
import { kojiDoubleMember, kwargs, type XmlRpcValue } from "@koschei/koji-protocol/xmlrpc.js";
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

/** Differences between a recorded value and the simulator's (null on either side is accepted). */
function shapeProblems(
  method: string,
  recorded: unknown,
  actual: unknown,
  xmlTypes: Map<string, Set<string>>,
  path: string,
  key = "",
): string[] {
  if (recorded === null || actual === null) return [];
  if (kind(recorded) !== kind(actual))
    return [`${path}: recorded ${kind(recorded)}, simulator ${kind(actual)}`];
  if (typeof recorded === "number" && key) {
    const expected =
      kojiDoubleMember(key) || !Number.isInteger(recorded) ? ["double"] : ["int", "i8"];
    const seen = [...(xmlTypes.get(key) ?? [])].filter((t) => t !== "nil");
    if (!seen.every((t) => expected.includes(t)))
      return [`${path}: simulator sends <${seen.join(",")}>, recorded ${expected[0]}`];
  }
  if (Array.isArray(recorded)) {
    const items = actual as unknown[];
    if (recorded.length === 0 || items.length === 0) return [];
    return recorded.flatMap((item, index) => {
      // Children of different methods: compare with a simulator task of the same method.
      // Tasks: compare with a simulator task of the same method (real builds also have
      // buildSRPMFromSCM and tagBuild children, which scratch builds do not).
      const taskMethod = (item as { method?: unknown } | null)?.method;
      if (taskMethod !== undefined) {
        const same = items.find((a) => (a as { method?: unknown } | null)?.method === taskMethod);
        return same ? shapeProblems(method, item, same, xmlTypes, `${path}[${index}]`) : [];
      }
      const counterpart = items[Math.min(index, items.length - 1)];
      return shapeProblems(method, item, counterpart, xmlTypes, `${path}[${index}]`);
    });
  }
  if (typeof recorded === "object") {
    if (path.endsWith(".extra")) return []; // free-form data, not a schema
    const rec = recorded as Record<string, unknown>;
    const act = actual as Record<string, unknown>;
    const problems: string[] = [];
    for (const name of Object.keys(rec)) {
      if (!(name in act)) problems.push(`${path}.${name}: missing in the simulator's answer`);
      else
        problems.push(
          ...shapeProblems(method, rec[name], act[name], xmlTypes, `${path}.${name}`, name),
        );
    }
    // Only the top-level structs of a method may carry the newer fields.
    const allowed = NEWER_FIELDS[method] ?? [];
    for (const name of Object.keys(act)) {
      if (!(name in rec) && !allowed.includes(name) && !isNestedFreeForm(path)) {
        problems.push(`${path}.${name}: not in the recording`);
      }
    }
    return problems;
  }
  return [];
}

/** Structs whose keys depend on the call: task request options, config inheritance. */
function isNestedFreeForm(path: string): boolean {
  return /\.request\[|\.config_inheritance/.test(path);
}

let sim: Simulator;
let callnum = 0;
let login: XmlRpcValue;
const tasks = { closed: 0, failed: 0, canceled: 0, running: 0, createrepo: 0 };
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
    scenario: recordedWorldScenario(),
    plainLoginUser: "koschei",
  });
  login = (await rawCall(`${sim.hubUrl}/ssllogin`, "sslLogin", [kwargs({ proxyuser: null })]))
    .value!;
  const submit = async (src: string) =>
    (await call("build", [src, "f29", { scratch: true }], { priority: 30 })).value as number;
  tasks.closed = await submit(MAVEN_SRC);
  tasks.failed = await submit(RNV_SRC);
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
    const state = (recorded as { state?: number } | null)?.state;
    return state === 5 ? tasks.failed : tasks.closed;
  };
  switch (entry.method) {
    case "getBuildTarget":
      return { args: ["f29"], kw };
    case "getBuildConfig":
      return { args: ["f29-build"], kw };
    case "getRPMHeaders":
      return {
        args: [],
        kw: { ...kw, rpmID: { name: "maven", version: "3.5.3", release: "2.fc29", arch: "src" } },
      };
    case "cancelTask":
      return entry.fault ? { args: [999], kw } : { args: [tasks.running], kw };
    case "listTagged": {
      const args: XmlRpcValue[] = ["f29-build", ...(entry.args.length > 1 ? [repoEvent] : [])];
      return { args, kw: kw.package !== undefined ? { ...kw, package: "rnv" } : kw };
    }
    case "getTaskInfo":
      return { args: [taskFor(entry.result)], kw };
    case "getTaskChildren": {
      const failed =
        Array.isArray(entry.result) &&
        entry.result.some((c) => (c as { state: number }).state === 5);
      return { args: [failed ? tasks.failed : tasks.closed], kw };
    }
    case "listPackages":
      return { args: [], kw: { ...kw, tagID: "f29-build" } };
    case "listRPMs":
      return entry.args.length
        ? { args: [548392], kw }
        : { args: [], kw: { ...kw, buildID: 1072874 } };
    case "build": {
      const opts = entry.args[2] as Record<string, XmlRpcValue>;
      const target = opts.repo_id !== undefined ? null : "f29";
      const simOpts = opts.repo_id !== undefined ? { ...opts, repo_id: 888027 } : opts;
      return { args: [MAVEN_SRC, target, simOpts], kw };
    }
    case "getTaskResult":
      if (entry.fault?.faultCode === 1) return "builder tracebacks (code 1) are not simulated";
      if (entry.fault?.faultCode === 1000) return { args: [tasks.canceled], kw };
      if (entry.fault) return { args: [tasks.failed], kw };
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

const recordedDir = sharedPath("contracts", "recorded");
for (const file of recordedFiles(recordedDir).sort()) {
  const entries = JSON.parse(readFileSync(file, "utf8")) as RecordedCall[];
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
