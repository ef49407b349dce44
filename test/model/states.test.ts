import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  BuildState,
  buildStateForKojiBuildState,
  buildStateForTaskState,
  buildStateString,
  collectionState,
  FINISHED_BUILD_STATES,
  messageState,
  packageMessageState,
  packageState,
  packageStateSql,
  type PackageState,
  type PackageStateInputs,
} from "../../src/model/states.js";
import {
  isKojiTaskStateName,
  KOJI_TASK_STATES,
  KojiBuildState,
  KojiTaskState,
  kojiTaskStateName,
  kojiTaskStateString,
} from "@koschei/koji-protocol/koji-states.js";

const healthy: PackageStateInputs = {
  blocked: false,
  tracked: true,
  resolved: true,
  last_complete_build_state: BuildState.complete,
};

describe("package state (PackageStateStringTest.test_state_string)", () => {
  const cases: [string, Partial<PackageStateInputs>, PackageState][] = [
    ["blocked", { blocked: true }, "blocked"],
    ["untracked", { tracked: false }, "untracked"],
    ["resolved false", { resolved: false }, "unresolved"],
    ["resolved true, last complete build complete", {}, "ok"],
    ["resolved true, last complete build failed", { last_complete_build_state: 5 }, "failing"],
    ["resolved NULL, no build", { resolved: null, last_complete_build_state: null }, "unknown"],
    ["resolved true, no build", { last_complete_build_state: null }, "unknown"],
    // Precedence of the rules, first match wins.
    ["blocked beats untracked", { blocked: true, tracked: false }, "blocked"],
    ["untracked beats unresolved", { tracked: false, resolved: false }, "untracked"],
    ["unresolved beats failing", { resolved: false, last_complete_build_state: 5 }, "unresolved"],
    ["not yet resolved still shows the build", { resolved: null }, "ok"],
  ];
  for (const [name, change, expected] of cases) {
    test(name, () => {
      assert.equal(packageState({ ...healthy, ...change }), expected);
    });
  }

  test("messages carry ok, failing and unresolved; everything else is ignored", () => {
    const expected: Record<PackageState, string> = {
      blocked: "ignored",
      untracked: "ignored",
      unresolved: "unresolved",
      ok: "ok",
      failing: "failing",
      unknown: "ignored",
    };
    for (const [state, message] of Object.entries(expected)) {
      assert.equal(messageState(state as PackageState), message);
    }
    assert.equal(packageMessageState({ ...healthy, blocked: true }), "ignored");
    assert.equal(packageMessageState({ ...healthy, last_complete_build_state: 5 }), "failing");
  });

  test("the SQL form refers to the given alias and rejects anything but an identifier", () => {
    assert.match(packageStateSql("p"), /WHEN p\.blocked THEN 'blocked'/);
    assert.match(packageStateSql(), /WHEN package\.blocked/);
    assert.throws(() => packageStateSql("p; DROP TABLE x"), /not a plain SQL identifier/);
  });
});

describe("collection state", () => {
  test("follows latest_repo_resolved", () => {
    assert.equal(collectionState(true), "ok");
    assert.equal(collectionState(false), "unresolved");
    assert.equal(collectionState(null), "unknown");
  });
});

describe("build states", () => {
  test("codes and strings", () => {
    assert.deepEqual(BuildState, { running: 2, complete: 3, failed: 5 });
    assert.deepEqual(FINISHED_BUILD_STATES, [3, 5]);
    assert.equal(buildStateString(2), "running");
    assert.equal(buildStateString(3), "complete");
    assert.equal(buildStateString(5), "failed");
    assert.throws(() => buildStateString(4), /unknown build state 4/);
  });

  test("Koji task states map to final build states", () => {
    const finals = KOJI_TASK_STATES.map((name) => [name, buildStateForTaskState(name)]);
    assert.deepEqual(finals, [
      ["FREE", null],
      ["OPEN", null],
      ["CLOSED", 3],
      ["CANCELED", null],
      ["ASSIGNED", null],
      ["FAILED", 5],
    ]);
  });

  test("Koji build states map to registered build states", () => {
    assert.equal(buildStateForKojiBuildState(KojiBuildState.COMPLETE), 3);
    assert.equal(buildStateForKojiBuildState(KojiBuildState.FAILED), 5);
    for (const code of [KojiBuildState.BUILDING, KojiBuildState.DELETED, KojiBuildState.CANCELED]) {
      assert.equal(buildStateForKojiBuildState(code), null);
    }
  });
});

describe("Koji task states", () => {
  test("numbers, names and strings", () => {
    assert.deepEqual(KojiTaskState, {
      FREE: 0,
      OPEN: 1,
      CLOSED: 2,
      CANCELED: 3,
      ASSIGNED: 4,
      FAILED: 5,
    });
    for (const [name, code] of Object.entries(KojiTaskState)) {
      assert.equal(kojiTaskStateName(code), name);
    }
    assert.deepEqual([0, 1, 2, 3, 4, 5].map(kojiTaskStateString), [
      "free",
      "open",
      "closed",
      "canceled",
      "assigned",
      "failed",
    ]);
    assert.throws(() => kojiTaskStateName(6), /unknown Koji task state 6/);
    assert.equal(isKojiTaskStateName("CLOSED"), true);
    assert.equal(isKojiTaskStateName("closed"), false);
  });
});
