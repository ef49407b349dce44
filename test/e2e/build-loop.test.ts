// The build loop end to end (issue #9 item 8) against real PostgreSQL and the Koji hub
// simulator over HTTP: an operator creates a collection and tracks packages with the admin
// commands; polling registers their real builds; the scheduler submits scratch builds once their
// time priority crosses the threshold, within max_builds and the builders' load; polling
// records how they end; a failure earns the failed-build priority; a package blocked in Koji is
// blocked here. Then the same loop under hub faults, and `koschei backend` as a process.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Database } from "../../src/db/index.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import { pollingService } from "../../src/backend/polling.js";
import type { ServiceDefinition } from "../../src/backend/registry.js";
import { runServices } from "../../src/backend/runner.js";
import { schedulerService } from "../../src/backend/scheduler.js";
import {
  backendConfigYaml,
  BIN_DIR,
  capturingLogger,
  COMPLETE,
  controlRequest,
  FAILED,
  KOJI_BUILDS,
  LoopWorld,
  loopScenarioJson,
  REPO_ID,
  runAdminBin,
  startSimChild,
  type SimChild,
  RUNNING,
  TASK_CLOSED,
  TASK_FAILED,
  TASK_OPEN,
  TRACKED,
  waitFor,
  type PackageName,
} from "./loop-world.js";

const DAY = 24 * 3600;

/**
 * What the repo resolver records for this world: the buildroot and the packages resolve. The
 * resolvers are not run here (this is the polling and scheduler loop; they have tests of their
 * own and are still changing).
 */
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

  test("a package blocked in Koji becomes blocked here and is passed over; unblocked, it is back", async () => {
    const packageStates = () =>
      world.db.selectFrom("package").select(["name", "blocked"]).orderBy("name").execute();
    const expected = (deltaBlocked: boolean) =>
      ["alpha", "beta", "broken", "delta", "gamma"].map((name) => ({
        name,
        blocked: name === "delta" && deltaBlocked,
      }));
    // An admin blocks delta in f30 on the live hub; the collection's tags inherit the block.
    assert.equal(await world.kojiAdmin("packageListBlock", ["f30", "delta"]), null);
    assert.deepEqual(await packageStates(), expected(false), "not before polling");
    await world.poll();
    assert.deepEqual(await packageStates(), expected(true));
    // A manual priority far above the threshold would make delta next, were it not blocked.
    const set = await world.admin(["set-priority", "--collection", "f30", "delta", "3000"]);
    assert.equal(set.error, undefined);
    watermark = await world.lastTaskId();
    assert.deepEqual(await world.schedule(), { kind: "below-threshold" });
    assert.deepEqual(await submittedToKoji(), []);
    assert.equal((await packageRow(world, "delta")).manual_priority, 3000);

    // Unblocked in Koji, delta is unblocked here after the next polling pass.
    assert.equal(await world.kojiAdmin("packageListUnblock", ["f30", "delta"]), null);
    await world.poll();
    assert.deepEqual(await packageStates(), expected(false));
  });
});

