// The builds of a scenario, and those /control/tag-build adds, come with the finished build
// task a real hub has for them (so Koschei's polling can register them as real builds), unless
// they are marked imported. Checked over real HTTP, with Koschei's own task reading.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { KojiTaskInfo } from "@koschei/koji-protocol/koji-types.js";
import { parseScenario } from "@koschei/koji-sim/scenario.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { childTaskRepoId } from "../../src/koji/tasks.js";
import { TestSession, control } from "./hub-fixture.js";

const CLOSED = 2;
const REPO_ID = 500;
const APP_SCM = "git+https://src.koji-sim.test/rpms/app.git?#";

interface Build {
  id: number;
  nvr: string;
  task_id: number | null;
  source: string | null;
  start_ts: number;
  completion_ts: number;
}

let sim: Simulator;
let koji: TestSession;

before(async () => {
  const scenario = parseScenario(
    {
      name: "build-tasks",
      startTime: "2025-01-01T00:00:00Z",
      hosts: [{ name: "builder", arches: ["x86_64", "i386"], capacity: 4 }],
      tags: [{ name: "f42" }, { name: "f42-build", parents: ["f42"], arches: ["x86_64", "i686"] }],
      targets: [{ name: "f42", buildTag: "f42-build", destTag: "f42" }],
      builds: [
        {
          name: "app",
          version: "1.0",
          release: "1",
          owner: "alice",
          tags: ["f42"],
          rpms: [
            { name: "app", arch: "x86_64" },
            { name: "app", arch: "i686" },
            { name: "app-doc", arch: "noarch" },
          ],
        },
        {
          name: "lib",
          version: "2.0",
          release: "1",
          tags: ["f42-build"],
          srpm: { buildArchs: ["noarch"] },
          rpms: [{ name: "lib", arch: "noarch" }],
        },
        { name: "legacy", version: "0.1", release: "1", tags: ["f42"], imported: true },
      ],
      repos: [{ id: REPO_ID, tag: "f42-build" }],
    },
    "build-tasks",
  );
  sim = await startSimulator({ listen: "127.0.0.1:0", scenario, plainLoginUser: "koschei" });
  koji = await TestSession.open(sim.hubUrl);
});

after(async () => {
  await sim.close();
});

const getBuild = (nvr: string) => koji.value<Build>("getBuild", [nvr]);
const taskInfo = (id: number) => koji.value<KojiTaskInfo>("getTaskInfo", [id], { request: true });
const children = async (id: number) =>
  (await koji.value<KojiTaskInfo[]>("getTaskChildren", [id], { request: true })).sort(
    (a, b) => a.id - b.id,
  );

