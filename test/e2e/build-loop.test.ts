// The build loop end to end (issue #9 item 8) against real PostgreSQL and the Koji hub
// simulator over HTTP: an operator creates a collection and tracks packages with the admin
// commands; polling registers their real builds; the scheduler submits scratch builds once their
// time priority crosses the threshold, within max_builds and the builders' load; polling
// records how they end; a failure earns the failed-build priority; a package blocked in Koji is
// blocked here. Then the same loop under hub faults, and `koschei backend` as a process.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  COMPLETE,
  FAILED,
  KOJI_BUILDS,
  LoopWorld,
  REPO_ID,
  RUNNING,
  TASK_CLOSED,
  TASK_FAILED,
  TASK_OPEN,
  TRACKED,
  type PackageName,
} from "./loop-world.js";

const DAY = 24 * 3600;

/** What the repo resolver would record (it is not a service yet): buildroot and packages resolve. */
async function resolveEverything(world: LoopWorld): Promise<void> {
  await world.db
    .updateTable("collection")
    .set({ latest_repo_id: REPO_ID, latest_repo_resolved: true })
    .execute();
  await world.db
    .updateTable("package")
    .set({ resolved: true })
    .where("tracked", "=", true)
    .execute();
}

/** Koji's view of a build task: its buildArch children as koji_task rows store them. */
async function kojiArchTasks(world: LoopWorld, taskId: number) {
  const children = await world.koji.primary.getTaskChildren(taskId);
  return children
    .filter((child) => child.method === "buildArch")
    .map((child) => ({
      task_id: child.id,
      arch: child.arch,
      state: child.state,
      started: new Date(child.create_ts * 1000),
      finished: child.completion_ts === null ? null : new Date(child.completion_ts * 1000),
    }));
}

async function archTaskRows(world: LoopWorld, buildId: number) {
  return world.db
    .selectFrom("koji_task")
    .select(["task_id", "arch", "state", "started", "finished"])
    .where("build_id", "=", buildId)
    .orderBy("task_id")
    .execute();
}

async function buildRows(world: LoopWorld, name: PackageName) {
  return world.db
    .selectFrom("build")
    .innerJoin("package", "package.id", "build.package_id")
    .selectAll("build")
    .where("package.name", "=", name)
    .orderBy("build.id")
    .execute();
}

async function packageRow(world: LoopWorld, name: PackageName) {
  return world.db
    .selectFrom("package")
    .selectAll()
    .where("name", "=", name)
    .executeTakeFirstOrThrow();
}

function srpmUrl(name: PackageName): string {
  const { version, release } = KOJI_BUILDS[name];
  return `../packages/${name}/${version}/${release}/src/${name}-${version}-${release}.src.rpm`;
}

/** The scratch build request Koschei sends for a package of this world (arch x86_64 only). */
function scratchRequest(name: PackageName) {
  return [srpmUrl(name), "f30", { arch_override: "x86_64", scratch: true }];
}

