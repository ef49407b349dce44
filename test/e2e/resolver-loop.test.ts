// The resolver loop end to end (issue #10 item 4), continuing the build loop of
// build-loop.test.ts, against real PostgreSQL and the Koji hub simulator over HTTP, every
// service run by the service runner from the registry's definitions: the simulator tags newer
// versions of dependencies and regenerates the build repo; the repo resolver records unapplied
// changes with their distances and raises dependency priorities; the scheduler builds the
// package whose priority crossed the threshold; polling registers the build and the build
// resolver stores its applied changes. A dependency removed from the repo makes a package
// unresolved with libsolv's problem text, a build group dependency removed makes the
// collection unresolved, and both recover when the dependency returns. Two repo-resolver
// processes on one collection store one set of rows; Koji and repo download faults in the
// middle of either resolver's pass leave nothing behind, and the next pass completes.
//
// Each test continues from the state the previous one left; `expected` is the whole state of
// the tables the loop writes, updated test by test, and every test compares all of it.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { decodeDependencyKeys } from "../../src/backend/dependency-keys.js";
import {
  FIRST_REPO,
  ResolverLoopWorld,
  SOURCES,
  TASK_SECONDS,
  type PassRecord,
  type SourceName,
} from "./resolver-loop-world.js";
import { describedChanges, resolutionHistory } from "../support/koji-world.js";

const RUNNING = 2;
const COMPLETE = 3;

interface PackageState {
  resolved: boolean | null;
  dependency_priority: number;
  manual_priority: number;
  build_priority: number;
  /** `name prev-E:V-R → curr-E:V-R @distance`, sorted. */
  unapplied: string[];
  /** resolution_change rows, oldest first, with their problems. */
  history: { resolved: boolean; problems: string[] }[];
}

interface BuildState {
  real: boolean;
  state: number;
  repo_id: number | null;
  deps_resolved: boolean | null;
  /** The stored dependency set (build.dependency_keys) as `name E:V-R.arch`, sorted. */
  dependencies: string[] | null;
  applied: string[];
}

interface LoopState {
  collection: {
    latest_repo_id: number | null;
    latest_repo_resolved: boolean | null;
    buildroot_problems: string[];
  };
  packages: Record<SourceName, PackageState>;
  /** Each package's builds, oldest first. */
  builds: Record<SourceName, BuildState[]>;
}

