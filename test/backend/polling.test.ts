// The polling service (spec 03 §1, §3; scenarios of 06 §1 and §4) against real PostgreSQL and
// the Koji hub simulator: running builds follow their tasks, package lists follow the
// destination tag, real builds and untagging follow the latest tagged builds, statistics are
// refreshed, and hub faults lose nothing.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { KojiBuildState } from "@koschei/koji-protocol/koji-states.js";
import {
  pollRunningBuilds,
  refreshLatestBuilds,
  refreshPackages,
  runPollingPass,
} from "../../src/backend/polling.js";
import { registerRealBuilds } from "../../src/backend/real-builds.js";
import { silentLogger } from "../../src/log/logger.js";
import {
  COMPLETE,
  FAILED,
  KOJI_BUILDS,
  REPO_ID,
  RUNNING,
  ServiceWorld,
  useServiceWorld,
} from "./service-world.js";

let world: ServiceWorld;
useServiceWorld((started) => (world = started));

function poll(): Promise<void> {
  const session = world.session();
  return runPollingPass({
    session: async () => session,
    log: silentLogger,
    stopping: new AbortController().signal,
  });
}

/** Submits a scratch build of the package's Koji build and records it as running. */
async function submitted(
  packageId: number,
  name: keyof typeof KOJI_BUILDS,
): Promise<{ id: number; task_id: number }> {
  const { version, release } = KOJI_BUILDS[name];
  const taskId = await world.koji.primary.build(
    `../packages/${name}/${version}/${release}/src/${name}-${version}-${release}.src.rpm`,
    "f29",
    { scratch: true, arch_override: "armv7hl i686 x86_64" },
  );
  const id = await world.build(packageId, {
    state: RUNNING,
    task_id: taskId,
    started: world.now(),
    finished: null,
    repo_id: null,
  });
  return { id, task_id: taskId };
}

async function archTasks(buildId: number) {
  return world.db
    .selectFrom("koji_task")
    .select(["arch", "state"])
    .where("build_id", "=", buildId)
    .orderBy("arch")
    .execute();
}

const CLOSED_ARCH_TASKS = [
  { arch: "armhfp", state: 2 },
  { arch: "i386", state: 2 },
  { arch: "x86_64", state: 2 },
];

