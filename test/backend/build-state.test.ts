// updateBuildState (spec 03 §2, scenarios of 06 §1) against real PostgreSQL and the Koji hub
// simulator: scratch builds are submitted to the simulated hub, simulated time runs them to
// their end, and the build rows follow.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import type { KojiTaskStateName } from "@koschei/koji-protocol/koji-states.js";
import { parseScenario } from "@koschei/koji-sim/scenario.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { updateBuildState } from "../../src/backend/build-state.js";
import { EventBus, type BackendEvents } from "../../src/backend/events.js";
import type { BackendSession } from "../../src/backend/session.js";
import { loadConfig, type KoscheiConfig } from "../../src/config/index.js";
import { KojiSessions } from "../../src/koji/sessions.js";
import { silentLogger } from "../../src/log/logger.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import { insertF29Collection } from "../support/koji-world.js";
import { control } from "../sim/hub-fixture.js";
import { simKojiOptions } from "../support/sim-koji.js";

const RUNNING = 2;
const COMPLETE = 3;
const FAILED = 5;
const KOJI_CLOSED = 2;
const KOJI_CANCELED = 3;
const REPO_ID = 888027;

/** rnv builds; eclipse fails on i386; broken fails already in its SRPM task. */
function scenario() {
  const build = (name: string) => ({
    name,
    version: "1.0",
    release: "1",
    tags: ["f29"],
    rpms: [{ name, arch: "x86_64" }],
  });
  return parseScenario(
    {
      name: "build-state",
      startTime: "2018-04-05T12:00:00Z",
      hosts: [{ name: "builder", arches: ["x86_64", "i386", "armhfp"], capacity: 20 }],
      tags: [
        { name: "f29" },
        {
          name: "f29-build",
          parents: ["f29"],
          arches: ["armv7hl", "i686", "x86_64"],
          groups: [{ name: "build", packages: [{ package: "bash" }] }],
        },
      ],
      targets: [{ name: "f29", buildTag: "f29-build", destTag: "f29" }],
      builds: ["bash", "rnv", "eclipse", "broken"].map(build),
      repos: [{ id: REPO_ID, tag: "f29-build" }],
      taskRules: [
        { package: "broken", fail: true, durationSeconds: 60 },
        { package: "eclipse", arch: "i386", fail: true, durationSeconds: 300 },
        { package: "*", durationSeconds: 600 },
      ],
    },
    "build-state",
  );
}

let sim: Simulator;
let fresh: FreshDatabase;
let koji: KojiSessions;
let config: KoscheiConfig;
let scratchDir: string;
let events: EventBus;
let stateChanges: BackendEvents["package_state_change"][];

before(async () => {
  sim = await startSimulator({
    listen: "127.0.0.1:0",
    scenario: scenario(),
    plainLoginUser: "koschei",
  });
  scratchDir = mkdtempSync(join(tmpdir(), "koschei-build-state-"));
  koji = await KojiSessions.open(simKojiOptions(sim, scratchDir, "ssl_login"), null);
  config = loadConfig("backend", { KOSCHEI_CONFIG_DIR: scratchDir, HOME: scratchDir });
  fresh = await freshDatabase();
});

