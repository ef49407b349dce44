// The scheduler (spec 02 §2, scenarios of 06 §2 and 02 §7) against real PostgreSQL and the
// Koji hub simulator: what it submits, with which options, what it records, what it passes
// over and why, and that hub faults neither lose state nor submit a build twice.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Writable } from "node:stream";
import { pino } from "pino";
import { runSchedulerPass, type SchedulerOutcome } from "../../src/backend/scheduler.js";
import type { KojiSessions } from "../../src/koji/sessions.js";
import { silentLogger, type Logger } from "../../src/log/logger.js";
import { COMPLETE, REPO_ID, RUNNING, ServiceWorld, useServiceWorld } from "./service-world.js";

let world: ServiceWorld;
/** The last Koji task id before the test: tasks above it are the test's. */
let taskWatermark: number;

useServiceWorld(
  (started) => (world = started),
  async () => {
    taskWatermark = await world.lastTaskId();
  },
);

function schedule(options: { koji?: KojiSessions; log?: Logger } = {}): Promise<SchedulerOutcome> {
  const session = world.session(options.koji);
  return runSchedulerPass({ session: async () => session, log: options.log ?? silentLogger });
}

/**
 * Spec 02 §7's fixture: a package whose effective priority is `priority` (its last build is
 * 40 minutes old, so the time priority is −30, made up by the dependency priority).
 */
async function prioritized(
  name: string,
  priority: number,
  values: Parameters<ServiceWorld["package"]>[1] = {},
): Promise<number> {
  const id = await world.package(name, { dependency_priority: priority + 30, ...values });
  await world.build(id);
  return id;
}

/** A second, newer build of the package in the given state. */
async function secondBuild(packageId: number, state: number): Promise<number> {
  return world.build(packageId, {
    state,
    started: world.minutesAgo(20),
    ...(state === RUNNING ? { finished: null, repo_id: null } : {}),
  });
}

/** The package names of the builds submitted to Koji during the test. */
async function submittedPackages(): Promise<string[]> {
  const tasks = await world.buildTasksAfter(taskWatermark);
  return tasks.map((task) => String(task.request![0]).split("/")[2]!);
}

const rnvUrl = "../packages/rnv/1.7.11/15.fc28/src/rnv-1.7.11-15.fc28.src.rpm";
const mavenUrl = "../packages/maven/3.5.3/2.fc29/src/maven-3.5.3-2.fc29.src.rpm";

