// Simulated scratch builds over real HTTP: tasks move through their states as simulated time
// advances, fail by the scenario's rules, can be canceled; the control interface changes the
// world (new build, new repo) and the repodata follows.

import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { SimClock } from "@koschei/koji-sim/state.js";
import { APP_SRC, TestSession, control, distScenario, rawCall } from "./hub-fixture.js";

interface Task {
  id: number;
  state: number;
  method: string;
  label: string | null;
  arch: string;
  host_id: number | null;
  request: unknown[];
  start_ts: number | null;
  completion_ts: number | null;
}
interface Host {
  name: string;
  task_load: number;
  ready: boolean;
}

const FREE = 0;
const OPEN = 1;
const CLOSED = 2;
const CANCELED = 3;
const FAILED = 5;

let sim: Simulator;
let koji: TestSession;

async function advance(seconds: number): Promise<void> {
  assert.equal((await control(sim.url, "/advance", { seconds })).status, 200);
}

async function buildApp(opts: Record<string, unknown> = {}): Promise<number> {
  return koji.value<number>("build", [APP_SRC, "dist", { scratch: true, ...opts }], {
    priority: 30,
  });
}

const info = (id: number) => koji.value<Task>("getTaskInfo", [id], { request: true });
const children = (id: number) => koji.value<Task[]>("getTaskChildren", [id], { request: true });

before(async () => {
  sim = await startSimulator({
    listen: "127.0.0.1:0",
    scenario: distScenario(),
    plainLoginUser: "koschei",
  });
  koji = await TestSession.open(sim.hubUrl);
});

after(async () => {
  await sim.close();
});