describe("scenario builds", () => {
  test("listTagged shows the task of each built build and none for an imported one", async () => {
    const tagged = await koji.value<{ nvr: string; task_id: number | null }[]>(
      "listTagged",
      ["f42-build"],
      { inherit: true },
    );
    const tasks = new Map(tagged.map((b) => [b.nvr, b.task_id]));
    assert.deepEqual([...tasks.keys()].sort(), ["app-1.0-1", "legacy-0.1-1", "lib-2.0-1"]);
    assert.equal(tasks.get("legacy-0.1-1"), null);
    assert.equal(tasks.get("app-1.0-1"), (await getBuild("app-1.0-1")).task_id);
    assert.equal(typeof tasks.get("app-1.0-1"), "number");
    assert.equal(typeof tasks.get("lib-2.0-1"), "number");
    assert.equal((await getBuild("legacy-0.1-1")).source, null);
  });

  test("a build's task is a CLOSED build of its SCM source in its target, before it completed", async () => {
    const build = await getBuild("app-1.0-1");
    const task = await taskInfo(build.task_id!);
    assert.equal(build.source, task.request![0]);
    assert.match(
      String(build.source),
      /^git\+https:\/\/src\.koji-sim\.test\/rpms\/app\.git\?#[0-9a-f]{40}$/,
    );
    assert.deepEqual(
      {
        method: task.method,
        state: task.state,
        parent: task.parent,
        arch: task.arch,
        label: task.label,
        priority: task.priority,
        waiting: task.waiting,
        awaited: task.awaited,
        owner: task.owner,
        request: task.request,
      },
      {
        method: "build",
        state: CLOSED,
        parent: null,
        arch: "noarch",
        label: null,
        priority: 20,
        waiting: false,
        awaited: null,
        owner: (await koji.value<{ id: number }>("getUser", ["alice"])).id,
        request: [build.source, "f42", {}],
      },
    );
    assert.ok(task.create_ts < task.start_ts! && task.start_ts! < build.start_ts);
    assert.equal(task.completion_ts, build.completion_ts);
    assert.equal(await koji.value("getTaskResult", [task.id]), null);
  });

  test("its children: the SRPM from SCM, one buildArch per arch in the build tag's repo, tagBuild", async () => {
    const build = await getBuild("app-1.0-1");
    const kids = await children(build.task_id!);
    const srpm = `tasks/${(build.task_id! + 1) % 10000}/${build.task_id! + 1}/app-1.0-1.src.rpm`;
    const tagIds = await Promise.all(
      ["f42-build", "f42"].map(
        async (tag) => (await koji.value<{ id: number }>("getTag", [tag])).id,
      ),
    );
    assert.deepEqual(
      kids.map((c) => [c.method, c.arch, c.label, c.state, c.parent, c.priority, c.request]),
      [
        [
          "buildSRPMFromSCM",
          "noarch",
          "srpm",
          CLOSED,
          build.task_id,
          19,
          [build.source, tagIds[0], { repo_id: REPO_ID, scratch: null }],
        ],
        [
          "buildArch",
          "x86_64",
          "x86_64",
          CLOSED,
          build.task_id,
          19,
          [srpm, tagIds[0], "x86_64", true, { repo_id: REPO_ID }],
        ],
        [
          "buildArch",
          "i386",
          "i686",
          CLOSED,
          build.task_id,
          19,
          [srpm, tagIds[0], "i686", false, { repo_id: REPO_ID }],
        ],
        [
          "tagBuild",
          "noarch",
          "tag",
          CLOSED,
          build.task_id,
          19,
          [tagIds[1], build.id, false, null, true],
        ],
      ],
    );
    // Koschei's polling reads the repo from the buildArch children.
    assert.deepEqual(
      kids.map((c) => childTaskRepoId(c)),
      [null, REPO_ID, REPO_ID, null],
    );
    for (const child of kids) {
      assert.ok(child.completion_ts! <= build.completion_ts, `${child.method} ends in time`);
      assert.equal(child.host_id, 1);
    }
  });

  test("buildArch results name their buildroots, which the build's RPMs were built in", async () => {
    const build = await getBuild("app-1.0-1");
    const [, x86, i686] = await children(build.task_id!);
    type Result = { brootid: number; rpms: string[]; srpms: string[]; logs: string[] };
    const x86Result = await koji.value<Result>("getTaskResult", [x86!.id]);
    const i686Result = await koji.value<Result>("getTaskResult", [i686!.id]);
    const dir = `tasks/${x86!.id % 10000}/${x86!.id}`;
    assert.deepEqual(x86Result.rpms, [
      `${dir}/app-1.0-1.x86_64.rpm`,
      `${dir}/app-doc-1.0-1.noarch.rpm`,
    ]);
    assert.deepEqual(x86Result.srpms, []);
    const rpms = await koji.value<{ nvr: string; arch: string; buildroot_id: number | null }[]>(
      "listRPMs",
      [build.id],
    );
    assert.deepEqual(
      Object.fromEntries(
        rpms.filter((r) => r.arch !== "src").map((r) => [`${r.nvr}.${r.arch}`, r.buildroot_id]),
      ),
      {
        "app-1.0-1.x86_64": x86Result.brootid,
        "app-1.0-1.i686": i686Result.brootid,
        // noarch binaries come from the first buildArch task
        "app-doc-1.0-1.noarch": x86Result.brootid,
      },
    );
    const legacy = await getBuild("legacy-0.1-1");
    const legacyRpms = await koji.value<{ buildroot_id: number | null }[]>("listRPMs", [legacy.id]);
    assert.deepEqual(
      legacyRpms.map((r) => r.buildroot_id),
      [null],
    );
  });

  test("the tasks' logs and outputs are served from the work directory", async () => {
    const build = await getBuild("app-1.0-1");
    const [, x86] = await children(build.task_id!);
    const result = await koji.value<{ logs: string[] }>("getTaskResult", [x86!.id]);
    const dir = `tasks/${x86!.id % 10000}/${x86!.id}`;
    assert.deepEqual(result.logs, [
      `${dir}/build.log`,
      `${dir}/root.log`,
      `${dir}/state.log`,
      `${dir}/mock_output.log`,
    ]);
    const fetchWork = async (path: string) => {
      const response = await fetch(`${sim.topurl}/work/${path}`);
      return { status: response.status, text: await response.text() };
    };
    const buildLog = await fetchWork(`${dir}/build.log`);
    assert.deepEqual(buildLog, {
      status: 200,
      text: `Simulated build of ${String(x86!.request![0])} on x86_64\n`,
    });
    assert.match((await fetchWork(`${dir}/state.log`)).text, /: CLOSED\n$/);
    assert.equal((await fetchWork(`${dir}/root.log`)).status, 200);
    assert.equal((await fetchWork(`${dir}/app-1.0-1.x86_64.rpm`)).status, 200);
  });

  test("a build tagged only into the build tag was built with skip_tag, noarch by its BuildArch", async () => {
    const build = await getBuild("lib-2.0-1");
    const task = await taskInfo(build.task_id!);
    assert.deepEqual(task.request!.slice(1), ["f42", { skip_tag: true }]);
    const kids = await children(build.task_id!);
    assert.deepEqual(
      kids.map((c) => [c.method, c.label, childTaskRepoId(c)]),
      [
        ["buildSRPMFromSCM", "srpm", null],
        ["buildArch", "noarch", REPO_ID],
      ],
    );
  });
});