describe("the resolver loop against the simulated hub and PostgreSQL", () => {
  let world: ResolverLoopWorld;
  let collectionId: number;
  /** Every state test so far expects; each test changes what its step changes. */
  let expected: LoopState;
  /** The scratch build tasks Koji has: [task id, SRPM URL, options]. */
  const scratchTasks: [number, unknown, unknown][] = [];

  before(async () => {
    world = await ResolverLoopWorld.start();
  });
  after(async () => {
    await world?.close();
  });

  /** The loop's rows, as LoopState. */
  async function state(): Promise<LoopState> {
    const collection = await world.db
      .selectFrom("collection")
      .select(["latest_repo_id", "latest_repo_resolved"])
      .where("id", "=", collectionId)
      .executeTakeFirstOrThrow();
    const problems = await world.db
      .selectFrom("buildroot_problem")
      .select("problem")
      .where("collection_id", "=", collectionId)
      .orderBy("problem")
      .execute();
    const packages = {} as Record<SourceName, PackageState>;
    for (const name of Object.keys(SOURCES) as SourceName[]) {
      const row = await world.db
        .selectFrom("package")
        .selectAll()
        .where("name", "=", name)
        .executeTakeFirstOrThrow();
      packages[name] = {
        resolved: row.resolved,
        dependency_priority: row.dependency_priority,
        manual_priority: row.manual_priority,
        build_priority: row.build_priority,
        unapplied: await changes("unapplied_change", "package_id", row.id),
        history: await history(row.id),
      };
    }
    const builds = await world.db
      .selectFrom("build")
      .innerJoin("package", "package.id", "build.package_id")
      .select([
        "build.id",
        "package.name",
        "build.real",
        "build.state",
        "build.repo_id",
        "build.deps_resolved",
        "build.dependency_keys",
      ])
      .orderBy("build.id")
      .execute();
    const buildStates: Record<SourceName, BuildState[]> = { foo: [], qux: [] };
    for (const build of builds) {
      buildStates[build.name as SourceName].push({
        real: build.real,
        state: build.state,
        repo_id: build.repo_id,
        deps_resolved: build.deps_resolved,
        dependencies: build.dependency_keys && (await dependencies(build.dependency_keys)),
        applied: await changes("applied_change", "build_id", build.id),
      });
    }
    return {
      collection: {
        latest_repo_id: collection.latest_repo_id,
        latest_repo_resolved: collection.latest_repo_resolved,
        buildroot_problems: problems.map((row) => row.problem),
      },
      packages,
      builds: buildStates,
    };
  }

  function changes(
    table: "unapplied_change" | "applied_change",
    column: "package_id" | "build_id",
    id: number,
  ): Promise<string[]> {
    return describedChanges(world.db, table, column, id);
  }

  function history(packageId: number) {
    return resolutionHistory(world.db, packageId);
  }

  async function dependencies(keys: Uint8Array): Promise<string[]> {
    const rows = await world.db
      .selectFrom("dependency")
      .selectAll()
      .where("id", "in", decodeDependencyKeys(keys))
      .execute();
    return rows.map((d) => `${d.name} ${d.epoch}:${d.version}-${d.release}.${d.arch}`).sort();
  }

  function packageState(values: Partial<PackageState> = {}): PackageState {
    return {
      resolved: true,
      dependency_priority: 0,
      manual_priority: 0,
      build_priority: 0,
      unapplied: [],
      history: [{ resolved: true, problems: [] }],
      ...values,
    };
  }

  function srpmUrl(name: SourceName): string {
    const { version, release } = SOURCES[name];
    return `../packages/${name}/${version}/${release}/src/${name}-${version}-${release}.src.rpm`;
  }

  /** The scratch build task Koji has for `name`'s SRPM (tag arches: x86_64 only). */
  function scratchTask(taskId: number, name: SourceName): [number, unknown, unknown] {
    return [taskId, srpmUrl(name), { arch_override: "x86_64", scratch: true }];
  }

  /** Runs the services as one `--once` process, which must succeed. */
  async function once(...services: string[]): Promise<void> {
    assert.equal(await world.runOnce(services), 0, `${services.join(" ")} --once`);
  }

  /** One scheduler pass; the scratch tasks Koji has since the last call. */
  async function schedule(): Promise<[number, unknown, unknown][]> {
    await once("scheduler");
    const tasks = await world.scratchTasks();
    const added = tasks.slice(scratchTasks.length);
    assert.deepEqual(tasks.slice(0, scratchTasks.length), scratchTasks);
    scratchTasks.push(...added);
    return added;
  }

  const FOO_BUILD_DEPS = ["A 0:1-1.x86_64", "B 0:1-1.noarch", "C 0:1-1.x86_64"];
  const QUX_BUILD_DEPS = ["G 0:1-1.x86_64", "H 0:1-1.x86_64"];
  const GROUP_DEPS = ["R 0:1-1.x86_64", "S 0:1-1.x86_64"];

  test("tracked packages' real builds are registered and resolved; the first repo is recorded", async () => {
    const created = await world.admin([
      "create-collection",
      "f31",
      "-d",
      "Fedora 31",
      "-t",
      "f31",
      "--poll-untracked",
      "false",
    ]);
    assert.deepEqual(created, { output: ["Collection f31 created"] });
    collectionId = (await world.db.selectFrom("collection").select("id").executeTakeFirstOrThrow())
      .id;
    await once("polling");
    assert.equal((await world.admin(["add-pkg", "-c", "f31", "foo", "qux"])).error, undefined);
    await once("polling");
    await once("build-resolver");
    await once("repo-resolver");

    const realBuild = (deps: string[]): BuildState => ({
      real: true,
      state: COMPLETE,
      repo_id: FIRST_REPO,
      deps_resolved: true,
      dependencies: [...deps, ...GROUP_DEPS].sort(),
      applied: [],
    });
    expected = {
      collection: {
        latest_repo_id: FIRST_REPO,
        latest_repo_resolved: true,
        buildroot_problems: [],
      },
      packages: { foo: packageState(), qux: packageState() },
      builds: { foo: [realBuild(FOO_BUILD_DEPS)], qux: [realBuild(QUX_BUILD_DEPS)] },
    };
    assert.deepEqual(await state(), expected);
    assert.deepEqual(world.collectionChanges, [[FIRST_REPO, "unknown", "ok"]]);
    // A package never resolved with a complete build was "ok" already.
    assert.deepEqual(world.packageChanges, []);
    assert.deepEqual(await world.scratchTasks(), []);
  });

  let repo2: number;

  test("newer dependencies in a new repo: unapplied changes with distances raise dependency priorities", async () => {
    await world.tagBuild({ name: "A", evr: "0:2-1", requires: ["B"] });
    await world.tagBuild({ name: "C", evr: "0:2-1" });
    await world.tagBuild({ name: "H", evr: "0:2-1" });
    await world.tagBuild({ name: "R", evr: "0:2-1", requires: ["S"] });
    repo2 = await world.regenRepo();
    // Tagged builds are in no repo until it is regenerated.
    await once("repo-resolver");
    assert.equal((await state()).collection.latest_repo_id, repo2);

    expected.collection.latest_repo_id = repo2;
    // foo → A → B → C; R is the build group's (distance unknown: 256 / 8).
    expected.packages.foo.unapplied = [
      "A 0:1-1 → 0:2-1 @1",
      "C 0:1-1 → 0:2-1 @3",
      "R 0:1-1 → 0:2-1 @null",
    ];
    expected.packages.foo.dependency_priority = 373; // trunc(256/1 + 256/3 + 256/8)
    expected.packages.qux.unapplied = ["H 0:1-1 → 0:2-1 @2", "R 0:1-1 → 0:2-1 @null"];
    expected.packages.qux.dependency_priority = 160; // 256/2 + 256/8
    assert.deepEqual(await state(), expected);
    assert.deepEqual(world.collectionChanges.slice(1), [[repo2, "ok", "ok"]]);
    assert.deepEqual(world.packageChanges, []);

    // No newer repo: another pass writes nothing.
    await once("repo-resolver");
    assert.deepEqual(await state(), expected);
    assert.equal(world.collectionChanges.length, 2);
  });

  test("the scheduler builds the package whose priority crossed the threshold, and only it", async () => {
    // Both real builds are younger than t0: time priority -30. foo 343, qux 130; threshold 256.
    const [fooTask, ...others] = await schedule();
    assert.deepEqual(others, []);
    assert.deepEqual(fooTask, scratchTask(fooTask![0], "foo"));
    // foo's build runs; qux stays below the threshold.
    assert.deepEqual(await schedule(), []);

    expected.builds.foo.push({
      real: false,
      state: RUNNING,
      repo_id: null,
      deps_resolved: null,
      dependencies: null,
      applied: [],
    });
    assert.deepEqual(await state(), expected);
    assert.deepEqual(await world.scratchTasks(), scratchTasks);
  });

  test("polling registers the finished build; the build resolver stores its applied changes", async () => {
    // Five seconds free, the SRPM and the buildArch task.
    await world.advance(3 * TASK_SECONDS);
    await once("polling");
    // The finished build clears the package's dependency priority and unapplied changes.
    expected.packages.foo.unapplied = [];
    expected.packages.foo.dependency_priority = 0;
    Object.assign(expected.builds.foo[1]!, { state: COMPLETE, repo_id: repo2 });
    assert.deepEqual(await state(), expected);

    await once("build-resolver");
    Object.assign(expected.builds.foo[1]!, {
      deps_resolved: true,
      dependencies: [
        "A 0:2-1.x86_64",
        "B 0:1-1.noarch",
        "C 0:2-1.x86_64",
        "R 0:2-1.x86_64",
        "S 0:1-1.x86_64",
      ],
      applied: ["A 0:1-1 → 0:2-1 @1", "C 0:1-1 → 0:2-1 @3", "R 0:1-1 → 0:2-1 @null"],
    });
    // Only the newest resolved build of a package keeps its set.
    expected.builds.foo[0]!.dependencies = null;
    assert.deepEqual(await state(), expected);
    assert.deepEqual(world.packageChanges, []);
    assert.deepEqual(await world.scratchTasks(), scratchTasks);
  });

  // test/backend/repo-resolver.test.ts runs two real `koschei backend repo-resolver --once`
  // processes on a first repo; here two runners with a database pool and Koji sessions each
  // resolve a repo with changes at once.
  test("two repo-resolver processes started together store exactly one set of rows", async () => {
    await world.tagBuild({ name: "B", evr: "0:2-1", arch: "noarch", requires: ["C"] });
    const repo3 = await world.regenRepo();
    const exits = await Promise.all([
      world.runOnce(["repo-resolver"], { ownDatabase: true }),
      world.runOnce(["repo-resolver"], { ownDatabase: true }),
    ]);
    assert.deepEqual(exits, [0, 0]);

    expected.collection.latest_repo_id = repo3;
    // foo compares with its new build (repo 2's set), qux still with its real build.
    expected.packages.foo.unapplied = ["B 0:1-1 → 0:2-1 @2"];
    expected.packages.foo.dependency_priority = 128;
    assert.deepEqual(await state(), expected);
    assert.deepEqual(world.collectionChanges.slice(2), [[repo3, "ok", "ok"]]);
    const { rows, nevras } = await world.db
      .selectFrom("dependency")
      .select((eb) => [
        eb.fn.countAll<string>().as("rows"),
        eb.fn
          .count<string>(eb.fn("concat_ws", ["name", "epoch", "version", "release", "arch"]))
          .distinct()
          .as("nevras"),
      ])
      .executeTakeFirstOrThrow();
    assert.equal(Number(rows), Number(nevras));
  });

  test("a dependency removed from the repo makes its package unresolved with libsolv's problem; it returns", async () => {
    // H's new build makes H-libs only: nothing provides H any more.
    await world.tagBuild({ name: "H", evr: "0:3-1", rpmNames: ["H-libs"] });
    const repo4 = await world.regenRepo();
    await once("repo-resolver");

    expected.collection.latest_repo_id = repo4;
    Object.assign(expected.packages.qux, {
      resolved: false,
      unapplied: [],
      dependency_priority: 0,
    });
    expected.packages.qux.history.push({
      resolved: false,
      problems: [
        "Problem: package @builddeps(qux)-2.0-1.fc31.noarch requires G, but none of the providers can be installed\n" +
          " - nothing provides H needed by G-1-1.x86_64",
      ],
    });
    assert.deepEqual(await state(), expected);
    assert.deepEqual(world.packageChanges, [["qux", "ok", "unresolved"]]);
    assert.deepEqual(world.collectionChanges.slice(3), [[repo4, "ok", "ok"]]);

    await world.tagBuild({ name: "H", evr: "0:4-1" });
    const repo5 = await world.regenRepo();
    await once("repo-resolver");
    expected.collection.latest_repo_id = repo5;
    Object.assign(expected.packages.qux, {
      resolved: true,
      unapplied: ["H 0:1-1 → 0:4-1 @2", "R 0:1-1 → 0:2-1 @null"],
      dependency_priority: 160,
    });
    expected.packages.qux.history.push({ resolved: true, problems: [] });
    assert.deepEqual(await state(), expected);
    assert.deepEqual(world.packageChanges.slice(1), [["qux", "unresolved", "ok"]]);
    assert.deepEqual(world.collectionChanges.slice(4), [[repo5, "ok", "ok"]]);
  });

  test("a build group dependency removed makes the collection unresolved, packages untouched; it returns", async () => {
    await world.tagBuild({ name: "S", evr: "0:2-1", rpmNames: ["S-libs"] });
    const repo6 = await world.regenRepo();
    await once("repo-resolver");
    expected.collection = {
      latest_repo_id: repo6,
      latest_repo_resolved: false,
      buildroot_problems: ["Problem: nothing provides S needed by R-2-1.x86_64"],
    };
    assert.deepEqual(await state(), expected);
    assert.deepEqual(world.collectionChanges.slice(5), [[repo6, "ok", "unresolved"]]);
    // Nothing is built in a collection whose buildroot does not install, whatever the priority.
    const priority = (value: string) =>
      world.admin(["set-priority", "--collection", "f31", "qux", value]);
    assert.equal((await priority("3000")).error, undefined);
    assert.deepEqual(await schedule(), []);
    assert.equal((await priority("0")).error, undefined);

    await world.tagBuild({ name: "S", evr: "0:3-1" });
    const repo7 = await world.regenRepo();
    await once("repo-resolver");
    expected.collection = {
      latest_repo_id: repo7,
      latest_repo_resolved: true,
      buildroot_problems: [],
    };
    expected.packages.foo.unapplied = ["B 0:1-1 → 0:2-1 @2", "S 0:1-1 → 0:3-1 @null"];
    expected.packages.foo.dependency_priority = 160;
    expected.packages.qux.unapplied = [
      "H 0:1-1 → 0:4-1 @2",
      "R 0:1-1 → 0:2-1 @null",
      "S 0:1-1 → 0:3-1 @null",
    ];
    expected.packages.qux.dependency_priority = 192;
    assert.deepEqual(await state(), expected);
    assert.deepEqual(world.collectionChanges.slice(6), [[repo7, "unresolved", "ok"]]);
    assert.equal(world.packageChanges.length, 2);
  });

  /** What a failed pass's result is compared with: the whole state and the event counts. */
  const observed = async () => ({
    state: await state(),
    collectionChanges: world.collectionChanges.length,
    packageChanges: world.packageChanges.length,
  });

  /** The runner's warnings about failed passes since `mark`; errors fail the test. */
  function retryWarnings(mark: number): string[] {
    const lines = world.logLines.slice(mark);
    assert.deepEqual(
      lines.filter((line) => line.level >= 50),
      [],
    );
    return lines
      .filter((line) => line.level === 40 && line.msg.includes("pass failed"))
      .map((line) => line.msg);
  }

  test("a repo download fault and a Koji fault in the middle of repo-resolver passes leave nothing behind; the next pass completes", async () => {
    await world.tagBuild({ name: "C", evr: "0:3-1" });
    const repo8 = await world.regenRepo();
    const primary = new RegExp(`/repos/f31-build/${repo8}/x86_64/repodata/.*primary\\.xml\\.gz$`);
    // Every try of the download fails (the repo cache tries four times); then the BuildRequires
    // multicall, after the repo is loaded and the buildroot resolved.
    world.proxy.fail(primary, { httpStatus: 503 }, 4);
    await world.injectKojiFault("multiCall", { httpStatus: 503 });
    const before = await observed();
    const logMark = world.logLines.length;

    const { exitCode, passes } = await world.runUntilPassed(["repo-resolver"], observed);
    assert.equal(exitCode, 0);
    // Both are outages: retried with back-off, nothing logged as an error.
    assert.deepEqual(retryWarnings(logMark), [
      "repo-resolver pass failed (attempt 1); retrying in 0.05 s",
      "repo-resolver pass failed (attempt 2); retrying in 0.1 s",
    ]);
    assert.deepEqual(
      passes.map((pass) => [pass.service, pass.error?.replace(/http:\/\/[^ ]+/g, "URL")]),
      [
        ["repo-resolver", "GET URL failed after 4 attempts: HTTP 503 Service Unavailable"],
        ["repo-resolver", "URL HTTP 503 Simulated HTTP error 503"],
        ["repo-resolver", undefined],
      ],
    );
    for (const pass of passes.slice(0, 2)) assert.deepEqual(pass.snapshot, before);
    assert.equal(world.proxy.requests(primary), 5);
    assert.equal(await world.kojiFaultsPending(), 0);

    expected.collection.latest_repo_id = repo8;
    expected.packages.foo.unapplied = [
      "B 0:1-1 → 0:2-1 @2",
      "C 0:2-1 → 0:3-1 @3",
      "S 0:1-1 → 0:3-1 @null",
    ];
    expected.packages.foo.dependency_priority = 245; // trunc(128 + 85.3 + 32)
    assert.deepEqual(await state(), expected);
    assert.deepEqual(world.collectionChanges.slice(7), [[repo8, "ok", "ok"]]);
    assert.equal(world.packageChanges.length, 2);
  });

  test("qux's priority crosses the threshold; its build's resolution survives Koji and download faults", async () => {
    await world.tagBuild({ name: "G", evr: "0:2-1", requires: ["H"] });
    const repo9 = await world.regenRepo();
    await once("repo-resolver");
    expected.collection.latest_repo_id = repo9;
    expected.packages.qux.unapplied = [
      "G 0:1-1 → 0:2-1 @1",
      "H 0:1-1 → 0:4-1 @2",
      "R 0:1-1 → 0:2-1 @null",
      "S 0:1-1 → 0:3-1 @null",
    ];
    expected.packages.qux.dependency_priority = 448; // 256 + 128 + 32 + 32
    assert.deepEqual(await state(), expected);

    // A repo the resolvers have not seen yet: qux is built in it.
    await world.tagBuild({ name: "H", evr: "0:5-1" });
    const repo10 = await world.regenRepo();
    // qux 418, foo 215.
    const [quxTask, ...others] = await schedule();
    assert.deepEqual(others, []);
    assert.deepEqual(quxTask, scratchTask(quxTask![0], "qux"));
    assert.deepEqual(await schedule(), []);
    await world.advance(3 * TASK_SECONDS);
    await once("polling");
    Object.assign(expected.packages.qux, { unapplied: [], dependency_priority: 0 });
    expected.builds.qux.push({
      real: false,
      state: COMPLETE,
      repo_id: repo10,
      deps_resolved: null,
      dependencies: null,
      applied: [],
    });
    assert.deepEqual(await state(), expected);

    // The BuildRequires multicall fails, then every try of the repo download.
    const primary = new RegExp(`/repos/f31-build/${repo10}/x86_64/repodata/.*primary\\.xml\\.gz$`);
    await world.injectKojiFault("multiCall", { httpStatus: 503 });
    world.proxy.fail(primary, { httpStatus: 503 }, 4);
    const before = await observed();
    const logMark = world.logLines.length;
    const { exitCode, passes } = await world.runUntilPassed(["build-resolver"], observed);
    assert.equal(exitCode, 0);
    assert.deepEqual(retryWarnings(logMark), [
      "build-resolver pass failed (attempt 1); retrying in 0.05 s",
      "build-resolver pass failed (attempt 2); retrying in 0.1 s",
    ]);
    assert.deepEqual(
      passes.map((pass) => [pass.service, pass.error?.replace(/http:\/\/[^ ]+/g, "URL")]),
      [
        ["build-resolver", "URL HTTP 503 Simulated HTTP error 503"],
        ["build-resolver", "GET URL failed after 4 attempts: HTTP 503 Service Unavailable"],
        ["build-resolver", undefined],
      ],
    );
    for (const pass of passes.slice(0, 2)) {
      assert.deepEqual((pass as PassRecord<typeof before>).snapshot, before);
    }
    assert.equal(world.proxy.requests(primary), 5);

    Object.assign(expected.builds.qux[1]!, {
      deps_resolved: true,
      dependencies: ["G 0:2-1.x86_64", "H 0:5-1.x86_64", "R 0:2-1.x86_64", "S 0:3-1.x86_64"],
      applied: [
        "G 0:1-1 → 0:2-1 @1",
        "H 0:1-1 → 0:5-1 @2",
        "R 0:1-1 → 0:2-1 @null",
        "S 0:1-1 → 0:3-1 @null",
      ],
    });
    expected.builds.qux[0]!.dependencies = null;
    assert.deepEqual(await state(), expected);

    // The next repo: qux compares with its new build and has nothing to catch up with.
    await once("repo-resolver");
    expected.collection.latest_repo_id = repo10;
    // foo: against repo 2's set, B, C and S changed (H is not foo's).
    assert.deepEqual(await state(), expected);
    assert.deepEqual(await world.scratchTasks(), scratchTasks);
    assert.equal(scratchTasks.length, 2);
    assert.equal(world.packageChanges.length, 2);
  });

  test("a corrupt repo download ends a --once repo-resolver pass with nothing stored; the next run completes", async () => {
    await world.tagBuild({ name: "B", evr: "0:3-1", arch: "noarch", requires: ["C"] });
    const repo11 = await world.regenRepo();
    const primary = new RegExp(`/repos/f31-build/${repo11}/x86_64/repodata/.*primary\\.xml\\.gz$`);
    world.proxy.fail(primary, { corrupt: true }, 1);
    const before = await observed();
    const logMark = world.logLines.length;
    // A checksum mismatch is no outage: the pass fails, and --once exits 1 at once.
    assert.equal(await world.runOnce(["repo-resolver"]), 1);
    const crash = world.logLines.slice(logMark).filter((line) => line.level >= 50);
    assert.deepEqual(
      crash.map((line) => line.msg),
      ["Service repo-resolver crashed."],
    );
    assert.match(crash[0]!.err!, /primary\.xml\.gz: sha256 checksum \w+ does not match \w+ listed/);
    assert.deepEqual(await observed(), before);

    await once("repo-resolver");
    assert.equal(world.proxy.requests(primary), 2);
    expected.collection.latest_repo_id = repo11;
    expected.packages.foo.unapplied = [
      "B 0:1-1 → 0:3-1 @2",
      "C 0:2-1 → 0:3-1 @3",
      "S 0:1-1 → 0:3-1 @null",
    ];
    assert.deepEqual(await state(), expected);
  });

  test("the four services together in one process find nothing left to do", async () => {
    const before = await observed();
    assert.equal(
      await world.runOnce(["polling", "scheduler", "repo-resolver", "build-resolver"]),
      0,
    );
    assert.deepEqual(await observed(), before);
    assert.deepEqual(await world.scratchTasks(), scratchTasks);
  });
});