describe("scratch builds", () => {
  test("need a login", async () => {
    const answer = await rawCall(sim.hubUrl, "build", [APP_SRC, "dist", { scratch: true }]);
    assert.equal(answer.fault?.faultCode, 1004);
    assert.equal(answer.fault?.message, "you must be logged in for this operation");
  });

  test("go FREE → OPEN → CLOSED with rebuildSRPM and buildArch children, loading the hosts", async () => {
    const id = await buildApp();
    let task = await info(id);
    assert.deepEqual(
      [task.state, task.host_id, task.method, task.arch],
      [FREE, null, "build", "noarch"],
    );
    assert.deepEqual(task.request, [APP_SRC, "dist", { scratch: true }]);
    assert.equal((task as unknown as { priority: number }).priority, 50);

    await advance(10);
    task = await info(id);
    assert.equal(task.state, OPEN);
    assert.notEqual(task.start_ts, null);
    let kids = await children(id);
    assert.deepEqual(
      kids.map((c) => [c.method, c.label, c.state]),
      [["rebuildSRPM", "srpm", OPEN]],
    );
    const repo = await koji.value<{ id: number }>("getRepo", ["dist-build"], { state: 1 });
    assert.deepEqual(kids[0]!.request.slice(2), [{ repo_id: repo.id, scratch: true }]);
    const hosts = await koji.value<Host[]>("listHosts", [["x86_64"], 1], { enabled: true });
    const totalLoad = hosts.reduce((sum, h) => sum + h.task_load, 0);
    assert.equal(Math.round(totalLoad * 10) / 10, 1.5 + 0.2 + 1.0, "starting load + build + srpm");

    await advance(100 + 10);
    kids = await children(id);
    // i686 is excluded by the SRPM's ExcludeArch, so one buildArch.
    assert.deepEqual(
      kids.map((c) => [c.method, c.label, c.state]),
      [
        ["rebuildSRPM", "srpm", CLOSED],
        ["buildArch", "x86_64", OPEN],
      ],
    );
    const srpmResult = await koji.value<{ srpm: string }>("getTaskResult", [kids[0]!.id]);
    assert.equal(kids[1]!.request[0], srpmResult.srpm);
    assert.deepEqual(kids[1]!.request.slice(1), [
      (await koji.value<{ id: number }>("getTag", ["dist-build"])).id,
      "x86_64",
      true,
      { repo_id: repo.id },
    ]);

    await advance(100);
    task = await info(id);
    assert.equal(task.state, CLOSED);
    assert.ok(task.completion_ts! > task.start_ts!);
    assert.equal(await koji.value("getTaskResult", [id]), null);
    const archResult = await koji.value<{ rpms: string[] }>("getTaskResult", [kids[1]!.id]);
    assert.deepEqual(archResult.rpms, [
      `tasks/${kids[1]!.id % 10000}/${kids[1]!.id}/app-1.0-1.x86_64.rpm`,
    ]);

    const srpm = await fetch(`${sim.topurl}/packages/app/1.0/1/src/app-1.0-1.src.rpm`);
    assert.equal(srpm.status, 200);
    assert.equal(
      (await fetch(`${sim.topurl}/packages/app/9.9/1/src/app-9.9-1.src.rpm`)).status,
      404,
    );
    const log = await fetch(
      `${sim.topurl}/work/${archResult.rpms[0]!.replace(/[^/]+$/, "build.log")}`,
    );
    assert.equal(log.status, 200);
    assert.match(await log.text(), /Simulated build of tasks\//);
  });

  test("an arch override replaces the tag's arches", async () => {
    const id = await buildApp({ arch_override: "x86_64" });
    await advance(120);
    const kids = await children(id);
    assert.deepEqual(
      kids.filter((c) => c.method === "buildArch").map((c) => c.label),
      ["x86_64"],
    );
  });

  test("a repo_id build without target uses that repo; a bad repo fails the build", async () => {
    const repo = await koji.value<{ id: number }>("getRepo", ["dist-build"]);
    const good = await koji.value<number>("build", [
      APP_SRC,
      null,
      { scratch: true, repo_id: repo.id },
    ]);
    const bad = await koji.value<number>("build", [
      APP_SRC,
      null,
      { scratch: true, repo_id: 99999 },
    ]);
    await advance(10);
    assert.equal((await info(good)).state, OPEN);
    assert.equal((await info(bad)).state, FAILED);
    const result = await koji.call("getTaskResult", [bad]);
    assert.deepEqual(
      [result.fault?.faultCode, result.fault?.message],
      [1005, "No such repo: 99999"],
    );
  });

  test("cancelTask cancels the build and its running children", async () => {
    const id = await buildApp();
    await advance(10);
    const anonymous = await rawCall(sim.hubUrl, "cancelTask", [id]);
    assert.equal(anonymous.fault?.faultCode, 1004);
    assert.equal(await koji.value("cancelTask", [id]), null);
    assert.equal((await info(id)).state, CANCELED);
    assert.deepEqual(
      (await children(id)).map((c) => c.state),
      [CANCELED],
    );
    const result = await koji.call("getTaskResult", [id]);
    assert.deepEqual(
      [result.fault?.faultCode, result.fault?.message],
      [1000, `Task ${id} is canceled`],
    );
    assert.equal((await koji.call("cancelTask", [424242])).fault?.faultCode, 1000);
  });

  test("getTaskResult of an unfinished task is a GenericError", async () => {
    const id = await buildApp();
    const result = await koji.call("getTaskResult", [id]);
    assert.deepEqual(
      [result.fault?.faultCode, result.fault?.message],
      [1000, `Task ${id} is not finished`],
    );
    await koji.value("cancelTask", [id]);
  });
});

describe("changing the world through /control", () => {
  let oldRepo: number;

  test("tag a new libfoo and regenerate the repo: new repo id, repodata with the new version", async () => {
    oldRepo = (await koji.value<{ id: number }>("getRepo", ["dist-build"])).id;
    const tagged = await control(sim.url, "/tag-build", {
      tag: "dist",
      build: {
        name: "libfoo",
        version: "2.0",
        release: "1",
        rpms: [
          { name: "libfoo", arch: "x86_64", provides: ["libfoo.so.2()(64bit)"] },
          { name: "libfoo-devel", arch: "x86_64", requires: ["libfoo = 2.0-1"] },
        ],
      },
    });
    assert.equal(tagged.status, 200, JSON.stringify(tagged.body));
    assert.equal(tagged.body.nvr, "libfoo-2.0-1");
    const latest = await koji.value<{ nvr: string }[]>("listTagged", ["dist-build"], {
      inherit: true,
      latest: true,
      package: "libfoo",
    });
    assert.deepEqual(
      latest.map((b) => b.nvr),
      ["libfoo-2.0-1"],
    );
    // The repo is unchanged until it is regenerated.
    assert.equal((await koji.value<{ id: number }>("getRepo", ["dist-build"])).id, oldRepo);

    const regen = await control(sim.url, "/regen-repo", { tag: "dist-build" });
    assert.equal(regen.status, 200);
    const newRepo = regen.body.repo_id as number;
    assert.ok(newRepo > oldRepo);
    assert.equal(
      (await koji.value<{ id: number }>("getRepo", ["dist-build"], { state: 1 })).id,
      newRepo,
    );
    assert.equal((await koji.value<{ state: number }>("repoInfo", [oldRepo])).state, 2, "EXPIRED");

    const primary = async (repo: number) => {
      const base = `${sim.topurl}/repos/dist-build/${repo}/x86_64/`;
      const repomd = await (await fetch(`${base}repodata/repomd.xml`)).text();
      const href = /<location href="([^"]*primary[^"]*)"/.exec(repomd)![1]!;
      return gunzipSync(Buffer.from(await (await fetch(base + href)).arrayBuffer())).toString();
    };
    assert.match(
      await primary(newRepo),
      /<name>libfoo<\/name>[\s\S]*?<version epoch="0" ver="2.0" rel="1"\/>/,
    );
    assert.match(
      await primary(oldRepo),
      /<name>libfoo<\/name>[\s\S]*?<version epoch="0" ver="1.0" rel="1"\/>/,
    );
    assert.equal(
      (await fetch(`${sim.topurl}/repos/dist-build/999999/x86_64/repodata/repomd.xml`)).status,
      404,
    );
  });

  test("builds against the new repo fail by the scenario's rule (libfoo >= 2) on x86_64", async () => {
    const id = await buildApp();
    // Long enough for tasks of earlier tests that still hold the builders, too.
    await advance(3600);
    assert.equal((await info(id)).state, FAILED);
    const kids = await children(id);
    assert.deepEqual(
      kids.map((c) => [c.method, c.state]),
      [
        ["rebuildSRPM", CLOSED],
        ["buildArch", FAILED],
      ],
    );
    const expected =
      "error building package (arch x86_64), mock exited with status 1; see build.log for more information";
    const result = await koji.call("getTaskResult", [id]);
    assert.deepEqual([result.fault?.faultCode, result.fault?.message], [1005, expected]);
    assert.deepEqual(await koji.value("getTaskResult", [id], { raise_fault: false }), {
      faultCode: 1005,
      faultString: expected,
    });
  });

  test("builds pinned to the old repo still succeed", async () => {
    const id = await koji.value<number>("build", [
      APP_SRC,
      null,
      { scratch: true, repo_id: oldRepo },
    ]);
    await advance(3600);
    assert.equal((await info(id)).state, CLOSED);
  });

  test("newRepo runs a task with createrepo children and makes a READY repo", async () => {
    const id = await koji.value<number>("newRepo", ["dist-build"]);
    await advance(10);
    const kids = await children(id);
    assert.deepEqual(kids.map((c) => c.method).sort(), ["createrepo", "createrepo"]);
    const repoId = kids[0]!.request[0] as number;
    assert.equal(
      (await koji.value<{ state: number }>("repoInfo", [repoId])).state,
      0,
      "INIT while running",
    );
    await advance(120);
    assert.equal((await info(id)).state, CLOSED);
    const [resultRepo] = await koji.value<number[]>("getTaskResult", [id]);
    assert.equal(resultRepo, repoId);
    assert.equal((await koji.value<{ id: number }>("getRepo", ["dist-build"])).id, repoId);
  });

  test("control rejects bad requests with a JSON error", async () => {
    assert.deepEqual(await control(sim.url, "/regen-repo", { tag: "nope" }), {
      status: 400,
      body: { error: "no such tag: nope" },
    });
    assert.equal((await control(sim.url, "/advance", { seconds: "soon" })).status, 400);
    assert.equal(
      (await control(sim.url, "/tag-build", { tag: "dist", build: { name: "x" } })).status,
      400,
    );
    const badDependency = await control(sim.url, "/tag-build", {
      tag: "dist",
      build: {
        name: "x",
        version: "1",
        release: "1",
        rpms: [{ name: "x", arch: "noarch", requires: ["a >>= 1"] }],
      },
    });
    assert.equal(badDependency.status, 400);
    assert.equal(
      badDependency.body.error,
      'build.rpms[0].requires[0]: malformed dependency "a >>= 1" (expected "name [OP EVR]")',
    );
    assert.equal((await control(sim.url, "/nothing")).status, 404);
  });
});

describe("real-time mode", () => {
  test("with a running clock tasks progress without any call moving time", async () => {
    const fast = await startSimulator({
      listen: "127.0.0.1:0",
      scenario: distScenario(),
      plainLoginUser: "koschei",
      // 100 000 simulated seconds per real second: the whole build takes a few real ms.
      clock: new SimClock(Date.parse("2025-01-01T00:00:00Z") / 1000, 100_000),
    });
    try {
      const session = await TestSession.open(fast.hubUrl);
      const id = await session.value<number>("build", [APP_SRC, "dist", { scratch: true }]);
      let state = FREE;
      for (let polls = 0; state !== CLOSED && polls < 500; polls++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        // The simulation itself catches up on a timer; reading does not move time.
        state = fast.state.tasks.get(id)!.state;
      }
      assert.equal(state, CLOSED);
    } finally {
      await fast.close();
    }
  });
});