describe("running builds (06 §4)", () => {
  test("no running build: Koji is not asked", async () => {
    const rnv = await world.package("rnv");
    await world.build(rnv, { state: COMPLETE });
    await world.build(rnv, { state: FAILED, started: world.minutesAgo(10) });
    await world.inject("*", { httpStatus: 500 });
    await pollRunningBuilds(world.session(), silentLogger, new AbortController().signal);
    assert.deepEqual(await world.pendingFaults(), [
      { method: "*", remaining: 1, fault: { kind: "http", status: 500 } },
    ]);
  });

  test("two finished tasks: both builds complete with repo and arch tasks; a complete build is left alone", async () => {
    const rnv = await world.package("rnv");
    await world.build(rnv, { state: FAILED });
    const rnvBuild = await submitted(rnv, "rnv");
    const eclipse = await world.package("eclipse");
    await world.build(eclipse, { state: COMPLETE });
    const eclipseBuild = await submitted(eclipse, "eclipse");
    const maven = await world.package("maven");
    const mavenBuild = await world.build(maven, { state: COMPLETE });
    const mavenBefore = await world.buildRows(maven);
    await world.advance(2000);

    await poll();

    for (const build of [rnvBuild, eclipseBuild]) {
      const row = (await world.db
        .selectFrom("build")
        .selectAll()
        .where("id", "=", build.id)
        .executeTakeFirstOrThrow())!;
      assert.deepEqual([row.state, row.repo_id], [COMPLETE, REPO_ID]);
      assert.deepEqual(await archTasks(build.id), CLOSED_ARCH_TASKS);
    }
    assert.deepEqual(await world.buildRows(maven), mavenBefore);
    assert.equal(mavenBefore[0]!.id, mavenBuild);
    assert.deepEqual(
      world.stateChanges.map((change) => [change.package.name, change.prevState, change.newState]),
      [["rnv", "failing", "ok"]],
    );
  });

  test("the SRPM task failed: FAILED with the rebuildSRPM repo id, ignored → failing", async () => {
    const broken = await world.package("broken", { resolved: null });
    const build = await submitted(broken, "broken");
    await world.advance(200);
    await poll();
    const [row] = await world.buildRows(broken);
    assert.deepEqual([row!.id, row!.state, row!.repo_id], [build.id, FAILED, REPO_ID]);
    assert.deepEqual(
      world.stateChanges.map((change) => [change.package.id, change.prevState, change.newState]),
      [[broken, "ignored", "failing"]],
    );
  });

  test("a task still running: times, repo id and arch tasks are stored, the build stays running", async () => {
    const rnv = await world.package("rnv");
    const build = await submitted(rnv, "rnv");
    // The SRPM is built after 605 s; the arch tasks then run for 600 s.
    await world.advance(700);
    await poll();
    const [row] = await world.buildRows(rnv);
    const info = (await world.koji.primary.getTaskInfo(build.task_id))!;
    assert.deepEqual(
      [row!.state, row!.repo_id, row!.started],
      [RUNNING, REPO_ID, new Date(info.create_ts * 1000)],
    );
    assert.deepEqual(await archTasks(build.id), [
      { arch: "armhfp", state: 1 },
      { arch: "i386", state: 1 },
      { arch: "x86_64", state: 1 },
    ]);
  });

  test("a task Koji does not know is passed over; the other builds are still polled", async () => {
    const rnv = await world.package("rnv");
    const ghost = await world.build(rnv, {
      state: RUNNING,
      task_id: 99_999_999,
      finished: null,
      repo_id: null,
    });
    const eclipse = await world.package("eclipse");
    const build = await submitted(eclipse, "eclipse");
    await world.advance(2000);
    await poll();
    const [ghostRow] = await world.buildRows(rnv);
    assert.deepEqual([ghostRow!.id, ghostRow!.state], [ghost, RUNNING]);
    const [eclipseRow] = await world.buildRows(eclipse);
    assert.deepEqual([eclipseRow!.id, eclipseRow!.state], [build.id, COMPLETE]);
  });

  test("a build whose cancellation was requested is canceled in Koji and deleted", async () => {
    const rnv = await world.package("rnv");
    const build = await submitted(rnv, "rnv");
    await world.db
      .updateTable("build")
      .set({ cancel_requested: true })
      .where("id", "=", build.id)
      .execute();
    await pollRunningBuilds(world.session(), silentLogger, new AbortController().signal);
    assert.deepEqual(await world.buildRows(rnv), []);
    assert.equal((await world.koji.primary.getTaskInfo(build.task_id))!.state, 3);
  });
});

describe("package lists (03 §3.6)", () => {
  test("Koji's packages exist in the collection, untracked when new, blocked as Koji says", async () => {
    const eclipse = await world.package("eclipse");
    const rnv = await world.package("rnv", { blocked: true });
    const gone = await world.package("gone");
    const retired = await world.package("retired");
    await refreshPackages(world.session());

    const packages = await world.db
      .selectFrom("package")
      .select(["id", "name", "tracked", "blocked"])
      .orderBy("name")
      .execute();
    const byName = Object.fromEntries(packages.map((pkg) => [pkg.name, pkg]));
    const kojiNames = Object.keys(KOJI_BUILDS).filter((name) => name !== "oldpkg");
    assert.deepEqual(
      packages.map((pkg) => pkg.name),
      [...kojiNames, "gone", "retired"].sort(),
    );
    assert.deepEqual(byName.eclipse, {
      id: eclipse,
      name: "eclipse",
      tracked: true,
      blocked: false,
    });
    assert.deepEqual(byName.rnv, { id: rnv, name: "rnv", tracked: true, blocked: false });
    assert.deepEqual(byName.gone, { id: gone, name: "gone", tracked: true, blocked: true });
    assert.deepEqual(byName.retired, {
      id: retired,
      name: "retired",
      tracked: true,
      blocked: true,
    });
    assert.deepEqual([byName.maven!.tracked, byName.maven!.blocked], [false, false]);
    const bases = await world.db.selectFrom("base_package").select("name").execute();
    assert.equal(bases.length, packages.length);
  });

  test("a package Koji blocks that Koschei does not know is added blocked", async () => {
    await world.collection();
    await refreshPackages(world.session());
    const retired = await world.db
      .selectFrom("package")
      .select(["tracked", "blocked"])
      .where("name", "=", "retired")
      .executeTakeFirstOrThrow();
    assert.deepEqual(retired, { tracked: false, blocked: true });
  });
});