describe("the build loop, in-process against the simulated hub", () => {
  let world: LoopWorld;
  /** Koji's last task id before the scheduler's first submission. */
  let watermark: number;
  const submittedTasks: Partial<Record<PackageName, number>> = {};
  let ids: Record<string, number>;

  before(async () => {
    world = await LoopWorld.start();
  });
  after(async () => {
    await world?.close();
  });

  /** The packages whose scratch builds Koji got since the watermark, in order. */
  async function submittedToKoji(): Promise<string[]> {
    const tasks = await world.buildTasksAfter(watermark);
    return tasks.map((task) => {
      const name = /\/packages\/([^/]+)\//.exec(String(task.request?.[0]))?.[1] ?? "?";
      assert.deepEqual(task.request, scratchRequest(name as PackageName), `task ${task.id}`);
      assert.equal((task as unknown as { owner_name: string }).owner_name, "koschei");
      return name;
    });
  }

  async function expectSubmitted(name: PackageName): Promise<number> {
    const outcome = await world.schedule();
    assert.equal(outcome.kind, "submitted", JSON.stringify(outcome));
    assert.ok(outcome.kind === "submitted");
    assert.equal(outcome.packageId, ids[name]);
    submittedTasks[name] = outcome.taskId;
    const [last] = (await buildRows(world, name)).slice(-1);
    assert.deepEqual(
      [last!.id, last!.task_id, last!.state, last!.real, last!.version, last!.release],
      [
        outcome.buildId,
        outcome.taskId,
        RUNNING,
        false,
        KOJI_BUILDS[name].version,
        KOJI_BUILDS[name].release,
      ],
    );
    return outcome.taskId;
  }

  /** The scratch build of the task: finished as Koji says, with its arch tasks as Koji has them. */
  async function expectFinished(name: PackageName, state: number, archState: number) {
    const taskId = submittedTasks[name]!;
    const build = (await buildRows(world, name)).find((row) => row.task_id === taskId)!;
    const task = await world.koji.primary.getTaskInfo(taskId);
    assert.deepEqual(
      [build.state, build.repo_id, build.started, build.finished],
      [state, REPO_ID, new Date(task!.create_ts * 1000), new Date(task!.completion_ts! * 1000)],
      `${name}'s build`,
    );
    const expectedTasks = await kojiArchTasks(world, taskId);
    assert.deepEqual(
      expectedTasks.map((t) => [t.arch, t.state]),
      [["x86_64", archState]],
    );
    assert.deepEqual(await archTaskRows(world, build.id), expectedTasks);
    const pkg = await packageRow(world, name);
    assert.deepEqual(
      [pkg.last_build_id, pkg.last_complete_build_id, pkg.last_complete_build_state],
      [build.id, build.id, state],
    );
    return { build, pkg };
  }

  test("create-collection and add-pkg; polling learns the packages and registers the tracked ones' real builds", async () => {
    const created = await world.admin([
      "create-collection",
      "f30",
      "-d",
      "Fedora 30",
      "-t",
      "f30",
      "--bugzilla-product",
      "Fedora",
      "--poll-untracked",
      "false",
    ]);
    assert.deepEqual(created, { output: ["Collection f30 created"] });
    const collection = await world.db
      .selectFrom("collection")
      .selectAll()
      .executeTakeFirstOrThrow();
    assert.deepEqual(
      [collection.target, collection.build_tag, collection.dest_tag, collection.poll_untracked],
      ["f30", "f30-build", "f30-build", false],
    );

    await world.poll();
    const packages = await world.db
      .selectFrom("package")
      .select(["name", "tracked", "blocked", "last_build_id"])
      .orderBy("name")
      .execute();
    assert.deepEqual(
      packages,
      ["alpha", "beta", "broken", "delta", "gamma"].map((name) => ({
        name,
        tracked: false,
        blocked: false,
        last_build_id: null,
      })),
    );
    assert.equal((await world.db.selectFrom("build").selectAll().execute()).length, 0);

    assert.deepEqual(await world.admin(["add-pkg", "-c", "f30", ...TRACKED]), {
      output: TRACKED.map(
        (name) => `Package ${name} (collection f30): tracked set from False to True`,
      ),
    });
    await world.poll();
    ids = await world.packageIds();
    assert.deepEqual(
      await buildRows(world, "gamma"),
      [],
      "an untracked package's build is not polled",
    );
    const tagged = await world.koji.primary.listTagged("f30", { latest: true });
    for (const name of TRACKED) {
      const koji = tagged.find((build) => build.package_name === name)!;
      const task = await world.koji.primary.getTaskInfo(koji.task_id!);
      const builds = await buildRows(world, name);
      assert.deepEqual(
        builds.map((b) => ({
          real: b.real,
          state: b.state,
          task_id: b.task_id,
          repo_id: b.repo_id,
          epoch: b.epoch,
          version: b.version,
          release: b.release,
          started: b.started,
          finished: b.finished,
          untagged: b.untagged,
        })),
        [
          {
            real: true,
            state: COMPLETE,
            task_id: koji.task_id,
            repo_id: REPO_ID,
            ...KOJI_BUILDS[name],
            started: new Date(task!.create_ts * 1000),
            finished: new Date(task!.completion_ts! * 1000),
            untagged: false,
          },
        ],
        name,
      );
      const archTasks = await kojiArchTasks(world, koji.task_id!);
      assert.deepEqual(
        archTasks.map((t) => [t.arch, t.state]),
        [["x86_64", TASK_CLOSED]],
      );
      assert.deepEqual(await archTaskRows(world, builds[0]!.id), archTasks);
      const pkg = await packageRow(world, name);
      assert.deepEqual(
        [pkg.tracked, pkg.last_build_id, pkg.last_complete_build_id, pkg.last_complete_build_state],
        [true, builds[0]!.id, builds[0]!.id, COMPLETE],
      );
    }
  });

  test("time priority alone: nothing below the threshold, the oldest last build first above it", async () => {
    await resolveEverything(world);
    watermark = await world.lastTaskId();
    // The real builds are 5.6 (alpha) to 2.6 hours (delta) old: time priority -30.
    assert.deepEqual(await world.schedule(), { kind: "below-threshold" });
    // Six days later alpha's is 149.6 hours old: time priority 247, below 256.
    await world.advance(6 * DAY);
    assert.deepEqual(await world.schedule(), { kind: "below-threshold" });
    assert.deepEqual(await submittedToKoji(), []);
    // Eight days: every last build is older than t1 (168 hours); alpha's is the oldest.
    await world.advance(2 * DAY);
    await expectSubmitted("alpha");
    assert.deepEqual(await submittedToKoji(), ["alpha"]);
  });

  test("the builders' load holds the next build back, then max_builds does", async () => {
    // alpha's buildArch runs: 0.2 + 1.5 of the builder's capacity 3.
    await world.advance(400);
    assert.deepEqual(await world.schedule(), {
      kind: "koji-load",
      packageId: ids.beta,
      load: 1.7 / 3,
    });
    assert.deepEqual(await submittedToKoji(), ["alpha"]);

    await world.poll();
    const [, running] = await buildRows(world, "alpha");
    const task = await world.koji.primary.getTaskInfo(submittedTasks.alpha!);
    assert.deepEqual(
      [running!.state, running!.repo_id, running!.started, running!.finished],
      [RUNNING, REPO_ID, new Date(task!.create_ts * 1000), null],
    );
    const openTasks = await kojiArchTasks(world, submittedTasks.alpha!);
    assert.deepEqual(
      openTasks.map((t) => [t.arch, t.state]),
      [["x86_64", TASK_OPEN]],
    );
    assert.deepEqual(await archTaskRows(world, running!.id), openTasks);

    await world.advance(300);
    await world.poll();
    const { pkg } = await expectFinished("alpha", COMPLETE, TASK_CLOSED);
    assert.equal(pkg.build_priority, 0);

    await expectSubmitted("beta");
    await expectSubmitted("broken");
    assert.deepEqual(await world.schedule(), { kind: "max-builds", running: 2 });
    assert.deepEqual(await submittedToKoji(), ["alpha", "beta", "broken"]);
    assert.deepEqual(world.stateChanges, []);
  });

  test("polling records each build's end; broken's failure earns the failed-build priority", async () => {
    await world.advance(3600);
    await world.poll();
    assert.equal((await expectFinished("beta", COMPLETE, TASK_CLOSED)).pkg.build_priority, 0);
    assert.equal((await expectFinished("broken", FAILED, TASK_FAILED)).pkg.build_priority, 200);
    assert.deepEqual(
      world.stateChanges.map((change) => [change.package.name, change.prevState, change.newState]),
      [["broken", "ok", "failing"]],
    );

    await expectSubmitted("delta");
    await world.advance(3600);
    await world.poll();
    await expectFinished("delta", COMPLETE, TASK_CLOSED);
    assert.deepEqual(await submittedToKoji(), ["alpha", "beta", "broken", "delta"]);
  });

  test("the failed-build priority brings the failing package back before the others", async () => {
    // broken: 200 + time priority -30; the others -30.
    assert.deepEqual(await world.schedule(), { kind: "below-threshold" });
    const [, failed] = await buildRows(world, "broken");
    // 14 hours after broken's build: 200 + 65 for broken, at most 66 for the others.
    const age = (world.now().getTime() - failed!.started.getTime()) / 1000;
    await world.advance(14 * 3600 - age);
    await expectSubmitted("broken");
    assert.deepEqual(await world.schedule(), { kind: "below-threshold" });
    await world.advance(3600);
    await world.poll();
    // Failing again: no new bump (its own previous build failed too), no state change.
    assert.equal((await expectFinished("broken", FAILED, TASK_FAILED)).pkg.build_priority, 0);
    assert.equal(world.stateChanges.length, 1);
    assert.deepEqual(await submittedToKoji(), ["alpha", "beta", "broken", "delta", "broken"]);
  });

  test("a package blocked in Koji becomes blocked here and is passed over", async () => {
    await world.restartSimulator(["delta"]);
    await world.poll();
    const packages = await world.db
      .selectFrom("package")
      .select(["name", "blocked"])
      .orderBy("name")
      .execute();
    assert.deepEqual(packages, [
      { name: "alpha", blocked: false },
      { name: "beta", blocked: false },
      { name: "broken", blocked: false },
      { name: "delta", blocked: true },
      { name: "gamma", blocked: false },
    ]);
    // A manual priority far above the threshold would make delta next, were it not blocked.
    const set = await world.admin(["set-priority", "--collection", "f30", "delta", "3000"]);
    assert.equal(set.error, undefined);
    watermark = await world.lastTaskId();
    assert.deepEqual(await world.schedule(), { kind: "below-threshold" });
    assert.deepEqual(await submittedToKoji(), []);
    assert.equal((await packageRow(world, "delta")).manual_priority, 3000);
  });
});
