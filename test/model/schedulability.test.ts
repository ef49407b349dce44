import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  isSchedulable,
  skipReasons,
  unschedulableSql,
  type SchedulingCollection,
  type SchedulingPackage,
  type SkipReasonCode,
} from "../../src/model/schedulability.js";

/** Tracked, resolved, with a complete last build: nothing keeps it from being scheduled. */
const schedulable: SchedulingPackage = {
  tracked: true,
  blocked: false,
  skip_resolution: false,
  resolved: true,
  last_build_id: 7,
  last_complete_build_id: 7,
  scheduler_skip_reason: null,
};
const rawhide: SchedulingCollection = {
  display_name: "Fedora Rawhide",
  latest_repo_resolved: true,
};

describe("skip reasons", () => {
  test("none for a schedulable package", () => {
    assert.deepEqual(skipReasons(schedulable, rawhide), []);
    assert.equal(isSchedulable(schedulable, rawhide), true);
  });

  const cases: [
    string,
    Partial<SchedulingPackage>,
    Partial<SchedulingCollection>,
    SkipReasonCode[],
    string[],
    boolean,
  ][] = [
    [
      "scheduler found no SRPM (and dropped the build pointers)",
      {
        scheduler_skip_reason: 1,
        resolved: null,
        last_build_id: null,
        last_complete_build_id: null,
      },
      {},
      ["no-srpm", "not-resolved-yet", "no-build"],
      [
        "No suitable SRPM was found",
        "Package dependencies were not resolved yet",
        "Package has no known build",
      ],
      false,
    ],
    [
      "scheduler found no allowed arch: still considered on the next pass",
      { scheduler_skip_reason: 2 },
      {},
      ["no-allowed-arch"],
      ["No build architecture allowed for SRPM"],
      true,
    ],
    ["untracked", { tracked: false }, {}, ["untracked"], ["Package is not tracked"], false],
    ["blocked", { blocked: true }, {}, ["blocked"], ["Package is blocked in koji"], false],
    [
      "newer running build",
      { last_build_id: 8 },
      {},
      ["running-build"],
      ["Package has a running build"],
      false,
    ],
    [
      "only build is running",
      { last_build_id: 8, last_complete_build_id: null },
      {},
      ["running-build"],
      ["Package has a running build"],
      false,
    ],
    [
      "unresolvable dependencies",
      { resolved: false },
      {},
      ["unresolvable"],
      ["Package dependencies are not resolvable"],
      false,
    ],
    [
      "resolution not attempted",
      { resolved: null },
      {},
      ["not-resolved-yet"],
      ["Package dependencies were not resolved yet"],
      false,
    ],
    ["resolution skipped", { resolved: null, skip_resolution: true }, {}, [], [], true],
    [
      "no build at all",
      { last_build_id: null, last_complete_build_id: null },
      {},
      ["no-build"],
      ["Package has no known build"],
      false,
    ],
    [
      "base buildroot broken",
      {},
      { latest_repo_resolved: false },
      ["buildroot-unresolvable"],
      ["Base buildroot for Fedora Rawhide is not resolvable"],
      false,
    ],
    [
      "base buildroot not resolved yet",
      {},
      { latest_repo_resolved: null },
      ["buildroot-not-resolved-yet"],
      ["Base buildroot for Fedora Rawhide was not resolved yet"],
      false,
    ],
    [
      "several at once, in page order",
      { tracked: false, blocked: true, resolved: false, scheduler_skip_reason: 2 },
      { latest_repo_resolved: null },
      ["no-allowed-arch", "untracked", "blocked", "unresolvable", "buildroot-not-resolved-yet"],
      [
        "No build architecture allowed for SRPM",
        "Package is not tracked",
        "Package is blocked in koji",
        "Package dependencies are not resolvable",
        "Base buildroot for Fedora Rawhide was not resolved yet",
      ],
      false,
    ],
  ];
  for (const [name, pkgChange, collectionChange, codes, messages, schedulable_] of cases) {
    test(name, () => {
      const pkg = { ...schedulable, ...pkgChange };
      const collection = { ...rawhide, ...collectionChange };
      const reasons = skipReasons(pkg, collection);
      assert.deepEqual(
        reasons.map((r) => r.code),
        codes,
      );
      assert.deepEqual(
        reasons.map((r) => r.message),
        messages,
      );
      assert.equal(isSchedulable(pkg, collection), schedulable_);
    });
  }
});

describe("unschedulable SQL", () => {
  test("uses the given aliases, each condition NULL-safe", () => {
    const sql = unschedulableSql({ package: "p", collection: "c", lastBuild: "lb" });
    assert.match(sql, /\(NOT p\.tracked\)/);
    assert.match(sql, /p\.last_build_id IS DISTINCT FROM p\.last_complete_build_id/);
    assert.match(sql, /c\.latest_repo_resolved IS NULL/);
    assert.doesNotMatch(sql, /package\.|collection\./);
  });

  test("rejects aliases that are not plain identifiers", () => {
    assert.throws(
      () => unschedulableSql({ package: "p", collection: "c) OR (true", lastBuild: "lb" }),
      /not a plain SQL identifier/,
    );
  });
});