describe("latest tagged builds (03 §3.3)", () => {
  test("ours newer than Koji's latest, which has no repo id: all our builds untagged, no last build", async () => {
    const slf4j = await world.package("slf4j");
    await world.build(slf4j, { state: FAILED, release: "30.fc29" });
    await refreshLatestBuilds(world.session(), silentLogger);
    const [build] = await world.buildRows(slf4j);
    assert.equal(build!.untagged, true);
    const pkg = await world.packageRow(slf4j);
    assert.deepEqual(
      [pkg.last_build_id, pkg.last_complete_build_id, pkg.last_complete_build_state],
      [null, null, null],
    );
  });

  test("Koji's newer build is registered as a real build with its repo and arch tasks", async () => {
    const rnv = await world.package("rnv", { dependency_priority: 40 });
    // Built a day before Koji's build of 15.fc28.
    const old = await world.build(rnv, {
      state: FAILED,
      release: "14.fc28",
      started: new Date("2018-04-04T00:00:00Z"),
    });
    await refreshLatestBuilds(world.session(), silentLogger);
    const [kojiBuild] = await world.koji.primary.listTagged("f29", {
      package: "rnv",
      latest: true,
    });
    const rows = await world.buildRows(rnv);
    assert.deepEqual(
      rows.map((row) => [
        row.id === old,
        row.real,
        row.state,
        row.task_id,
        row.repo_id,
        row.release,
      ]),
      [
        [true, false, FAILED, rows[0]!.task_id, 1, "14.fc28"],
        [false, true, COMPLETE, kojiBuild!.task_id, REPO_ID, "15.fc28"],
      ],
    );
    assert.deepEqual(await archTasks(rows[1]!.id), CLOSED_ARCH_TASKS);
    const pkg = await world.packageRow(rnv);
    assert.deepEqual(
      [pkg.last_build_id, pkg.last_complete_build_state, pkg.dependency_priority],
      [rows[1]!.id, COMPLETE, 0],
    );
    assert.deepEqual(world.stateChanges, []);
  });

  test("ours newer than Koji's latest: builds after our build of Koji's EVR are untagged", async () => {
    const lbzip2 = await world.package("lbzip2");
    const tagged = await world.build(lbzip2, { real: true, started: world.minutesAgo(60) });
    const newer = await world.build(lbzip2, { release: "11.fc28", started: world.minutesAgo(30) });
    await refreshLatestBuilds(world.session(), silentLogger);
    const rows = await world.buildRows(lbzip2);
    assert.deepEqual(
      rows.map((row) => [row.id, row.untagged]),
      [
        [tagged, false],
        [newer, true],
      ],
    );
    assert.equal((await world.packageRow(lbzip2)).last_build_id, tagged);
  });

  test("an untagged build that Koji tags again is the last build again", async () => {
    const log4j = await world.package("log4j");
    const build = await world.build(log4j, { real: true, untagged: true });
    assert.equal((await world.packageRow(log4j)).last_build_id, null);
    await refreshLatestBuilds(world.session(), silentLogger);
    const [row] = await world.buildRows(log4j);
    assert.equal(row!.untagged, false);
    assert.equal((await world.packageRow(log4j)).last_build_id, build);
  });

  test("Koji builds without a task, builds equal to ours and unknown packages change nothing", async () => {
    const slf4j = await world.package("slf4j");
    await world.build(slf4j, { release: "3.fc28" });
    const maven = await world.package("maven");
    await world.build(maven, { real: true });
    const before = await world.db.selectFrom("build").selectAll().orderBy("id").execute();
    await refreshLatestBuilds(world.session(), silentLogger);
    assert.deepEqual(
      await world.db.selectFrom("build").selectAll().orderBy("id").execute(),
      before,
    );
    const names = await world.db.selectFrom("package").select("name").orderBy("name").execute();
    assert.deepEqual(
      names.map((row) => row.name),
      ["maven", "slf4j"],
    );
  });
});

