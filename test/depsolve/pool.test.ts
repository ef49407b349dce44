// The libsolv addon through its typed wrapper, against the shared edge-case repository.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openPool, type DepsolvePool, type Resolution } from "../../src/depsolve/pool.js";
import { depsolveError } from "./depsolve-error.js";
import {
  assertSameProblems,
  EDGE_REPO,
  edgeBuildGroup,
  edgeExpected,
  edgeSource,
  edgeSources,
} from "./edge-cases.js";

let pool: DepsolvePool;

before(() => {
  pool = openPool({ arch: "x86_64", repos: [EDGE_REPO] });
});

after(() => pool.close());

function resolveEdge(name: string): Resolution {
  const source = edgeSource(name);
  return pool.resolve(source.buildrequires, source.group ?? edgeBuildGroup, source);
}

function distances(resolution: Resolution): Record<string, number | null> {
  return Object.fromEntries((resolution.installs ?? []).map((i) => [i.name, i.distance]));
}

describe("every edge case resolves as expected", () => {
  edgeSources.forEach((source, index) => {
    const expected = edgeExpected[index]!;
    test(source.name, () => {
      assert.equal(expected.name, source.name);
      const resolution = resolveEdge(source.name);
      assert.equal(resolution.resolved, expected.resolved);
      assert.deepEqual(resolution.installs, expected.installs);
      assertSameProblems(resolution.problems, expected.problems);
    });
  });
});

describe("problems", () => {
  test("an unknown name is a problem naming it and the synthetic source package", () => {
    const resolution = resolveEdge("edge-unknown-name");
    assert.equal(resolution.resolved, false);
    assert.equal(resolution.installs, null);
    assert.deepEqual(resolution.problems, [
      "Problem: nothing provides e-totally-unknown needed by " +
        "@builddeps(edge-unknown-name)-1.0-1.noarch",
    ]);
  });

  test("a file nobody has is a problem", () => {
    assert.deepEqual(resolveEdge("edge-file-missing").problems, [
      "Problem: nothing provides /usr/bin/e-nonexistent needed by " +
        "@builddeps(edge-file-missing)-1.0-1.noarch",
    ]);
  });

  test("an unsatisfiable rich BuildRequire is a problem, even beside satisfiable ones", () => {
    assert.deepEqual(resolveEdge("edge-rich-br-unsatisfiable-plus-real").problems, [
      "Problem: nothing provides (e-nonexist1 or e-nonexist2) needed by " +
        "@builddeps(edge-rich-br-unsatisfiable-plus-real)-1.0-1.noarch",
    ]);
  });

  test("a conflict lists every rule involved: the conflict first, then the requires by text", () => {
    const requires = (name: string) =>
      `package @builddeps(edge-conflict)-1.0-1.noarch requires ${name}, ` +
      "but none of the providers can be installed";
    assert.deepEqual(resolveEdge("edge-conflict").problems, [
      "Problem: package e-conflict-a-1-1.noarch conflicts with e-conflict-b provided by " +
        "e-conflict-b-1-1.noarch" +
        `\n - ${requires("e-conflict-a")}` +
        `\n - ${requires("e-conflict-b")}`,
    ]);
  });

  test("a broken build group member is a problem, a missing one is skipped", () => {
    const broken = resolveEdge("edge-broken-build-group");
    assert.deepEqual(broken.problems, [
      "Problem: nothing provides e-libmissing needed by e-broken-member-1-1.noarch",
    ]);
    const resolution = pool.resolve(["e-lib"], ["e-bash", "e-no-such-member"]);
    assert.equal(resolution.resolved, true);
  });

  test("an unparsable BuildRequire is a problem", () => {
    const resolution = pool.resolve(["e-lib >= "], []);
    assert.equal(resolution.resolved, false);
    assert.deepEqual(resolution.problems, ["Problem: cannot parse the dependency 'e-lib >= '"]);
  });

  test("the synthetic package carries the source's epoch", () => {
    const source = { name: "withepoch", epoch: 3, version: "1", release: "2" };
    assert.deepEqual(pool.resolve(["e-nothing"], [], source).problems, [
      "Problem: nothing provides e-nothing needed by @builddeps(withepoch)-3:1-2.noarch",
    ]);
  });
});