describe("hub faults while polling and scheduler run in-process through the service runner", () => {
  const captured = capturingLogger();
  let world: LoopWorld;

  before(async () => {
    world = await LoopWorld.start({
      // Faults reach the passes (no client retries: the simulator runs a retried logged-in
      // call again where a real hub answers RetryError, so a retried build would be a second
      // task there); calls time out after 2 s.
      retry:
        "{ max_retries: 0, retry_interval: 0, timeout: 2, idle_timeout: 2, connect_timeout: 2 }",
      extra: ["services:", "  polling: { interval: 0.1 }", "  scheduler: { interval: 0.1 }"],
      log: captured.log,
    });
  });
  after(async () => {
    await world?.close();
  });

  async function inject(method: string, fault: Record<string, unknown>, count = 1): Promise<void> {
    await world.control("/faults", { method, count, ...fault });
  }

  const noFaultsPending = async () => ((await world.control("/faults")) as unknown[]).length === 0;

  /** Scratch builds by package name: [task id, state], oldest first. */
  async function scratchBuilds(): Promise<[string, number, number][]> {
    const rows = await world.db
      .selectFrom("build")
      .innerJoin("package", "package.id", "build.package_id")
      .select(["package.name", "build.task_id", "build.state"])
      .where("build.real", "=", false)
      .orderBy("build.id")
      .execute();
    return rows.map((row) => [row.name, row.task_id, row.state]);
  }

  test("timeouts, HTTP 5xx and truncated answers lose nothing and submit nothing twice; the loop goes on", async () => {
    assert.equal(
      (
        await world.admin([
          "create-collection",
          "f30",
          "-d",
          "Fedora 30",
          "-t",
          "f30",
          "--poll-untracked",
          "false",
        ])
      ).error,
      undefined,
    );
    const passes: Record<string, number> = { polling: 0, scheduler: 0 };
    const counted = (service: ServiceDefinition): ServiceDefinition => ({
      ...service,
      runPass: async (context) => {
        await service.runPass(context);
        passes[service.name]!++;
      },
    });
    const afterPasses = async (service: string, count: number) => {
      const target = passes[service]! + count;
      await waitFor(`${count} more ${service} passes`, async () => passes[service]! >= target);
    };

    // Polling: a listPackages answer too slow, a truncated listTagged, a multicall refused.
    await inject("listPackages", { delayMs: 3000 });
    await inject("listTagged", { truncate: true });
    await inject("multiCall", { httpStatus: 500 });
    const stop = new AbortController();
    let lostTask = 0;
    let settled = false;
    const running = runServices({
      services: [counted(pollingService), counted(schedulerService)],
      config: world.config,
      log: world.log,
      events: world.events,
      session: (service) => world.serviceSession(service),
      stop: stop.signal,
      retry: { firstDelaySeconds: 0.05, maxDelaySeconds: 0.2 },
    }).finally(() => (settled = true));
    try {
      await waitFor("the packages", async () => Object.keys(await world.packageIds()).length === 5);
      assert.equal((await world.admin(["add-pkg", "-c", "f30", ...TRACKED])).error, undefined);
      await waitFor("the real builds", async () => {
        const registered = await world.db
          .selectFrom("package")
          .select("name")
          .where("last_build_id", "is not", null)
          .execute();
        return registered.length === TRACKED.length && (await noFaultsPending());
      });
      await afterPasses("polling", 2);
      const realBuilds = await world.db
        .selectFrom("build")
        .innerJoin("package", "package.id", "build.package_id")
        .innerJoin("koji_task", "koji_task.build_id", "build.id")
        .select(["package.name", "build.real", "build.state", "build.repo_id", "koji_task.arch"])
        .orderBy("package.name")
        .execute();
      assert.deepEqual(
        realBuilds,
        TRACKED.map((name) => ({
          name,
          real: true,
          state: COMPLETE,
          repo_id: REPO_ID,
          arch: "x86_64",
        })),
      );

      // Scheduling: the SRPM headers truncated, the load's calls refused and too slow, build
      // refused (nothing submitted) and then accepted with its answer cut (submitted, answer
      // lost: recorded, not submitted again), the search for lost submissions refused.
      await resolveEverything(world);
      const watermark = await world.lastTaskId();
      await inject("getRPMHeaders", { truncate: true });
      await inject("listHosts", { httpStatus: 500 });
      await inject("getChannel", { delayMs: 3000 });
      await inject("build", { httpStatus: 500 });
      await inject("build", { truncate: true });
      await inject("listTasks", { httpStatus: 503 });
      await world.advance(8 * DAY);
      await waitFor("two running scratch builds", async () => {
        return (await scratchBuilds()).length === 2 && (await noFaultsPending());
      });
      await afterPasses("scheduler", 3);
      const firstTwo = await world.buildTasksAfter(watermark);
      lostTask = firstTwo[0]!.id;
      assert.deepEqual(
        firstTwo.map((task) => task.request),
        [scratchRequest("alpha"), scratchRequest("beta")],
      );
      assert.deepEqual(
        await scratchBuilds(),
        firstTwo.map((task, i) => [["alpha", "beta"][i], task.id, RUNNING]),
      );

      // Polling the ends: a multicall truncated and one too slow, the failed task's result
      // refused. The builds end, broken and delta follow, and end too.
      await inject("multiCall", { truncate: true });
      await inject("multiCall", { delayMs: 3000 });
      await inject("getTaskResult", { httpStatus: 500 });
      await world.advance(3600);
      await waitFor("alpha's and beta's ends, broken and delta submitted", async () => {
        const builds = await scratchBuilds();
        return builds.length === 4 && builds.filter((b) => b[2] === COMPLETE).length === 2;
      });
      await world.advance(3600);
      await waitFor("every build's end", async () => {
        const builds = await scratchBuilds();
        return builds.every((b) => b[2] !== RUNNING) && (await noFaultsPending());
      });
      await afterPasses("polling", 2);
      await afterPasses("scheduler", 2);
      assert.equal(settled, false, "the runner is still running");

      const tasks = await world.buildTasksAfter(watermark);
      assert.deepEqual(
        tasks.map((task) => task.request),
        (["alpha", "beta", "broken", "delta"] as const).map(scratchRequest),
      );
      assert.deepEqual(
        await scratchBuilds(),
        tasks.map((task, i) => [
          ["alpha", "beta", "broken", "delta"][i],
          task.id,
          i === 2 ? FAILED : COMPLETE,
        ]),
      );
      for (const task of tasks) {
        const build = await world.db
          .selectFrom("build")
          .selectAll()
          .where("task_id", "=", task.id)
          .executeTakeFirstOrThrow();
        assert.deepEqual(
          [build.repo_id, build.started, build.finished],
          [REPO_ID, new Date(task.create_ts * 1000), new Date(task.completion_ts! * 1000)],
        );
        assert.deepEqual(await archTaskRows(world, build.id), await kojiArchTasks(world, task.id));
      }
      assert.equal((await packageRow(world, "broken")).build_priority, 200);
      assert.equal((await world.db.selectFrom("build").selectAll().execute()).length, 8);
    } finally {
      stop.abort();
      const crashes = captured.lines.filter((line) => line.level >= 50);
      assert.equal(await running, 0, JSON.stringify(crashes));
    }
    const warnings = captured.lines.filter((line) => line.level === 40).map((line) => line.msg);
    assert.deepEqual(
      warnings.filter((warning) => /never recorded/.test(warning)),
      [`Koji task ${lostTask} builds alpha but was never recorded; recording it`],
    );
    const retries = warnings.filter((warning) => !/never recorded/.test(warning));
    assert.ok(retries.length >= 5, warnings.join("\n"));
    for (const warning of retries) {
      assert.match(warning, /^(polling|scheduler) pass failed \(attempt \d+\); retrying in /);
    }
    assert.deepEqual(
      captured.lines.filter((line) => line.level >= 50),
      [],
      "nothing crashed",
    );
  });
});

