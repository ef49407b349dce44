import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  dependencyChanges,
  nevraKey,
  sameNevra,
  type DistancedNevra,
  type Nevra,
} from "../../src/model/dependency-changes.js";
import { needsResolutionChange } from "../../src/model/resolution-history.js";

const dep = (name: string, evr: string, arch = "x86_64", distance: number | null = null) => {
  const [epoch, rest] = evr.split(":") as [string, string];
  const [version, release] = rest.split("-") as [string, string];
  return { name, epoch: Number(epoch), version, release, arch, distance };
};

// Spec 06 §3: the old build's dependencies had C at 1:2 and no E.
const FOO_DEPS: DistancedNevra[] = [
  dep("A", "0:1-1.fc22", "x86_64", 1),
  dep("B", "0:4.1-2.fc22", "noarch", 2),
  dep("C", "1:3-1.fc22", "x86_64", 2),
  dep("D", "2:8.b-1.rc1.fc22", "x86_64", 3),
  dep("E", "0:0.1-1.fc22.1", "noarch", 2),
  dep("F", "0:1-1.fc22", "noarch", 1),
  dep("R", "0:3.3-2.fc22", "x86_64", null),
];
const OLD_DEPS: Nevra[] = FOO_DEPS.filter((d) => d.name !== "E").map((d) =>
  d.name === "C" ? { ...d, version: "2" } : d,
);

describe("dependencyChanges", () => {
  test("an upgrade is one change with both sides, a new dependency one without prev", () => {
    assert.deepEqual(dependencyChanges(OLD_DEPS, FOO_DEPS), [
      {
        name: "C",
        prev: dep("C", "1:2-1.fc22", "x86_64", 2),
        curr: dep("C", "1:3-1.fc22", "x86_64", 2),
        distance: 2,
      },
      { name: "E", prev: null, curr: dep("E", "0:0.1-1.fc22.1", "noarch", 2), distance: 2 },
    ]);
  });

  test("a removed dependency has no current side and no distance", () => {
    const withoutD = FOO_DEPS.filter((d) => d.name !== "D");
    assert.deepEqual(dependencyChanges(FOO_DEPS, withoutD), [
      { name: "D", prev: FOO_DEPS[3], curr: null, distance: null },
    ]);
  });

  test("an arch change of the same EVR is a change", () => {
    const noarchA = FOO_DEPS.map((d) => (d.name === "A" ? { ...d, arch: "noarch" } : d));
    assert.deepEqual(dependencyChanges(FOO_DEPS, noarchA), [
      { name: "A", prev: FOO_DEPS[0], curr: noarchA[0], distance: 1 },
    ]);
  });

  test("epoch NULL and epoch 0 are different dependencies", () => {
    const nullEpoch = FOO_DEPS.map((d) => (d.name === "B" ? { ...d, epoch: null } : d));
    assert.notEqual(nevraKey(FOO_DEPS[1]!), nevraKey(nullEpoch[1]!));
    assert.equal(dependencyChanges(nullEpoch, FOO_DEPS).length, 1);
  });

  test("epoch NULL and epoch 0 are different NEVRAs for sameNevra too", () => {
    const nullEpoch = { ...FOO_DEPS[1]!, epoch: null };
    assert.equal(sameNevra(FOO_DEPS[1]!, { ...FOO_DEPS[1]! }), true);
    assert.equal(sameNevra(FOO_DEPS[1]!, nullEpoch), false);
    assert.equal(nevraKey(FOO_DEPS[1]!), nevraKey({ ...FOO_DEPS[1]! }));
  });

  test("the same set in another order gives no change", () => {
    assert.deepEqual(dependencyChanges(FOO_DEPS, [...FOO_DEPS].reverse()), []);
    assert.equal(dependencyChanges([...OLD_DEPS].reverse(), FOO_DEPS).length, 2);
  });

  test("multilib: entries of one name are compared as a set, the later change wins", () => {
    const i686 = FOO_DEPS.map((d) => ({ ...d, arch: "i686" }));
    const both = [...FOO_DEPS, ...i686];
    assert.deepEqual(dependencyChanges(both, [...i686, ...FOO_DEPS]), []);
    const newerI686 = i686.map((d) => (d.name === "A" ? { ...d, release: "2.fc22" } : d));
    assert.deepEqual(dependencyChanges(both, [...FOO_DEPS, ...newerI686]), [
      { name: "A", prev: i686[0], curr: newerI686[0], distance: 1 },
    ]);
  });

  test("identical sets or an empty side give no change", () => {
    assert.deepEqual(dependencyChanges(FOO_DEPS, FOO_DEPS), []);
    assert.deepEqual(dependencyChanges([], FOO_DEPS), []);
    assert.deepEqual(dependencyChanges(OLD_DEPS, []), []);
  });
});

describe("needsResolutionChange", () => {
  const problems = (...items: string[]) => new Set(items);

  test("a changed resolved flag is recorded, NULL before included", () => {
    const outcome = { prevResolved: null, resolved: true, problems: problems() };
    assert.equal(needsResolutionChange(outcome, null), true);
    const broken = { prevResolved: true, resolved: false, problems: problems("x") };
    assert.equal(needsResolutionChange(broken, problems("x")), true);
  });

  test("still resolved is not recorded", () => {
    assert.equal(
      needsResolutionChange({ prevResolved: true, resolved: true, problems: problems() }, null),
      false,
    );
  });

  test("still unresolved is recorded only when the problems differ from the last entry", () => {
    const outcome = { prevResolved: false, resolved: false, problems: problems("a", "b") };
    assert.equal(needsResolutionChange(outcome, problems("b", "a")), false);
    assert.equal(needsResolutionChange(outcome, problems("a")), true);
    assert.equal(needsResolutionChange(outcome, problems("a", "c")), true);
    assert.equal(needsResolutionChange(outcome, null), true);
  });
});