describe("distances", () => {
  test("grow along the require chain and stop after 4", () => {
    assert.deepEqual(
      Object.entries(distances(resolveEdge("edge-distance-chain"))).filter(([name]) =>
        name.startsWith("e-chain"),
      ),
      [
        ["e-chain-1", 1],
        ["e-chain-2", 2],
        ["e-chain-3", 3],
        ["e-chain-4", 4],
        ["e-chain-5", null],
        ["e-chain-6", null],
      ],
    );
  });

  test("build-group-only packages have none; group members a BR needs have one", () => {
    const byName = distances(resolveEdge("edge-epoch-missing-in-dep"));
    assert.equal(byName["e-make"], 1);
    assert.equal(byName["e-glibc"], 2);
    assert.equal(byName["e-filesystem"], 3);
    assert.equal(byName["e-gcc"], null);
  });

  test("pre-requires count; the condition of a rich if does not", () => {
    assert.equal(distances(resolveEdge("edge-prerequires"))["e-filesystem"], 2);
    const ifElse = distances(resolveEdge("edge-rich-pkg-ifelse"));
    assert.equal(ifElse["e-plugin-x"], 2);
    assert.equal(ifElse["e-feature-x"], null);
  });

  test("weak dependencies are installed without a distance", () => {
    const byName = distances(resolveEdge("edge-weak-deps"));
    assert.equal(byName["e-recommended"], null);
    assert.equal(byName["e-supplementer"], null);
    assert.equal("e-suggested" in byName, false);
  });
});

test("ignoreWeakDeps leaves out recommended and supplementing packages", () => {
  const strict = openPool({ repos: [EDGE_REPO], ignoreWeakDeps: true });
  try {
    const names = strict.resolve(["e-weak"], []).installs!.map((i) => i.name);
    assert.deepEqual(names, ["e-weak"]);
  } finally {
    strict.close();
  }
});

test("comps groups of the repo are available", () => {
  assert.deepEqual(pool.compsGroups.build, edgeBuildGroup);
  assert.equal(pool.compsGroups["build-broken"]!.includes("e-broken-member"), true);
});

test("the result serialises as the resolve command prints it", () => {
  const resolution = resolveEdge("edge-isa-exact-evr");
  assert.deepEqual(JSON.parse(JSON.stringify(resolution)), {
    resolved: true,
    problems: [],
    installs: resolution.installs,
  });
});

test("another architecture sees other packages", () => {
  const aarch64 = openPool({ arch: "aarch64", repos: [EDGE_REPO] });
  try {
    assert.equal(aarch64.resolve(["e-aarch64only"], []).resolved, true);
    assert.equal(aarch64.resolve(["e-lib"], []).resolved, false);
  } finally {
    aarch64.close();
  }
});

test("a closed pool throws instead of crashing", () => {
  const closing = openPool({ repos: [EDGE_REPO] });
  closing.close();
  closing.close();
  assert.throws(
    () => closing.resolve(["e-lib"], []),
    depsolveError("POOL_CLOSED", /^the pool is closed$/),
  );
});

test("bad arguments are INVALID_ARGUMENT errors", () => {
  assert.throws(
    () => openPool({ arch: "vax", repos: [EDGE_REPO] }),
    depsolveError("INVALID_ARGUMENT", /^unknown architecture 'vax'$/),
  );
  assert.throws(
    () => openPool({ repos: [] }),
    depsolveError("INVALID_ARGUMENT", /^no repository given$/),
  );
  assert.throws(
    () => pool.resolve([42 as unknown as string], []),
    depsolveError("INVALID_ARGUMENT", /buildRequires must be an array of strings/),
  );
});

test("results do not depend on what the pool resolved before", () => {
  const resolveAll = (order: typeof edgeSources) => {
    const fresh = openPool({ repos: [EDGE_REPO] });
    const texts = new Map(
      order.map((s) => [
        s.name,
        JSON.stringify(fresh.resolve(s.buildrequires, s.group ?? edgeBuildGroup, s)),
      ]),
    );
    fresh.close();
    return edgeSources.map((s) => texts.get(s.name));
  };
  assert.deepEqual(resolveAll([...edgeSources].reverse()), resolveAll(edgeSources));
});

test("separate problems come sorted by text, whatever the pool resolved before", () => {
  const history = openPool({ repos: [EDGE_REPO] });
  const group = ["e-conflict-a", "e-conflict-b", "e-broken-member", "e-bash"];
  // Three problems: a missing BuildRequire, a broken group member, two conflicting members.
  const failing = (buildGroup: string[]) => history.resolve(["e-aaa-missing"], buildGroup).problems;
  const resolveEdges = (sources: typeof edgeSources) => {
    for (const s of sources) history.resolve(s.buildrequires, s.group ?? edgeBuildGroup, s);
  };
  try {
    const first = failing(group);
    assert.equal(first.length, 3);
    assert.deepEqual(first, [...first].sort());
    resolveEdges(edgeSources);
    assert.deepEqual(failing(group), first);
    resolveEdges([...edgeSources].reverse());
    assert.deepEqual(failing([...group].reverse()), first);
  } finally {
    history.close();
  }
});