describe("choosing the package (06 §2)", () => {
  test("priority 10 is below the threshold: nothing is submitted", async () => {
    await prioritized("rnv", 10);
    assert.deepEqual(await schedule(), { kind: "below-threshold" });
    assert.deepEqual(await submittedPackages(), []);
  });

  test("priority 256 meets the threshold: rnv is submitted", async () => {
    await prioritized("rnv", 256);
    assert.equal((await schedule()).kind, "submitted");
    assert.deepEqual(await submittedPackages(), ["rnv"]);
  });

  test("dependencies not resolved yet: nothing; with skip_resolution: submitted", async () => {
    const rnv = await prioritized("rnv", 256, { resolved: null });
    assert.equal((await schedule()).kind, "nothing-to-schedule");
    assert.deepEqual(await submittedPackages(), []);
    await world.db
      .updateTable("package")
      .set({ skip_resolution: true })
      .where("id", "=", rnv)
      .execute();
    assert.equal((await schedule()).kind, "submitted");
    assert.deepEqual(await submittedPackages(), ["rnv"]);
  });

  test("two running builds (max_builds 2): nothing, even for priority 400", async () => {
    const rnv = await prioritized("rnv", 30);
    await secondBuild(rnv, RUNNING);
    const eclipse = await prioritized("eclipse", 300);
    await secondBuild(eclipse, RUNNING);
    await prioritized("expat", 400);
    assert.deepEqual(await schedule(), { kind: "max-builds", running: 2 });
    assert.deepEqual(await submittedPackages(), []);
  });

  test("a package with a running build is not submitted again (30000)", async () => {
    const rnv = await prioritized("rnv", 30000);
    await secondBuild(rnv, RUNNING);
    assert.equal((await schedule()).kind, "nothing-to-schedule");
    assert.deepEqual(await submittedPackages(), []);
  });

  test("a package whose only build runs is not submitted again", async () => {
    const rnv = await world.package("rnv", {
      dependency_priority: 30000,
      skip_resolution: true,
      resolved: null,
    });
    await world.build(rnv, { state: RUNNING, finished: null, repo_id: null });
    assert.equal((await schedule()).kind, "nothing-to-schedule");
    assert.deepEqual(await submittedPackages(), []);
  });

  test("rnv 300 running, eclipse 100: nothing", async () => {
    await prioritized("eclipse", 100);
    const rnv = await prioritized("rnv", 300);
    await secondBuild(rnv, RUNNING);
    assert.deepEqual(await schedule(), { kind: "below-threshold" });
    assert.deepEqual(await submittedPackages(), []);
  });

  test("rnv 300 running, eclipse 280: eclipse", async () => {
    await prioritized("eclipse", 280);
    const rnv = await prioritized("rnv", 300);
    await secondBuild(rnv, RUNNING);
    assert.equal((await schedule()).kind, "submitted");
    assert.deepEqual(await submittedPackages(), ["eclipse"]);
  });

  test("eclipse 280 and rnv 300: rnv first, one build per pass", async () => {
    await prioritized("eclipse", 280);
    await prioritized("rnv", 300);
    assert.equal((await schedule()).kind, "submitted");
    assert.deepEqual(await submittedPackages(), ["rnv"]);
  });

  test("eclipse 100 with a running build, rnv 300 with a newer complete build: rnv", async () => {
    const eclipse = await prioritized("eclipse", 100);
    await secondBuild(eclipse, RUNNING);
    const rnv = await prioritized("rnv", 300);
    await secondBuild(rnv, COMPLETE);
    assert.equal((await schedule()).kind, "submitted");
    assert.deepEqual(await submittedPackages(), ["rnv"]);
  });

  for (const [label, values] of [
    ["unresolvable", { resolved: false }],
    ["untracked", { tracked: false }],
    ["blocked", { blocked: true }],
  ] as const) {
    test(`an ${label} package (300) is not submitted`, async () => {
      await prioritized("rnv", 300, values);
      assert.equal((await schedule()).kind, "nothing-to-schedule");
      assert.deepEqual(await submittedPackages(), []);
    });
  }

  test("a broken buildroot: nothing", async () => {
    await world.collection({ latest_repo_resolved: false });
    await prioritized("rnv", 256);
    assert.equal((await schedule()).kind, "nothing-to-schedule");
    assert.deepEqual(await submittedPackages(), []);
  });

  test("a buildroot not resolved yet: nothing", async () => {
    await world.collection({ latest_repo_resolved: null, latest_repo_id: null });
    await prioritized("rnv", 256);
    assert.equal((await schedule()).kind, "nothing-to-schedule");
    assert.deepEqual(await submittedPackages(), []);
  });

  test("no packages: Koji is not asked anything (no load computed)", async () => {
    await world.collection();
    await world.inject("*", { httpStatus: 500 }, 5);
    assert.deepEqual(await schedule(), { kind: "nothing-to-schedule" });
    assert.deepEqual(await world.pendingFaults(), [
      { method: "*", remaining: 5, fault: { kind: "http", status: 500 } },
    ]);
  });

  test("a Koji load above load_threshold stops the pass; a noarch package may still go", async () => {
    world.configure((config) => ({
      ...config,
      koji_config: { ...config.koji_config, load_threshold: 0.2 },
    }));
    const rnv = await prioritized("rnv", 30000);
    assert.deepEqual(await schedule(), { kind: "koji-load", packageId: rnv, load: 0.3 });
    assert.deepEqual(await submittedPackages(), []);
    // Any arch may take a noarch build: the least loaded one (x86, idle) counts.
    await world.db.deleteFrom("package").execute();
    await prioritized("maven", 30000);
    assert.equal((await schedule()).kind, "submitted");
    assert.deepEqual(await submittedPackages(), ["maven"]);
  });

  test("load_threshold 1 turns the load check off", async () => {
    world.configure((config) => ({
      ...config,
      koji_config: { ...config.koji_config, load_threshold: 1 },
    }));
    await prioritized("rnv", 300);
    await world.inject("listHosts", { httpStatus: 500 }, 5);
    assert.equal((await schedule()).kind, "submitted");
  });
});