after(async () => {
  await koji?.close();
  await sim?.close();
  await fresh?.drop();
  rmSync(scratchDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await fresh.database.query(
    "TRUNCATE collection, base_package, package, build, koji_task, unapplied_change, dependency, repo_mapping RESTART IDENTITY CASCADE",
  );
  await control(sim.url, "/faults", undefined, "DELETE");
  events = new EventBus(silentLogger);
  stateChanges = [];
  events.on("package_state_change", (change) => {
    stateChanges.push(change);
  });
});

function session(): BackendSession {
  return {
    config,
    database: fresh.database,
    koji,
    events,
    log: silentLogger,
    now: () => new Date(sim.clock.now() * 1000),
  };
}

const db = () => fresh.database.db;

async function advance(seconds: number): Promise<void> {
  assert.equal((await control(sim.url, "/advance", { seconds })).status, 200);
}

async function prepareCollection(options: { secondaryMode?: boolean } = {}): Promise<number> {
  return insertF29Collection(db(), {
    latest_repo_id: REPO_ID,
    latest_repo_resolved: true,
    secondary_mode: options.secondaryMode ?? false,
  });
}

interface PackageOptions {
  resolved?: boolean | null;
  priorities?: { manual: number; dependency: number; build: number };
}

async function preparePackage(name: string, options: PackageOptions = {}): Promise<number> {
  const collectionId =
    (await db().selectFrom("collection").select("id").executeTakeFirst())?.id ??
    (await prepareCollection());
  const base = await db()
    .insertInto("base_package")
    .values({ name })
    .returning("id")
    .executeTakeFirstOrThrow();
  const { id } = await db()
    .insertInto("package")
    .values({
      name,
      base_id: base.id,
      collection_id: collectionId,
      tracked: true,
      resolved: options.resolved === undefined ? true : options.resolved,
      manual_priority: options.priorities?.manual ?? 0,
      dependency_priority: options.priorities?.dependency ?? 0,
      build_priority: options.priorities?.build ?? 0,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return id;
}

let nextOldTaskId = 1000;

/** A finished build of the package, a day before the simulated clock's start. */
async function prepareFinishedBuild(packageId: number, state: number): Promise<void> {
  await db()
    .insertInto("build")
    .values({
      package_id: packageId,
      state,
      task_id: nextOldTaskId++,
      started: new Date("2018-04-04T12:00:00Z"),
      finished: new Date("2018-04-04T13:00:00Z"),
      version: "1.0",
      release: "0",
      repo_id: 1,
    })
    .execute();
}

/** Submits a scratch build of the package to the hub and records it as running. */
async function submit(
  packageId: number,
  name: string,
  options: { kojiOptions?: Record<string, string | number>; started?: Date } = {},
): Promise<{ id: number; task_id: number }> {
  const taskId = await koji.primary.build(
    `../packages/${name}/1.0/1/src/${name}-1.0-1.src.rpm`,
    "f29",
    { scratch: true, ...options.kojiOptions },
    { priority: 30 },
  );
  return db()
    .insertInto("build")
    .values({
      package_id: packageId,
      state: RUNNING,
      task_id: taskId,
      started: options.started ?? session().now(),
      version: "1.0",
      release: "1",
    })
    .returning(["id", "task_id"])
    .executeTakeFirstOrThrow();
}

/** Three buildArch tasks, as in the spec's acceptance case (Koji names them armhfp, i386, x86_64). */
const THREE_ARCHES = { arch_override: "armv7hl i686 x86_64" };

const update = (build: { id: number; task_id: number }, state: KojiTaskStateName) =>
  updateBuildState(session(), build, state);

async function buildRow(id: number) {
  return db().selectFrom("build").selectAll().where("id", "=", id).executeTakeFirst();
}

async function packageRow(id: number) {
  return db().selectFrom("package").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
}

async function archTasks(buildId: number) {
  return db()
    .selectFrom("koji_task")
    .select(["task_id", "arch", "state"])
    .where("build_id", "=", buildId)
    .orderBy("arch")
    .execute();
}

async function kojiTaskState(taskId: number): Promise<number | undefined> {
  return (await koji.primary.getTaskInfo(taskId))?.state;
}

async function pendingFaults(): Promise<unknown[]> {
  return (await control(sim.url, "/faults")).body as unknown as unknown[];
}

describe("a finished build", () => {
  test("CLOSED after a failed build: complete, ok, priorities reset, failing → ok, three arch tasks", async () => {
    const rnv = await preparePackage("rnv", {
      priorities: { manual: 10, dependency: 40, build: 50 },
    });
    await prepareFinishedBuild(rnv, FAILED);
    const dependency = await db()
      .insertInto("dependency")
      .values({ name: "expat", epoch: null, version: "2.2.5", release: "3", arch: "x86_64" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await db()
      .insertInto("unapplied_change")
      .values({ package_id: rnv, prev_dep_id: null, curr_dep_id: dependency.id, distance: 1 })
      .execute();
    const build = await submit(rnv, "rnv", { kojiOptions: THREE_ARCHES });
    await advance(2000);
    const children = await koji.primary.getTaskChildren(build.task_id);
    const archIds = Object.fromEntries(
      children.filter((c) => c.method === "buildArch").map((c) => [c.arch, c.id]),
    );

    assert.equal(await update(build, "CLOSED"), "finished");

    const row = (await buildRow(build.id))!;
    const kojiInfo = (await koji.primary.getTaskInfo(build.task_id))!;
    assert.deepEqual(
      [row.state, row.repo_id, row.started, row.finished],
      [
        COMPLETE,
        REPO_ID,
        new Date(kojiInfo.create_ts * 1000),
        new Date(kojiInfo.completion_ts! * 1000),
      ],
    );
    const pkg = await packageRow(rnv);
    assert.deepEqual(
      [
        pkg.last_complete_build_state,
        pkg.manual_priority,
        pkg.dependency_priority,
        pkg.build_priority,
      ],
      [COMPLETE, 0, 0, 0],
    );
    const changes = await db().selectFrom("unapplied_change").selectAll().execute();
    assert.deepEqual(changes, []);
    assert.deepEqual(stateChanges, [
      {
        package: { id: rnv, name: "rnv", collection_id: pkg.collection_id },
        prevState: "failing",
        newState: "ok",
      },
    ]);
    assert.deepEqual(await archTasks(build.id), [
      { task_id: archIds.armhfp, arch: "armhfp", state: KOJI_CLOSED },
      { task_id: archIds.i386, arch: "i386", state: KOJI_CLOSED },
      { task_id: archIds.x86_64, arch: "x86_64", state: KOJI_CLOSED },
    ]);
  });

  test("an arch task stored while running is updated, not stored twice", async () => {
    const rnv = await preparePackage("rnv");
    await prepareFinishedBuild(rnv, FAILED);
    const build = await submit(rnv, "rnv", { kojiOptions: THREE_ARCHES });
    await advance(700);
    assert.equal(await update(build, "OPEN"), "running");
    const whileRunning = await archTasks(build.id);
    assert.deepEqual(
      whileRunning.map((task) => [task.arch, task.state]),
      [
        ["armhfp", 1],
        ["i386", 1],
        ["x86_64", 1],
      ],
    );
    await advance(1300);

    assert.equal(await update(build, "CLOSED"), "finished");

    assert.deepEqual(
      await archTasks(build.id),
      whileRunning.map((task) => ({ ...task, state: KOJI_CLOSED })),
    );
  });

  test("CLOSED after a complete build: ok → ok sends no event", async () => {
    const rnv = await preparePackage("rnv");
    await prepareFinishedBuild(rnv, COMPLETE);
    const build = await submit(rnv, "rnv");
    await advance(2000);

    assert.equal(await update(build, "CLOSED"), "finished");

    assert.equal((await buildRow(build.id))!.state, COMPLETE);
    assert.equal((await packageRow(rnv)).last_complete_build_state, COMPLETE);
    assert.deepEqual(stateChanges, []);
  });

  test("FAILED after a complete build: failed, failing, build priority 200, ok → failing", async () => {
    const eclipse = await preparePackage("eclipse", {
      priorities: { manual: 10, dependency: 40, build: 50 },
    });
    await prepareFinishedBuild(eclipse, COMPLETE);
    const build = await submit(eclipse, "eclipse", { kojiOptions: THREE_ARCHES });
    await advance(2000);

    assert.equal(await update(build, "FAILED"), "finished");

    assert.equal((await buildRow(build.id))!.state, FAILED);
    const pkg = await packageRow(eclipse);
    assert.deepEqual(
      [
        pkg.last_complete_build_state,
        pkg.manual_priority,
        pkg.dependency_priority,
        pkg.build_priority,
      ],
      [FAILED, 0, 0, 200],
    );
    assert.deepEqual(
      stateChanges.map((c) => [c.package.name, c.prevState, c.newState]),
      [["eclipse", "ok", "failing"]],
    );
  });

  test("FAILED after a failed build: build priority 0, no event", async () => {
    const eclipse = await preparePackage("eclipse", {
      priorities: { manual: 0, dependency: 0, build: 50 },
    });
    await prepareFinishedBuild(eclipse, FAILED);
    const build = await submit(eclipse, "eclipse");
    await advance(2000);

    assert.equal(await update(build, "FAILED"), "finished");

    assert.equal((await packageRow(eclipse)).build_priority, 0);
    assert.deepEqual(stateChanges, []);
  });

  test("FAILED when first seen finished, recorded after Koji created the task: build priority 200", async () => {
    const eclipse = await preparePackage("eclipse");
    await prepareFinishedBuild(eclipse, COMPLETE);
    // The scheduler records the build's start when build() has returned, after Koji's create
    // time; polling first sees it finished, so the first sync is also the last.
    const build = await submit(eclipse, "eclipse", {
      started: new Date(session().now().getTime() + 1000),
    });
    await advance(2000);

    assert.equal(await update(build, "FAILED"), "finished");

    const task = await koji.primary.getTaskInfo(build.task_id);
    assert.deepEqual((await buildRow(build.id))!.started, new Date(task!.create_ts * 1000));
    assert.equal((await packageRow(eclipse)).build_priority, 200);
    assert.deepEqual(
      stateChanges.map((c) => [c.package.name, c.prevState, c.newState]),
      [["eclipse", "ok", "failing"]],
    );
  });

  test("the failed-build bump looks at the package's own previous build only", async () => {
    const rnv = await preparePackage("rnv");
    const eclipse = await preparePackage("eclipse");
    await prepareFinishedBuild(eclipse, COMPLETE);
    const build = await submit(eclipse, "eclipse");
    // A later failed build of another package must not count as eclipse's previous build.
    await prepareFinishedBuild(rnv, FAILED);
    await advance(2000);

    assert.equal(await update(build, "FAILED"), "finished");

    assert.equal((await packageRow(eclipse)).build_priority, 200);
  });

  test("a failure in the SRPM task takes the repo id from rebuildSRPM: ignored → failing", async () => {
    const broken = await preparePackage("broken", { resolved: null });
    const build = await submit(broken, "broken");
    await advance(200);
    const children = await koji.primary.getTaskChildren(build.task_id);
    assert.deepEqual(
      children.map((c) => c.method),
      ["rebuildSRPM"],
    );

    assert.equal(await update(build, "FAILED"), "finished");

    const row = (await buildRow(build.id))!;
    assert.deepEqual([row.state, row.repo_id], [FAILED, REPO_ID]);
    assert.deepEqual(await archTasks(build.id), []);
    assert.deepEqual(
      stateChanges.map((c) => [c.prevState, c.newState]),
      [["ignored", "failing"]],
    );
  });

  test("a second message about the same end changes nothing and sends no second event", async () => {
    const rnv = await preparePackage("rnv");
    await prepareFinishedBuild(rnv, FAILED);
    const build = await submit(rnv, "rnv");
    await advance(2000);
    assert.equal(await update(build, "CLOSED"), "finished");

    assert.equal(await update(build, "CLOSED"), "unchanged");

    assert.equal(stateChanges.length, 1);
  });

  test("in a collection in secondary mode the repo id is the secondary repo mirrored", async () => {
    await prepareCollection({ secondaryMode: true });
    const rnv = await preparePackage("rnv");
    await db()
      .insertInto("repo_mapping")
      .values({ secondary_id: 555, primary_id: REPO_ID, task_id: 77 })
      .execute();
    const build = await submit(rnv, "rnv");
    await advance(2000);

    assert.equal(await update(build, "CLOSED"), "finished");

    assert.equal((await buildRow(build.id))!.repo_id, 555);
  });
});

describe("a build that is deleted", () => {
  test("cancel requested: Koji's task is canceled and the build deleted, priorities kept", async () => {
    const rnv = await preparePackage("rnv", {
      priorities: { manual: 10, dependency: 40, build: 50 },
    });
    const build = await submit(rnv, "rnv");
    await db()
      .updateTable("build")
      .set({ cancel_requested: true })
      .where("id", "=", build.id)
      .execute();
    await advance(10);

    assert.equal(await update(build, "ASSIGNED"), "deleted-canceled");

    assert.equal(await buildRow(build.id), undefined);
    assert.equal(await kojiTaskState(build.task_id), KOJI_CANCELED);
    const pkg = await packageRow(rnv);
    assert.deepEqual(
      [pkg.manual_priority, pkg.dependency_priority, pkg.build_priority, pkg.last_build_id],
      [10, 40, 50, null],
    );
    assert.deepEqual(stateChanges, []);
  });

  test("running longer than koji_config.task_timeout: canceled and deleted", async () => {
    const rnv = await preparePackage("rnv");
    const timeout = config.koji_config.task_timeout * 1000;
    const build = await submit(rnv, "rnv", {
      started: new Date(session().now().getTime() - timeout - 1000),
    });

    assert.equal(await update(build, "OPEN"), "deleted-canceled");

    assert.equal(await buildRow(build.id), undefined);
    assert.equal(await kojiTaskState(build.task_id), KOJI_CANCELED);
  });

  test("Koji refusing to cancel (GenericError) still deletes the build", async () => {
    const rnv = await preparePackage("rnv");
    const build = await submit(rnv, "rnv");
    await db()
      .updateTable("build")
      .set({ cancel_requested: true })
      .where("id", "=", build.id)
      .execute();
    await control(sim.url, "/faults", { method: "cancelTask", faultCode: 1000 });

    assert.equal(await update(build, "OPEN"), "deleted-canceled");

    assert.equal(await buildRow(build.id), undefined);
    assert.deepEqual(await pendingFaults(), []);
  });

  test("a CANCELED task deletes the build without asking Koji to cancel it", async () => {
    const rnv = await preparePackage("rnv");
    const build = await submit(rnv, "rnv");
    // A cancelTask call would consume this fault (and fail the update).
    await control(sim.url, "/faults", { method: "cancelTask", faultCode: 1 });

    assert.equal(await update(build, "CANCELED"), "deleted-canceled");

    assert.equal(await buildRow(build.id), undefined);
    assert.equal((await pendingFaults()).length, 1);
  });

  test("a failure by Koji's fault (not a BuildError) deletes the build, no event", async () => {
    const rnv = await preparePackage("rnv", {
      priorities: { manual: 0, dependency: 40, build: 0 },
    });
    await prepareFinishedBuild(rnv, COMPLETE);
    const build = await submit(rnv, "rnv");
    await advance(2000);
    await control(sim.url, "/faults", {
      method: "getTaskResult",
      faultCode: 1,
      faultString: "Traceback: builder ran out of disk",
    });

    assert.equal(await update(build, "FAILED"), "deleted-koji-fault");

    assert.equal(await buildRow(build.id), undefined);
    assert.equal((await packageRow(rnv)).dependency_priority, 40);
    assert.deepEqual(stateChanges, []);
  });

  test("a build whose tasks name no repo is deleted", async () => {
    const rnv = await preparePackage("rnv");
    await prepareFinishedBuild(rnv, COMPLETE);
    const build = await submit(rnv, "rnv", { kojiOptions: { repo_id: 999999 } });
    await advance(10);
    assert.deepEqual(await koji.primary.getTaskChildren(build.task_id), []);

    assert.equal(await update(build, "FAILED"), "deleted-no-repo");

    assert.equal(await buildRow(build.id), undefined);
    assert.deepEqual(stateChanges, []);
  });
});

describe("a running build", () => {
  test("gets Koji's start time, repo id and subtasks; stays running", async () => {
    const rnv = await preparePackage("rnv");
    await prepareFinishedBuild(rnv, COMPLETE);
    const build = await submit(rnv, "rnv", { kojiOptions: THREE_ARCHES });
    await advance(10);

    assert.equal(await update(build, "OPEN"), "running");

    const row = (await buildRow(build.id))!;
    const kojiInfo = (await koji.primary.getTaskInfo(build.task_id))!;
    assert.deepEqual(
      [row.state, row.repo_id, row.started, row.finished],
      [RUNNING, REPO_ID, new Date(kojiInfo.create_ts * 1000), null],
    );
    assert.equal((await packageRow(rnv)).last_build_id, build.id);
    assert.deepEqual(stateChanges, []);
  });

  test("a build deleted meanwhile is left alone", async () => {
    const rnv = await preparePackage("rnv");
    const build = await submit(rnv, "rnv");
    await db().deleteFrom("build").where("id", "=", build.id).execute();

    assert.equal(await update(build, "OPEN"), "unchanged");
    assert.equal(await update(build, "CLOSED"), "unchanged");
  });
});
