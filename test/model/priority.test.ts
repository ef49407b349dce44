import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  buildPriorityAfterFinish,
  currentPriority,
  currentPrioritySql,
  DEFAULT_PRIORITY_CONFIG,
  dependencyPriority,
  meetsBuildThreshold,
  timePriority,
  type LastBuild,
  type PriorityCollection,
  type PriorityConfig,
  type PriorityPackage,
} from "../../src/model/priority.js";

/** The test configuration of the original suite (06 §0): package_update 20. */
const testConfig: PriorityConfig = { ...DEFAULT_PRIORITY_CONFIG, package_update: 20 };

function assertClose(actual: number | null, expected: number, what: string): void {
  assert.ok(actual !== null, `${what}: expected ${expected}, got null`);
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: expected ${expected}, got ${actual}`);
}

const at = (iso: string): Date => new Date(`${iso}Z`);

const rnv: PriorityPackage = {
  tracked: true,
  blocked: false,
  skip_resolution: false,
  resolved: true,
  last_build_id: 1,
  last_complete_build_id: 1,
  scheduler_skip_reason: null,
  manual_priority: 0,
  static_priority: 0,
  dependency_priority: 0,
  build_priority: 0,
};
const f25: PriorityCollection = {
  display_name: "Fedora Rawhide",
  latest_repo_resolved: true,
  priority_coefficient: 1,
};

describe("time priority", () => {
  // Reference points of spec 02 §1.1 with the default t0 = 6, t1 = 168, threshold 256.
  const curve: [number, number][] = [
    [0, -30],
    [2, -30],
    [4, -30],
    [6, 0],
    [10, 39.2446980024098],
    [24, 106.503474],
    [34, 133.26248998925],
    [48, 159.755211],
    [168, 256],
    [730, 368.863607520133],
  ];
  for (const [hours, expected] of curve) {
    test(`${hours} h → ${expected}`, () => {
      const tolerance = Number.isInteger(expected) ? 1e-9 : 1e-6;
      const actual = timePriority(hours, DEFAULT_PRIORITY_CONFIG);
      assert.ok(Math.abs(actual - expected) < tolerance, `got ${actual}`);
    });
  }

  test("leaves the floor at about 4.06 h and uses base-10 logarithms", () => {
    assert.equal(timePriority(4.05, DEFAULT_PRIORITY_CONFIG), -30);
    assert.ok(timePriority(4.07, DEFAULT_PRIORITY_CONFIG) > -30);
  });

  test("a build started in the future counts as brand new", () => {
    assert.equal(timePriority(-5, DEFAULT_PRIORITY_CONFIG), -30);
  });

  test("follows t0, t1 and the threshold", () => {
    const config = { ...DEFAULT_PRIORITY_CONFIG, t0: 1, t1: 100, build_threshold: 100 };
    assertClose(timePriority(10, config), 50, "half way on the log axis");
  });

  test("rejects t0 and t1 that do not define a curve", () => {
    for (const [t0, t1] of [
      [0, 168],
      [6, 6],
      [168, 6],
    ]) {
      assert.throws(
        () => timePriority(10, { ...DEFAULT_PRIORITY_CONFIG, t0: t0!, t1: t1! }),
        /priorities need 0 < t0 < t1/,
      );
    }
  });
});

describe("current priority (PackagePriorityTest, clock frozen 2017-10-10 10:00)", () => {
  const now = at("2017-10-10T10:00:00");
  const sameInstant: LastBuild = { started: now };
  const cases: [
    string,
    Partial<PriorityPackage>,
    Partial<PriorityCollection>,
    LastBuild | null,
    number | null,
  ][] = [
    ["test_basic", {}, {}, sameInstant, -30],
    [
      "test_coefficient",
      { manual_priority: 10, static_priority: 20, dependency_priority: 40, build_priority: 50 },
      { priority_coefficient: 0.5 },
      sameInstant,
      // The original asserts 10 + 20 + 0.5 × (−30 + 40 + 50) = 60 (spec 02 §1.2 says 45).
      60,
    ],
    ["test_time 08:00 (2 h)", {}, {}, { started: at("2017-10-10T08:00:00") }, -30],
    ["test_time 00:00 (10 h)", {}, {}, { started: at("2017-10-10T00:00:00") }, 39.2446980024098],
    [
      "test_time 2017-10-09 00:00 (34 h)",
      {},
      {},
      { started: at("2017-10-09T00:00:00") },
      133.26248998925,
    ],
    [
      "test_time 2017-09-10 00:00 (730 h)",
      {},
      {},
      { started: at("2017-09-10T00:00:00") },
      368.863607520133,
    ],
    ["test_untracked", { tracked: false }, {}, sameInstant, null],
    ["test_blocked", { blocked: true }, {}, sameInstant, null],
    ["test_unresolved", { resolved: false }, {}, sameInstant, null],
    ["test_running_build", { last_build_id: 2 }, {}, { started: at("2017-10-10T11:00:00") }, null],
    ["test_no_build", { last_build_id: null, last_complete_build_id: null }, {}, null, null],
    ["test_resolution_not_attempted", { resolved: null }, {}, sameInstant, null],
    ["test_resolution_skipped", { resolved: null, skip_resolution: true }, {}, sameInstant, -30],
    ["broken base buildroot", {}, { latest_repo_resolved: false }, sameInstant, null],
    ["base buildroot not resolved yet", {}, { latest_repo_resolved: null }, sameInstant, null],
    [
      "only build running",
      { last_complete_build_id: null, skip_resolution: true, resolved: null },
      {},
      sameInstant,
      null,
    ],
    [
      "scheduler skip notes keep the priority",
      { scheduler_skip_reason: 2, manual_priority: -1000 },
      {},
      sameInstant,
      -1030,
    ],
    [
      "manual and static are not scaled, time is",
      { manual_priority: 100, static_priority: 7 },
      { priority_coefficient: 2 },
      { started: at("2017-10-10T00:00:00") },
      107 + 2 * 39.2446980024098,
    ],
  ];
  for (const [name, pkgChange, collectionChange, lastBuild, expected] of cases) {
    test(name, () => {
      const actual = currentPriority(
        { ...rnv, ...pkgChange },
        { ...f25, ...collectionChange },
        lastBuild,
        testConfig,
        now,
      );
      if (expected === null) assert.equal(actual, null);
      else assertClose(actual, expected, name);
    });
  }
});

describe("scheduler scenarios (SchedulerTest, clock frozen 2017-10-10 10:50)", () => {
  // prepare_priorities: dependency priority = value + 30 and a complete build started
  // minutes earlier (time priority −30), so the priority equals the named value.
  const now = at("2017-10-10T10:50:00");
  const recent: LastBuild = { started: at("2017-10-10T10:03:00") };
  const named = (value: number, change: Partial<PriorityPackage> = {}): PriorityPackage => ({
    ...rnv,
    dependency_priority: value + 30,
    ...change,
  });
  const running = { last_build_id: 2 };
  const cases: [string, PriorityPackage, Partial<PriorityCollection>, number | null, boolean][] = [
    ["test_low rnv=10", named(10), {}, 10, false],
    ["test_submit1 rnv=256", named(256), {}, 256, true],
    ["test_submit_no_resolution", named(256, { resolved: null }), {}, null, false],
    [
      "test_skipped_resolution",
      named(256, { resolved: null, skip_resolution: true }),
      {},
      256,
      true,
    ],
    ["test_load rnv=30000 (load is checked later)", named(30000), {}, 30000, true],
    ["test_running1 rnv=30000 running", named(30000, running), {}, null, false],
    ["test_running2 eclipse=100", named(100), {}, 100, false],
    ["test_running2/3 rnv=300 running", named(300, running), {}, null, false],
    ["test_running3 eclipse=280", named(280), {}, 280, true],
    ["test_multiple rnv=300", named(300), {}, 300, true],
    ["test_builds eclipse=100 with running 2nd build", named(100, running), {}, null, false],
    ["test_state1 rnv=300 unresolved", named(300, { resolved: false }), {}, null, false],
    ["test_state2 rnv=300 untracked", named(300, { tracked: false }), {}, null, false],
    [
      "test_broken_buildroot",
      named(256, { resolved: null }),
      { latest_repo_resolved: false },
      null,
      false,
    ],
    ["test_buildroot_not_yet_resolved", named(256), { latest_repo_resolved: null }, null, false],
  ];
  for (const [name, pkg, collectionChange, expected, submitted] of cases) {
    test(name, () => {
      const actual = currentPriority(pkg, { ...f25, ...collectionChange }, recent, testConfig, now);
      if (expected === null) assert.equal(actual, null);
      else assertClose(actual, expected, name);
      assert.equal(meetsBuildThreshold(actual, testConfig), submitted);
    });
  }
});

describe("dependency priority", () => {
  test("test_repo_generation: two changes at distance 2 with package_update 20 → 20", () => {
    assert.equal(dependencyPriority([2, 2], testConfig), 20);
  });

  test("changes without distance weigh 1/8; the sum is truncated", () => {
    assert.equal(dependencyPriority([null], DEFAULT_PRIORITY_CONFIG), 32);
    assert.equal(dependencyPriority([1, null, 3], testConfig), 29); // 20 + 2.5 + 6.67
    assert.equal(dependencyPriority([], testConfig), 0);
  });
});

describe("build priority after a build finishes", () => {
  const cases: [string, number, number | null, number][] = [
    ["test_update_state_failed: complete → failed", 5, 3, 200],
    ["test_update_state_already_failing: failed → failed", 5, 5, 0],
    ["test_update_state: failed → complete", 3, 5, 0],
    ["first build fails", 5, null, 200],
    ["first build completes", 3, null, 0],
  ];
  for (const [name, finished, previous, expected] of cases) {
    test(name, () => {
      assert.equal(buildPriorityAfterFinish(finished, previous, DEFAULT_PRIORITY_CONFIG), expected);
    });
  }
});

describe("priority SQL", () => {
  test("embeds the curve constants and the aliases", () => {
    const sql = currentPrioritySql(DEFAULT_PRIORITY_CONFIG, "$1", {
      package: "p",
      collection: "c",
      lastBuild: "lb",
    });
    assert.match(sql, /CAST\(176\.8984412590\d* AS double precision\)/);
    assert.match(sql, /CAST\(-137\.6537432566\d* AS double precision\)/);
    assert.match(sql, /CAST\(\(\$1\) AS timestamp with time zone\) - lb\.started/);
    assert.match(sql, /\* c\.priority_coefficient/);
  });

  test("rejects aliases that are not plain identifiers and bad curves", () => {
    const aliases = { package: "p", collection: "c", lastBuild: "lb;" };
    assert.throws(() => currentPrioritySql(DEFAULT_PRIORITY_CONFIG, "$1", aliases), /identifier/);
    assert.throws(
      () => currentPrioritySql({ ...DEFAULT_PRIORITY_CONFIG, t0: 0 }, "$1"),
      /0 < t0 < t1/,
    );
  });
});