describe("/control/tag-build", () => {
  test("a new build gets a task in the build tag's current repo; later task ids are new", async () => {
    const before = await getBuild("lib-2.0-1");
    const regen = await control(sim.url, "/regen-repo", { tag: "f42-build" });
    const repoId = (regen.body as { repo_id: number }).repo_id;
    const added = await control(sim.url, "/tag-build", {
      tag: "f42",
      build: { name: "app", version: "2.0", release: "1", rpms: [{ name: "app", arch: "x86_64" }] },
    });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    const build = await getBuild("app-2.0-1");
    assert.ok(build.task_id! > before.task_id!);
    assert.match(String(build.source), new RegExp(`^${APP_SCM.replace(/[.?+]/g, "\\$&")}`));
    const task = await taskInfo(build.task_id!);
    assert.deepEqual(
      [task.method, task.state, task.request],
      ["build", CLOSED, [build.source, "f42", {}]],
    );
    const kids = await children(build.task_id!);
    assert.deepEqual(
      kids.map((c) => [c.method, c.label, childTaskRepoId(c)]),
      [
        ["buildSRPMFromSCM", "srpm", null],
        ["buildArch", "x86_64", repoId],
        ["buildArch", "i686", repoId],
        ["tagBuild", "tag", null],
      ],
    );
    const tagged = await koji.value<{ task_id: number | null }[]>("listTagged", ["f42"], {
      package: "app",
      latest: true,
    });
    assert.deepEqual(
      tagged.map((b) => b.task_id),
      [build.task_id],
    );
    // A scratch build submitted now takes the next task id.
    const scratch = await koji.value<number>(
      "build",
      ["../packages/app/2.0/1/src/app-2.0-1.src.rpm", "f42", { scratch: true }],
      { priority: 30 },
    );
    assert.equal(scratch, kids.at(-1)!.id + 1);
  });

  test("an imported new build has no task", async () => {
    const added = await control(sim.url, "/tag-build", {
      tag: "f42",
      build: { name: "legacy", version: "0.2", release: "1", imported: true },
    });
    assert.equal(added.status, 200, JSON.stringify(added.body));
    const build = await getBuild("legacy-0.2-1");
    assert.deepEqual([build.task_id, build.source], [null, null]);
  });
});

describe("scenario checks", () => {
  const withBuild = (extra: Record<string, unknown>) => ({
    name: "checks",
    startTime: "2025-01-01T00:00:00Z",
    hosts: [{ name: "builder", arches: ["x86_64"] }],
    tags: [{ name: "f42" }, { name: "f42-build", arches: ["x86_64"] }],
    builds: [{ name: "app", version: "1", release: "1", tags: ["f42"] }],
    ...extra,
  });

  test("a built build needs a target, and its build tag a repo; an imported one neither", () => {
    assert.throws(() => parseScenario(withBuild({ targets: [] }), "checks"), {
      name: "ScenarioError",
      message:
        "checks: builds[0]: a build task needs a target, and the scenario has none (or mark it imported)",
    });
    assert.throws(
      () =>
        parseScenario(
          withBuild({
            targets: [{ name: "f42", buildTag: "f42-build", destTag: "f42" }],
            repos: [{ tag: "f42" }],
          }),
          "checks",
        ),
      {
        message:
          "checks: builds[0]: built in target f42, whose build tag f42-build has no repo in repos (or mark it imported)",
      },
    );
    const imported = withBuild({
      targets: [],
      builds: [{ name: "app", version: "1", release: "1", tags: ["f42"], imported: true }],
    });
    assert.equal(parseScenario(imported, "checks").builds[0]!.imported, true);
  });
});
