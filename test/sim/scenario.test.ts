// Scenario files: defaults filled in by the loader, validation errors that name the JSON path,
// cross-reference checks, and the bundled demo scenario (loads from dist, is dependency-
// consistent, and every tracked package resolves with libsolv against its generated repo).

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { openPool } from "../../src/depsolve/pool.js";
import { unsatisfiedDependencies } from "@koschei/koji-sim/from-repo.js";
import { writeRepodata } from "@koschei/koji-sim/rpmmd.js";
import {
  bundledScenarioPath,
  loadScenario,
  parseScenario,
  ScenarioError,
  type Scenario,
} from "@koschei/koji-sim/scenario.js";

const scratch = mkdtempSync(join(tmpdir(), "koschei-scenario-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests edit the JSON freely
type Json = any;

/** A small valid scenario in file form; `change` edits it before parsing. */
function scenarioFile(change: (file: Json) => void = () => {}): unknown {
  const file: Json = {
    name: "small",
    startTime: "2025-01-01T00:00:00Z",
    hosts: [{ name: "builder", arches: ["x86_64"] }],
    tags: [{ name: "f99" }, { name: "f99-build", parents: ["f99"], arches: ["x86_64"] }],
    targets: [{ name: "f99", buildTag: "f99-build", destTag: "f99" }],
    builds: [
      {
        name: "foo",
        epoch: 1,
        version: "2.0",
        release: "3",
        owner: "alice",
        tags: ["f99"],
        srpm: { buildRequires: ["bar >= 2", "(baz or qux)"] },
        rpms: [
          { name: "foo", arch: "x86_64", requires: ["bar"] },
          { name: "foo-doc", arch: "noarch", version: "2.0.1", provides: ["foo-docs"] },
        ],
      },
      {
        name: "bar",
        version: "2",
        release: "1",
        tags: ["f99"],
        rpms: [{ name: "bar", arch: "noarch" }],
      },
    ],
  };
  change(file);
  return file;
}

function problemsOf(file: unknown): string[] {
  try {
    parseScenario(file, "small.json");
  } catch (error) {
    assert.ok(error instanceof ScenarioError, String(error));
    return error.problems;
  }
  assert.fail("the scenario was accepted");
}

describe("loading", () => {
  test("the loader fills every default in", () => {
    const scenario = parseScenario(scenarioFile());
    assert.equal(scenario.description, "");
    assert.equal(scenario.kojiVersion, "1.35.3");
    assert.deepEqual(scenario.channels, ["default", "createrepo"]);
    assert.equal(scenario.defaultTaskDurationSeconds, 1800);
    assert.deepEqual(scenario.taskRules, []);
    assert.deepEqual(scenario.hosts[0], {
      id: 1,
      name: "builder",
      arches: ["x86_64"],
      capacity: 2,
      taskLoad: 0,
      enabled: true,
      ready: true,
      channels: ["default", "createrepo"],
      description: null,
      comment: null,
    });
    assert.deepEqual(
      scenario.tags.map((tag) => [tag.id, tag.name, tag.perm, tag.locked, tag.groups]),
      [
        [1, "f99", null, false, []],
        [2, "f99-build", null, false, []],
      ],
    );
    assert.deepEqual(scenario.tags[0]!.packages, [
      { name: "foo", blocked: false, owner: "alice" },
      { name: "bar", blocked: false, owner: "kojiadmin" },
    ]);
    assert.deepEqual(scenario.tags[1]!.packages, []);
    assert.deepEqual(scenario.repos, [{ id: 1, tag: "f99-build" }]);
    assert.deepEqual(scenario.targets[0], {
      id: 1,
      name: "f99",
      buildTag: "f99-build",
      destTag: "f99",
    });
  });

  test("binary RPMs inherit the build's NEVR and get their self-provide", () => {
    const [foo, bar] = parseScenario(scenarioFile()).builds;
    assert.equal(foo!.id, 1);
    assert.deepEqual(foo!.srpm, {
      buildRequires: ["bar >= 2", "(baz or qux)"],
      buildArchs: [],
      exclusiveArch: [],
      excludeArch: [],
      size: 10000,
    });
    const [main, doc] = foo!.rpms;
    assert.deepEqual(
      [main!.epoch, main!.version, main!.release, main!.provides, main!.requires, main!.summary],
      [1, "2.0", "3", ["foo = 1:2.0-3"], ["bar"], "foo (simulated)"],
    );
    assert.deepEqual(doc!.provides, ["foo-doc = 1:2.0.1-3", "foo-docs"]);
    assert.deepEqual([doc!.files, doc!.conflicts, doc!.size], [[], [], 10000]);
    assert.equal(bar!.epoch, null);
    assert.deepEqual(bar!.rpms[0]!.provides, ["bar = 2-1"]);
  });

  test("ids given in the file are kept and the others fill the gaps", () => {
    const scenario = parseScenario(
      scenarioFile((file) => {
        file.tags[1].id = 1;
        file.builds[1].id = 7;
        file.repos = [{ tag: "f99-build" }, { tag: "f99-build", id: 1 }];
      }),
    );
    assert.deepEqual(
      scenario.tags.map((tag) => tag.id),
      [2, 1],
    );
    assert.deepEqual(
      scenario.builds.map((build) => build.id),
      [1, 7],
    );
    assert.deepEqual(
      scenario.repos.map((repo) => repo.id),
      [2, 1],
    );
  });

  test("loadScenario names the file when it cannot be read or parsed", () => {
    const missing = join(scratch, "missing.json");
    assert.throws(() => loadScenario(missing), /missing\.json: cannot read: ENOENT/);
    const broken = join(scratch, "broken.json");
    writeFileSync(broken, "{ not json");
    assert.throws(() => loadScenario(broken), /broken\.json: not JSON/);
    const invalid = join(scratch, "invalid.json");
    writeFileSync(
      invalid,
      JSON.stringify(scenarioFile((file) => (file.builds[0].rpms[0].arch = 5))),
    );
    assert.throws(
      () => loadScenario(invalid),
      /invalid\.json: builds\[0\]\.rpms\[0\]\.arch: expected a string, got 5$/,
    );
  });
});

describe("validation", () => {
  test("schema errors name the JSON path", () => {
    assert.deepEqual(
      problemsOf(
        scenarioFile((file) => {
          delete file.name;
          file.colour = "blue";
          file.startTime = "yesterday";
          file.hosts[0].capacity = "4";
          file.tags[0].groups = [
            { name: "build", packages: [{ package: "gcc", type: "required" }] },
          ];
          file.builds[1].epoch = 1.5;
          file.builds[0].rpms[1].files = ["relative/path"];
          file.builds[0].srpm.buildRequires = "gcc";
        }),
      ),
      [
        'missing property "name"',
        "colour: unknown property",
        "startTime: expected an ISO 8601 date-time",
        'hosts[0].capacity: expected a number, got "4"',
        'tags[0].groups[0].packages[0].type: expected one of "mandatory", "default", "optional", "conditional"',
        'builds[0].srpm.buildRequires: expected an array, got "gcc"',
        "builds[0].rpms[1].files[0]: must match ^/",
        "builds[1].epoch: expected an integer or null, got 1.5",
      ],
    );
  });

  test("the error message shows the first problem and counts the others", () => {
    const file = scenarioFile((f) => {
      f.hosts[0].arches = "x86_64";
      f.targets[0].buildTag = 3;
    });
    assert.throws(
      () => parseScenario(file, "small.json"),
      (error: Error) =>
        error.message ===
        'small.json: hosts[0].arches: expected an array, got "x86_64" (and 1 more problems)',
    );
  });

  test("references, duplicates, cycles and dependency strings are checked", () => {
    assert.deepEqual(
      problemsOf(
        scenarioFile((file) => {
          file.hosts.push({ name: "builder", arches: [], channels: ["fast"] });
          file.tags[0].parents = ["f99-build"];
          file.tags.push({ name: "orphan", parents: ["nowhere"] });
          file.targets.push({ name: "f98", buildTag: "f98-build", destTag: "f99" });
          file.builds.push({ name: "bar", version: "2", release: "1", tags: ["f98"] });
          file.builds[0].rpms.push({ name: "foo", arch: "x86_64" }, { name: "foo", arch: "src" });
          file.builds[0].rpms[1].requires = ["foo >="];
          file.taskRules = [{ repoHas: "(foo or" }];
        }),
      ),
      [
        "hosts[1]: same name as hosts[0] (builder)",
        "builds[2]: same NVR as builds[1] (bar-2-1)",
        "builds[0].rpms[2]: same NVRA as builds[0].rpms[0] (foo-2.0-3.x86_64)",
        'hosts[1].channels[0]: no channel named "fast"',
        'tags[2].parents[0]: no tag named "nowhere"',
        "tags: inheritance cycle f99 -> f99-build -> f99",
        'targets[1].buildTag: no tag named "f98-build"',
        'repos[1].tag: no tag named "f98-build"',
        'builds[0].rpms[1].requires[0]: malformed dependency "foo >=" (expected "name [OP EVR]")',
        "builds[0].rpms[3].arch: the SRPM is implied, list binary RPMs only",
        'builds[2].tags[0]: no tag named "f98"',
        'taskRules[0].repoHas: unbalanced parentheses in "(foo or"',
      ],
    );
  });
});

describe("the bundled demo scenario", () => {
  const demo: Scenario = loadScenario();

  test("is found from dist and stays small", () => {
    assert.equal(demo.name, "demo");
    assert.ok(statSync(bundledScenarioPath()).size < 5 * 1024 * 1024);
    const tracked = demo.builds.filter((build) => build.tags.includes("f99"));
    assert.equal(tracked.length, 300);
  });

  test("every binary Requires and every tracked BuildRequires is satisfied", () => {
    assert.deepEqual(unsatisfiedDependencies(demo), []);
  });

  test("every tracked package resolves with libsolv against the build tag's repo", async () => {
    const names = demo.builds.map((build) => build.name);
    assert.equal(new Set(names).size, names.length, "one build per package: all are latest");
    const dir = join(scratch, "demo-repo");
    const packages = demo.builds.flatMap((build) =>
      build.rpms.map((rpm) => ({
        rpm,
        sourceRpm: `${build.name}-${build.version}-${build.release}.src.rpm`,
        location: `${rpm.name}-${rpm.version}-${rpm.release}.${rpm.arch}.rpm`,
      })),
    );
    const buildTag = demo.tags.find((tag) => tag.name === "f99-build")!;
    await writeRepodata(dir, packages, { timestamp: 1, groups: buildTag.groups });
    const pool = openPool({ repos: [dir] });
    try {
      const buildGroup = buildTag.groups[0]!.packages.map((member) => member.package);
      assert.deepEqual(
        new Set(pool.compsGroups.build),
        new Set(buildGroup),
        "comps.xml as libsolv reads it",
      );
      const unresolved = demo.builds
        .filter((build) => build.tags.includes("f99"))
        .filter((build) => !pool.resolve(build.srpm.buildRequires, buildGroup).resolved)
        .map((build) => build.name);
      assert.deepEqual(unresolved, []);
    } finally {
      pool.close();
    }
  });
});