describe("the submitted build (02 §6, 06 §1)", () => {
  test("rnv: build(url, 'f29', {arch_override, scratch}, priority 30) and a running build row", async () => {
    const rnv = await prioritized("rnv", 300, { manual_priority: 50 });
    await world.db
      .updateTable("package")
      .set({ scheduler_skip_reason: 1 })
      .where("id", "=", rnv)
      .execute();
    const outcome = await schedule();

    const [task] = await world.buildTasksAfter(taskWatermark);
    assert.deepEqual(outcome, {
      kind: "submitted",
      packageId: rnv,
      buildId: outcome.kind === "submitted" ? outcome.buildId : -1,
      taskId: task!.id,
    });
    assert.deepEqual(task!.request, [
      rnvUrl,
      "f29",
      { arch_override: "armv7hl i686 x86_64", scratch: true },
    ]);
    // The hub adds the requested priority to its default task priority of 20.
    assert.equal(task!.priority, 50);
    const [, build] = await world.buildRows(rnv);
    assert.deepEqual(
      [
        build!.state,
        build!.task_id,
        build!.epoch,
        build!.version,
        build!.release,
        build!.repo_id,
        build!.real,
      ],
      [RUNNING, task!.id, null, "1.7.11", "15.fc28", null, false],
    );
    const pkg = await world.packageRow(rnv);
    assert.deepEqual(
      [pkg.last_build_id, pkg.manual_priority, pkg.scheduler_skip_reason, pkg.dependency_priority],
      [build!.id, 0, null, 330],
    );
  });

  test("maven (noarch SRPM, integration case): no arch override, EVR of the SRPM", async () => {
    const maven = await world.package("maven", { manual_priority: 10000 });
    await world.build(maven, { started: world.now() });
    assert.equal((await schedule()).kind, "submitted");
    const [task] = await world.buildTasksAfter(taskWatermark);
    assert.deepEqual(task!.request, [mavenUrl, "f29", { scratch: true }]);
    const [, build] = await world.buildRows(maven);
    assert.deepEqual(
      [build!.state, build!.epoch, build!.version, build!.release],
      [RUNNING, 1, "3.5.3", "2.fc29"],
    );
  });

  for (const [override, expected] of [
    ["x86_64", "x86_64"],
    ["^armhfp", "i686 x86_64"],
    ["armv7hl s390x", "armv7hl"],
  ] as const) {
    test(`arch override "${override}" builds for "${expected}"`, async () => {
      await prioritized("rnv", 300, { arch_override: override });
      assert.equal((await schedule()).kind, "submitted");
      const [task] = await world.buildTasksAfter(taskWatermark);
      assert.deepEqual(task!.request![2], { arch_override: expected, scratch: true });
    });
  }

  test("build_from_repo_id: no target, the collection's repo id in the options and the row", async () => {
    world.configure((config) => ({
      ...config,
      koji_config: { ...config.koji_config, build_from_repo_id: true },
    }));
    const rnv = await prioritized("rnv", 300);
    assert.equal((await schedule()).kind, "submitted");
    const [task] = await world.buildTasksAfter(taskWatermark);
    assert.deepEqual(task!.request, [
      rnvUrl,
      null,
      { arch_override: "armv7hl i686 x86_64", repo_id: REPO_ID, scratch: true },
    ]);
    const [, build] = await world.buildRows(rnv);
    assert.equal(build!.repo_id, REPO_ID);
  });

  test("the build tag's arches are asked once an hour: a later pass does not ask again", async () => {
    await prioritized("rnv", 300);
    assert.equal((await schedule()).kind, "submitted");
    await world.inject("getBuildConfig", { httpStatus: 500 }, 2);
    await world.db.deleteFrom("package").execute();
    await prioritized("eclipse", 300);
    assert.equal((await schedule()).kind, "submitted");
    assert.deepEqual(await submittedPackages(), ["rnv", "eclipse"]);
    assert.deepEqual(await world.pendingFaults(), [
      { method: "getBuildConfig", remaining: 2, fault: { kind: "http", status: 500 } },
    ]);
  });

  test("an anonymous Koji session is refused with a clear message", async () => {
    await prioritized("rnv", 300);
    const anonymous = await world.anonymousKoji();
    try {
      await assert.rejects(schedule({ koji: anonymous }), {
        message:
          "the scheduler submits scratch builds and needs a logged-in Koji session, but " +
          "koji_config.login_method is 'logout' (anonymous): set it to ssl_login with " +
          "login_args.cert naming the client certificate",
      });
    } finally {
      await anonymous.close();
    }
    assert.deepEqual(await submittedPackages(), []);
  });
});