describe("koschei backend polling scheduler as a process, against koschei sim-koji", () => {
  let dir: string;
  let fresh: FreshDatabase | undefined;
  let sim: SimChild | undefined;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "koschei-build-loop-process-"));
    // The hub's clock starts now and runs 20 times faster; tasks take 20 simulated seconds.
    const startTime = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const scenarioFile = join(dir, "scenario.json");
    writeFileSync(scenarioFile, JSON.stringify(loopScenarioJson({ startTime, taskSeconds: 20 })));
    sim = await startSimChild(scenarioFile, 20);
    fresh = await freshDatabase();
    const certFile = join(dir, "koschei.pem");
    writeFileSync(certFile, "not read over plain HTTP\n");
    writeFileSync(
      join(dir, "config-backend.yaml"),
      backendConfigYaml(sim, certFile, {
        retry: "{ max_retries: 2, retry_interval: 1 }",
        extra: [
          // The real builds are 2.6 to 5.6 hours old: above the threshold from 2 hours on.
          "priorities: { t0: 0.5, t1: 2 }",
          "services:",
          "  polling: { interval: 0.5 }",
          "  scheduler: { interval: 0.5 }",
        ],
      }),
    );
    env = {
      ...process.env,
      KOSCHEI_CONFIG_DIR: dir,
      HOME: dir,
      KOSCHEI_DATABASE_URL: fresh.url,
      WATCHDOG_PATH: "",
    };
  });

  after(async () => {
    await sim?.stop();
    await fresh?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  function startBackend(args: string[]) {
    const child = spawn(process.execPath, [join(BIN_DIR, "koschei"), "backend", ...args], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = once(child, "exit") as Promise<[number | null, string | null]>;
    return {
      child,
      exited,
      /** The log's JSON lines so far. */
      lines: () =>
        stderr
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { level: number; msg: string; service?: string }),
    };
  }

  async function scratchRows(db: Database["db"]) {
    return db
      .selectFrom("build")
      .innerJoin("package", "package.id", "build.package_id")
      .select([
        "package.name",
        "build.id",
        "build.task_id",
        "build.state",
        "build.repo_id",
        "build.started",
        "build.finished",
      ])
      .where("build.real", "=", false)
      .orderBy("build.id")
      .execute();
  }

  test("registers real builds, submits scratch builds over several passes, outlasts a hub outage, stops on SIGTERM with exit 0 and whole rows", async () => {
    const db = fresh!.database.db;
    const created = await runAdminBin(
      ["create-collection", "f30", "-d", "Fedora 30", "-t", "f30", "--poll-untracked", "false"],
      env,
    );
    assert.deepEqual(created, { code: 0, stdout: "Collection f30 created\n", stderr: "" });

    const backend = startBackend(["polling", "scheduler"]);
    let exitCode: number | null = null;
    try {
      await waitFor("polling to list the packages", async () => {
        const packages = await db.selectFrom("package").select("name").execute();
        return packages.length === 5;
      });
      const added = await runAdminBin(["add-pkg", "-c", "f30", ...TRACKED], env);
      assert.equal(added.code, 0, added.stderr);
      // An outage: the hub refuses listPackages beyond the client's retries, once.
      await controlRequest(sim!.url, "/faults", {
        method: "listPackages",
        count: 3,
        httpStatus: 503,
      });
      // What the repo resolver records (not run here, as in resolveEverything).
      await db
        .updateTable("collection")
        .set({ latest_repo_id: REPO_ID, latest_repo_resolved: true })
        .execute();
      await db.updateTable("package").set({ resolved: true }).where("tracked", "=", true).execute();

      // Every tracked package submitted: two at a time (max_builds), so at least two ended.
      const submitted = await waitFor(
        "a scratch build of every tracked package",
        async () => {
          const rows = await scratchRows(db);
          return rows.length >= TRACKED.length && rows;
        },
        45_000,
      );
      assert.ok(submitted.filter((row) => row.state !== RUNNING).length >= 2);
      backend.child.kill("SIGTERM");
      [exitCode] = await backend.exited;
    } finally {
      if (exitCode === null) {
        backend.child.kill("SIGKILL");
        await backend.exited;
      }
    }
    const lines = backend.lines();
    assert.equal(exitCode, 0, JSON.stringify(lines.filter((line) => line.level >= 50)));
    assert.deepEqual(
      lines.filter((line) => line.level >= 50),
      [],
    );
    assert.deepEqual(
      lines
        .filter((line) => / stopped$/.test(line.msg))
        .map((line) => line.msg)
        .sort(),
      ["polling stopped", "scheduler stopped"],
    );
    assert.deepEqual(
      lines.filter((line) => / pass failed /.test(line.msg)).map((line) => line.msg),
      ["polling pass failed (attempt 1); retrying in 5 s"],
    );
    assert.deepEqual(await controlRequest(sim!.url, "/faults"), []);

    // Real builds: one per tracked package, none of gamma.
    const real = await db
      .selectFrom("build")
      .innerJoin("package", "package.id", "build.package_id")
      .select(["package.name", "build.state", "build.repo_id"])
      .where("build.real", "=", true)
      .orderBy("package.name")
      .execute();
    assert.deepEqual(
      real,
      TRACKED.map((name) => ({ name, state: COMPLETE, repo_id: REPO_ID })),
    );
    // Every build task Koji has from Koschei is recorded, once; nothing recorded that Koji lacks.
    const kojiTasks = (
      await sim!.api.listTasks({ method: "build", parent: null, decode: true }, { order: "id" })
    ).filter((task) => (task.request?.[2] as { scratch?: boolean } | undefined)?.scratch === true);
    const rows = await scratchRows(db);
    assert.deepEqual(
      rows.map((row) => [row.name, row.task_id]),
      kojiTasks.map((task) => [
        /\/packages\/([^/]+)\//.exec(String(task.request?.[0]))?.[1],
        task.id,
      ]),
    );
    assert.deepEqual(rows.map((row) => row.name).sort(), [...TRACKED].sort());
    // Whole rows: a finished build has its end, repo id and arch tasks as Koji has them.
    for (const row of rows.filter((r) => r.state !== RUNNING)) {
      const task = kojiTasks.find((t) => t.id === row.task_id)!;
      assert.deepEqual(
        [row.state, row.repo_id, row.started, row.finished],
        [
          row.name === "broken" ? FAILED : COMPLETE,
          REPO_ID,
          new Date(task.create_ts * 1000),
          new Date(task.completion_ts! * 1000),
        ],
        row.name,
      );
      const archTasks = await db
        .selectFrom("koji_task")
        .select(["task_id", "arch", "state"])
        .where("build_id", "=", row.id)
        .execute();
      const children = await sim!.api.getTaskChildren(row.task_id);
      assert.deepEqual(
        archTasks,
        children
          .filter((child) => child.method === "buildArch")
          .map((child) => ({ task_id: child.id, arch: child.arch, state: child.state })),
      );
      assert.deepEqual(
        archTasks.map((t) => t.state),
        [row.name === "broken" ? TASK_FAILED : TASK_CLOSED],
      );
    }

    // The builds still running when it stopped end in Koji; a later --once pass records them.
    await waitFor("every scratch build task to end in Koji", async () => {
      const tasks = await sim!.api.getTaskInfoMany(rows.map((row) => row.task_id));
      return tasks.every((task) => task && !(task instanceof Error) && task.completion_ts !== null);
    });
    const rerun = startBackend(["polling", "--once"]);
    const [rerunCode] = await rerun.exited;
    assert.equal(rerunCode, 0, JSON.stringify(rerun.lines().filter((line) => line.level >= 50)));
    const ended = await scratchRows(db);
    assert.deepEqual(
      ended.map((row) => [row.name, row.task_id, row.state]),
      rows.map((row) => [row.name, row.task_id, row.name === "broken" ? FAILED : COMPLETE]),
    );
    const broken = await db
      .selectFrom("package")
      .select("build_priority")
      .where("name", "=", "broken")
      .executeTakeFirstOrThrow();
    assert.equal(broken.build_priority, 200);
  });
});
