import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  compareEvr,
  displayEvr,
  formatEvr,
  formatNevra,
  isNewerEvr,
  parseEvr,
  parseNevra,
  rpmvercmp,
  type Evr,
} from "@koschei/koji-protocol/evr.js";
import { loadRpmvercmpFixture, type VersionComparisonCase } from "./rpmvercmp-fixture.js";

const fixture = loadRpmvercmpFixture();

function assertAll(cases: readonly VersionComparisonCase[]): void {
  const wrong = cases
    .map((c) => ({ ...c, actual: rpmvercmp(c.a, c.b) }))
    .filter((c) => c.actual !== c.expected);
  assert.deepEqual(wrong, []);
}

describe("rpmvercmp", () => {
  test("agrees with all 91 cases of rpm's tests/rpmvercmp.at", () => {
    assert.equal(fixture.cases.length, 91);
    assertAll(fixture.cases);
  });

  test("agrees with the oddities rpmvercmp.at documents in comments", () => {
    assertAll(fixture.oddities);
  });

  test("agrees with rpm itself on generated pairs", () => {
    assert.ok(fixture.generated.length >= 400);
    assertAll(fixture.generated);
  });

  test("is antisymmetric on every fixture pair", () => {
    for (const { a, b } of [...fixture.cases, ...fixture.generated]) {
      assert.equal(rpmvercmp(b, a), -rpmvercmp(a, b) || 0, `${a} vs ${b}`);
    }
  });

  test("compares numbers longer than any machine integer by value", () => {
    assert.equal(rpmvercmp("123456789012345678901234567890", "123456789012345678901234567891"), -1);
    assert.equal(rpmvercmp("000000000000000000000000000001", "1"), 0);
  });

  test("treats empty strings and separator-only strings as equal, and older than a segment", () => {
    assert.equal(rpmvercmp("", "."), 0);
    assert.equal(rpmvercmp("", "0"), -1);
    assert.equal(rpmvercmp("", "~"), 1);
    assert.equal(rpmvercmp("", "^"), -1);
  });

  test("compares letters bytewise, upper case before lower case", () => {
    assert.equal(rpmvercmp("1.A", "1.a"), -1);
    assert.equal(rpmvercmp("1.Z", "1.a"), -1);
  });
});

describe("compareEvr", () => {
  const evr = (epoch: number | null, version: string, release: string | null): Evr => ({
    epoch,
    version,
    release,
  });

  const cases: [string, Evr, Evr, -1 | 0 | 1][] = [
    ["test_rpmevr_comparison", evr(0, "1.1", "11.fc26"), evr(null, "1.1", "8.fc26"), 1],
    ["null epoch equals epoch 0", evr(null, "1.0", "1"), evr(0, "1.0", "1"), 0],
    ["epoch wins over version", evr(1, "1.0", "1"), evr(null, "2.0", "1"), 1],
    ["epochs compare numerically", evr(10, "1", "1"), evr(9, "1", "1"), 1],
    ["version wins over release", evr(null, "1.10", "1"), evr(null, "1.9", "99"), 1],
    ["release decides last", evr(null, "1.0", "2.fc29"), evr(null, "1.0", "10.fc29"), -1],
    ["absent release is older", evr(null, "1.0", null), evr(null, "1.0", "1"), -1],
    ["absent release is older than empty", evr(null, "1.0", null), evr(null, "1.0", ""), -1],
    ["two absent releases are equal", evr(null, "1.0", null), evr(null, "1.0", null), 0],
    ["tilde release is older than empty", evr(null, "1.0", "~"), evr(null, "1.0", ""), -1],
  ];
  for (const [name, a, b, expected] of cases) {
    test(name, () => {
      assert.equal(compareEvr(a, b), expected);
      assert.equal(compareEvr(b, a), -expected || 0);
    });
  }

  test("isNewerEvr: anything is newer than nothing, nothing is never newer", () => {
    const some = evr(null, "1", "1");
    assert.equal(isNewerEvr(null, some), true);
    assert.equal(isNewerEvr(null, null), true);
    assert.equal(isNewerEvr(some, null), false);
    assert.equal(isNewerEvr(some, evr(null, "1", "2")), true);
    assert.equal(isNewerEvr(some, some), false);
    assert.equal(isNewerEvr(evr(null, "1", "2"), some), false);
  });
});