describe("packages passed over (02 §2.4, §2.6)", () => {
  test("Koji does not know the SRPM: skip reason 1, no last build; the next candidate goes", async () => {
    const rnv = await world.package("rnv", { dependency_priority: 1030, manual_priority: 7 });
    const old = await world.build(rnv, { version: "0.1", release: "1" });
    await prioritized("eclipse", 300);
    const lines = await capturedLog((log) => schedule({ log }));

    assert.deepEqual(await submittedPackages(), ["eclipse"]);
    const pkg = await world.packageRow(rnv);
    assert.deepEqual(
      [
        pkg.scheduler_skip_reason,
        pkg.resolved,
        pkg.last_build_id,
        pkg.last_complete_build_id,
        pkg.last_complete_build_state,
        pkg.manual_priority,
      ],
      [1, null, null, null, null, 7],
    );
    const [build] = await world.buildRows(rnv);
    assert.deepEqual([build!.id, build!.last_complete], [old, false]);
    assert.deepEqual(
      lines.filter((line) => line.msg.startsWith("No SRPM")),
      [{ level: 30, msg: "No SRPM found for rnv in f29" }],
    );
  });

  test("no SRPM tagged in the destination tag: skip reason 1 and the manual priority is used up", async () => {
    const oldpkg = await world.package("oldpkg", { dependency_priority: 1030, manual_priority: 7 });
    await world.build(oldpkg);
    assert.equal((await schedule()).kind, "nothing-to-schedule");
    assert.deepEqual(await submittedPackages(), []);
    const pkg = await world.packageRow(oldpkg);
    assert.deepEqual(
      [pkg.scheduler_skip_reason, pkg.last_build_id, pkg.manual_priority],
      [1, null, 0],
    );
  });

  test("no allowed arch (ExclusiveArch s390x): skip reason 2, 1000 less manual priority, committed", async () => {
    const s390 = await prioritized("s390utils", 2000);
    await prioritized("rnv", 300);
    const lines = await capturedLog((log) => schedule({ log }));
    assert.deepEqual(await submittedPackages(), ["rnv"]);
    const pkg = await world.packageRow(s390);
    assert.deepEqual([pkg.scheduler_skip_reason, pkg.manual_priority], [2, -1000]);
    assert.deepEqual(
      lines.filter((line) => line.msg.startsWith("Skipping")),
      [{ level: 30, msg: "Skipping s390utils: no allowed arch" }],
    );
  });

  test("each reason to stop is logged once per pass", async () => {
    await prioritized("rnv", 10);
    await prioritized("eclipse", 20);
    const lines = await capturedLog((log) => schedule({ log }));
    assert.deepEqual(lines, [{ level: 30, msg: "Not scheduling: no package above threshold" }]);
  });
});