describe("registering real builds (03 §3.4)", () => {
  /** A finished scratch task in the simulator stands in for a real build's task. */
  async function finishedTask(name: keyof typeof KOJI_BUILDS): Promise<number> {
    const { version, release } = KOJI_BUILDS[name];
    const taskId = await world.koji.primary.build(
      `../packages/${name}/${version}/${release}/src/${name}-${version}-${release}.src.rpm`,
      "f29",
      { scratch: true, arch_override: "armv7hl i686 x86_64" },
    );
    await world.advance(2000);
    return taskId;
  }

  test("a new real build: stored with repo id and arch tasks, priorities reset, once only", async () => {
    const collection = await world.collection();
    const rnv = await world.package("rnv", {
      manual_priority: 10,
      dependency_priority: 40,
      build_priority: 50,
    });
    await world.build(rnv, { state: FAILED, release: "14.fc28" });
    const taskId = await finishedTask("rnv");
    const info = {
      name: "rnv",
      ...KOJI_BUILDS.rnv,
      state: KojiBuildState.COMPLETE,
      task_id: taskId,
    };
    const collectionRow = { id: collection, display_name: "Fedora 29", secondary_mode: false };

    assert.equal(
      await registerRealBuilds(world.session(), collectionRow, [{ packageId: rnv, info }]),
      1,
    );
    assert.equal(
      await registerRealBuilds(world.session(), collectionRow, [{ packageId: rnv, info }]),
      0,
    );

    const [, real] = await world.buildRows(rnv);
    const task = (await world.koji.primary.getTaskInfo(taskId))!;
    assert.deepEqual(
      [
        real!.real,
        real!.state,
        real!.task_id,
        real!.repo_id,
        real!.version,
        real!.release,
        real!.started,
      ],
      [true, COMPLETE, taskId, REPO_ID, "1.7.11", "15.fc28", new Date(task.create_ts * 1000)],
    );
    assert.deepEqual(await archTasks(real!.id), CLOSED_ARCH_TASKS);
    const pkg = await world.packageRow(rnv);
    assert.deepEqual(
      [
        pkg.last_build_id,
        pkg.last_complete_build_state,
        pkg.manual_priority,
        pkg.dependency_priority,
        pkg.build_priority,
      ],
      [real!.id, COMPLETE, 0, 0, 0],
    );
  });

  test("a failed Koji build is stored failed; one whose task Koji does not know is not stored", async () => {
    const collection = await world.collection();
    const eclipse = await world.package("eclipse");
    const taskId = await finishedTask("eclipse");
    const collectionRow = { id: collection, display_name: "Fedora 29", secondary_mode: false };
    const info = { name: "eclipse", ...KOJI_BUILDS.eclipse, state: KojiBuildState.FAILED };
    assert.equal(
      await registerRealBuilds(world.session(), collectionRow, [
        { packageId: eclipse, info: { ...info, task_id: taskId } },
        { packageId: eclipse, info: { ...info, release: "3.fc28", task_id: 99_999_999 } },
      ]),
      1,
    );
    const rows = await world.buildRows(eclipse);
    assert.deepEqual(
      rows.map((row) => [row.task_id, row.state, row.real]),
      [[taskId, FAILED, true]],
    );
  });
});