describe("EVR strings", () => {
  const parsed: [string, Evr][] = [
    ["1.0", { epoch: null, version: "1.0", release: null }],
    ["1.0-1.fc29", { epoch: null, version: "1.0", release: "1.fc29" }],
    ["2:1.0-1", { epoch: 2, version: "1.0", release: "1" }],
    ["0:1.0-1", { epoch: 0, version: "1.0", release: "1" }],
    [":1.0-1", { epoch: 0, version: "1.0", release: "1" }],
    ["1.0-1-2", { epoch: null, version: "1.0-1", release: "2" }],
    ["1.0-", { epoch: null, version: "1.0", release: "" }],
    ["a:1.0", { epoch: null, version: "a:1.0", release: null }],
    ["1:2:3-4", { epoch: 1, version: "2:3", release: "4" }],
  ];
  for (const [text, expected] of parsed) {
    test(`parses ${JSON.stringify(text)} as rpm does`, () => {
      assert.deepEqual(parseEvr(text), expected);
    });
  }

  test("rejects an empty version and an epoch rpm cannot store", () => {
    assert.throws(() => parseEvr(""), /invalid EVR "": empty version/);
    assert.throws(() => parseEvr("1:-1"), /empty version/);
    assert.throws(() => parseEvr("2147483648:1-1"), /epoch out of range/);
    assert.equal(parseEvr("2147483647:1-1").epoch, 2147483647);
  });

  test("formats with the epoch only when it is not zero", () => {
    assert.equal(formatEvr({ epoch: 2, version: "1.0", release: "1" }), "2:1.0-1");
    assert.equal(formatEvr({ epoch: 0, version: "1.0", release: "1" }), "1.0-1");
    assert.equal(formatEvr({ epoch: null, version: "1.0", release: null }), "1.0");
    for (const text of ["2:1.0-1", "1.0-1.fc29", "1.0", "1.0-"]) {
      assert.equal(formatEvr(parseEvr(text)), text);
    }
  });

  test("display shortens releases longer than 16 characters", () => {
    const release16 = "1234567890123456";
    assert.equal(displayEvr({ epoch: null, version: "1", release: release16 }), `1-${release16}`);
    assert.equal(
      displayEvr({ epoch: 1, version: "1", release: "0.1.20180101git0123abc.fc29" }),
      "1:1-0.1.20180101g...",
    );
  });
});

describe("NEVRA strings", () => {
  test("parses names containing hyphens and an optional epoch", () => {
    assert.deepEqual(parseNevra("rnv-1.7.11-15.fc28.src"), {
      name: "rnv",
      epoch: null,
      version: "1.7.11",
      release: "15.fc28",
      arch: "src",
    });
    assert.deepEqual(parseNevra("python3-rpm-macros-1:3-2.fc29.noarch"), {
      name: "python3-rpm-macros",
      epoch: 1,
      version: "3",
      release: "2.fc29",
      arch: "noarch",
    });
  });

  test("round-trips through formatNevra", () => {
    for (const text of ["rnv-1.7.11-15.fc28.src", "foo-bar-2:1.0-1.x86_64"]) {
      assert.equal(formatNevra(parseNevra(text)), text);
    }
  });

  for (const [text, why] of [
    ["rnv-1.7.11-15", "expected name-version-release.arch"],
    ["rnv", "no architecture"],
    ["1.0-1.x86_64", "expected name-version-release.arch"],
    ["-1.0-1.x86_64", "empty name"],
    ["rnv-1.0-.x86_64", "empty release"],
    ["rnv-1.0-1.", "empty architecture"],
  ] as const) {
    test(`rejects ${JSON.stringify(text)}: ${why}`, () => {
      assert.throws(() => parseNevra(text), { message: `invalid NEVRA "${text}": ${why}` });
    });
  }
});