describe("faults: no state lost, no build submitted twice", () => {
  test("an HTTP 500 answer to build is retried: one build in Koji, recorded", async () => {
    const rnv = await prioritized("rnv", 300);
    await world.inject("build", { httpStatus: 500 });
    assert.equal((await schedule()).kind, "submitted");
    const tasks = await world.buildTasksAfter(taskWatermark);
    assert.equal(tasks.length, 1);
    const [, build] = await world.buildRows(rnv);
    assert.equal(build!.task_id, tasks[0]!.id);
  });

  test("build failing beyond the retries: nothing recorded, nothing in Koji; the next pass submits once", async () => {
    const rnv = await prioritized("rnv", 300, { manual_priority: 5 });
    await world.inject("build", { httpStatus: 500 }, 2);
    await assert.rejects(schedule(), /HTTP 500/);
    assert.deepEqual(await submittedPackages(), []);
    assert.equal((await world.buildRows(rnv)).length, 1);
    assert.equal((await world.packageRow(rnv)).manual_priority, 5);

    assert.equal((await schedule()).kind, "submitted");
    assert.equal((await schedule()).kind, "nothing-to-schedule");
    assert.deepEqual(await submittedPackages(), ["rnv"]);
    assert.equal((await world.buildRows(rnv)).length, 2);
  });

  test("a build Koji accepted whose answer was lost is recorded, not submitted again", async () => {
    const rnv = await prioritized("rnv", 300);
    // What an earlier pass sent before its answer got lost.
    const lostTask = await world.koji.primary.build(
      rnvUrl,
      "f29",
      { arch_override: "armv7hl i686 x86_64", scratch: true },
      { priority: 30 },
    );
    const outcome = await schedule();
    assert.equal(outcome.kind, "recorded-lost-submission");
    assert.deepEqual(
      (await world.buildTasksAfter(taskWatermark)).map((task) => task.id),
      [lostTask],
    );
    const [, build] = await world.buildRows(rnv);
    assert.deepEqual([build!.task_id, build!.state, build!.version], [lostTask, RUNNING, "1.7.11"]);
    assert.equal((await schedule()).kind, "nothing-to-schedule");
  });

  test("a truncated answer to build: the hub refuses the client's retry, the build it ran is recorded once", async () => {
    const rnv = await prioritized("rnv", 300);
    await world.inject("build", { truncate: true });
    const outcome = await schedule();
    assert.equal(outcome.kind, "recorded-lost-submission");
    const tasks = await world.buildTasksAfter(taskWatermark);
    assert.equal(tasks.length, 1);
    const [, build] = await world.buildRows(rnv);
    assert.deepEqual([build!.task_id, build!.state], [tasks[0]!.id, RUNNING]);
    assert.equal((await schedule()).kind, "nothing-to-schedule");
  });

  test("a canceled earlier task is not taken for a lost submission", async () => {
    await prioritized("rnv", 300);
    const canceled = await world.koji.primary.build(rnvUrl, "f29", { scratch: true });
    await world.koji.primary.cancelTask(canceled);
    const outcome = await schedule();
    assert.equal(outcome.kind, "submitted");
    assert.notEqual(outcome.kind === "submitted" && outcome.taskId, canceled);
  });

  for (const method of ["getRPMHeaders", "listHosts", "listTagged", "listTasks"]) {
    test(`a truncated answer to ${method} is retried: one build`, async () => {
      await prioritized("rnv", 300);
      await world.inject(method, { truncate: true });
      assert.equal((await schedule()).kind, "submitted");
      assert.deepEqual(await submittedPackages(), ["rnv"]);
      assert.deepEqual(await world.pendingFaults(), []);
    });
  }

  test("an answer slower than the client's time limit is retried: one build", async () => {
    await prioritized("rnv", 300);
    await world.inject("getRPMHeaders", { delayMs: 5000 });
    assert.equal((await schedule()).kind, "submitted");
    assert.deepEqual(await submittedPackages(), ["rnv"]);
  });

  test("the hub failing before build: the pass fails, the package is still a candidate", async () => {
    const rnv = await prioritized("rnv", 300, { manual_priority: 5 });
    await world.inject("listTagged", { httpStatus: 500 }, 2);
    await assert.rejects(schedule(), /HTTP 500/);
    const pkg = await world.packageRow(rnv);
    assert.deepEqual([pkg.manual_priority, pkg.scheduler_skip_reason], [5, null]);
    assert.equal((await schedule()).kind, "submitted");
    assert.deepEqual(await submittedPackages(), ["rnv"]);
  });
});

/** The pass's log lines (level and message) at info level and above. */
async function capturedLog(
  body: (log: Logger) => Promise<unknown>,
): Promise<{ level: number; msg: string }[]> {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
        const { level, msg } = JSON.parse(line) as { level: number; msg: string };
        lines.push({ level, msg });
      }
      done();
    },
  });
  await body(pino({ level: "info" }, sink));
  return lines;
}