describe("a whole pass", () => {
  test("dispatches polling_event once and refreshes the statistics", async () => {
    // Builds of the new, untracked packages are not registered.
    await world.collection({ poll_untracked: false });
    const rnv = await world.package("rnv");
    await world.build(rnv, { real: true });
    let pollingEvents = 0;
    world.events.on("polling_event", () => {
      pollingEvents++;
    });
    await poll();
    assert.equal(pollingEvents, 1);
    const stats = await world.db
      .selectFrom("scalar_stats")
      .select([
        "packages",
        "tracked_packages",
        "blocked_packages",
        "builds",
        "real_builds",
        "scratch_builds",
      ])
      .execute();
    const packageCount = Object.keys(KOJI_BUILDS).length; // oldpkg is absent, "retired" comes
    assert.deepEqual(stats, [
      {
        packages: packageCount,
        tracked_packages: 1,
        blocked_packages: 1,
        builds: 1,
        real_builds: 1,
        scratch_builds: 0,
      },
    ]);
  });
});

describe("faults: nothing lost, nothing twice", () => {
  test("a truncated multicall answer and a slow one are retried", async () => {
    const rnv = await world.package("rnv");
    const build = await submitted(rnv, "rnv");
    await world.advance(2000);
    await world.inject("multiCall", { truncate: true });
    await world.inject("listPackages", { delayMs: 5000 });
    await poll();
    const [row] = await world.buildRows(rnv);
    assert.deepEqual([row!.id, row!.state], [build.id, COMPLETE]);
    assert.deepEqual(await world.pendingFaults(), []);
  });

  test("listPackages failing: builds already updated stay updated; the next pass does the rest once", async () => {
    const rnv = await world.package("rnv");
    const build = await submitted(rnv, "rnv");
    await world.advance(2000);
    await world.inject("listPackages", { httpStatus: 500 }, 2);
    await assert.rejects(poll(), /HTTP 500/);
    const [row] = await world.buildRows(rnv);
    assert.deepEqual([row!.id, row!.state], [build.id, COMPLETE]);
    assert.equal((await world.db.selectFrom("package").select("id").execute()).length, 1);

    await poll();
    await poll();
    const packages = await world.db.selectFrom("package").select("name").execute();
    assert.equal(packages.length, Object.keys(KOJI_BUILDS).length);
    assert.equal((await world.buildRows(rnv)).length, 1);
    assert.equal(world.stateChanges.length, 1);
  });

  test("listTagged failing: nothing untagged yet; the next pass untags", async () => {
    const rnv = await world.package("rnv");
    await world.build(rnv, { release: "30.fc29" });
    await world.inject("listTagged", { httpStatus: 500 }, 2);
    await assert.rejects(poll(), /HTTP 500/);
    assert.equal((await world.buildRows(rnv))[0]!.untagged, false);
    await poll();
    assert.equal((await world.buildRows(rnv))[0]!.untagged, true);
  });

  test("the multicall of task states failing: no build changes; the next pass updates each once", async () => {
    const rnv = await world.package("rnv");
    await world.build(rnv, { state: FAILED });
    const build = await submitted(rnv, "rnv");
    await world.advance(2000);
    await world.inject("multiCall", { httpStatus: 500 }, 2);
    await assert.rejects(poll(), /HTTP 500/);
    assert.equal((await world.buildRows(rnv))[1]!.state, RUNNING);
    await poll();
    await poll();
    const rows = await world.buildRows(rnv);
    assert.deepEqual([rows[1]!.id, rows[1]!.state], [build.id, COMPLETE]);
    assert.deepEqual(await archTasks(build.id), CLOSED_ARCH_TASKS);
    assert.equal(world.stateChanges.length, 1);
  });
});
