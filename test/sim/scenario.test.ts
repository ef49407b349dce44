// Scenario files: defaults filled in by the loader, validation errors that name the JSON path,
// cross-reference checks, and the bundled demo scenario (loads from dist, is dependency-
// consistent, and every tracked package resolves with libsolv against its generated repo).

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { openPool } from "../../src/depsolve/pool.js";
import { unsatisfiedDependencies } from "@koschei/koji-sim/from-repo.js";
import { writeRepodata } from "@koschei/koji-sim/rpmmd.js";
import { readTextFileBounded } from "@koschei/koji-sim/bounded-read.js";
import {
  bundledScenarioPath,
  loadScenario,
  MAX_INHERITANCE_DEPTH,
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
        "startTime: expected an RFC 3339 date-time (YYYY-MM-DDThh:mm:ssZ)",
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
          file.hosts.push({ name: "builder", arches: ["x86_64"], channels: ["fast"] });
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

describe("limits", () => {
  test("a host builds something, on some arch, with some capacity", () => {
    assert.deepEqual(problemsOf(scenarioFile((file) => (file.hosts = []))), [
      "hosts: must not be empty",
    ]);
    assert.deepEqual(
      problemsOf(
        scenarioFile((file) => {
          file.hosts[0].arches = [];
          file.hosts[0].capacity = 0;
        }),
      ),
      ["hosts[0].arches: must not be empty", "hosts[0].capacity: must be more than 0"],
    );
  });

  test("times, durations, ids and epochs stay within what Koji and Date represent", () => {
    assert.deepEqual(
      problemsOf(
        scenarioFile((file) => {
          file.startTime = "+275760-09-13T00:00:00Z";
          file.defaultTaskDurationSeconds = 1e13;
          file.taskRules = [{ durationSeconds: -1 }];
          file.builds[0].id = 1e300;
          file.builds[0].epoch = 2 ** 31;
          file.builds[0].srpm.size = 2 ** 53;
        }),
      ),
      [
        "startTime: expected an RFC 3339 date-time (YYYY-MM-DDThh:mm:ssZ)",
        "builds[0].id: must be at most 2147483647",
        "builds[0].epoch: must be at most 2147483647",
        "builds[0].srpm.size: must be at most 9007199254740991",
        "taskRules[0].durationSeconds: must be at least 0",
        "defaultTaskDurationSeconds: must be at most 3155760000",
      ],
    );
  });

  test("property names of Object.prototype are unknown properties, not inherited ones", () => {
    const file = JSON.parse(
      '{"__proto__": {"name": "x"}, "constructor": 1, "toString": "x", "hasOwnProperty": true}',
    ) as Json;
    const scenario = scenarioFile() as Json;
    Object.assign(file, scenario);
    file.builds[0].rpms[0] = JSON.parse(
      '{"name": "foo", "arch": "x86_64", "__proto__": {"epoch": 1}, "valueOf": 2}',
    );
    assert.deepEqual(problemsOf(file), [
      "__proto__: unknown property",
      "constructor: unknown property",
      "toString: unknown property",
      "hasOwnProperty: unknown property",
      "builds[0].rpms[0].__proto__: unknown property",
      "builds[0].rpms[0].valueOf: unknown property",
    ]);
  });

  test("an operator named like an Object.prototype member is a malformed dependency", () => {
    assert.deepEqual(
      problemsOf(scenarioFile((file) => (file.builds[1].rpms[0].requires = ["foo constructor 1"]))),
      [
        'builds[1].rpms[0].requires[0]: malformed dependency "foo constructor 1" (expected "name [OP EVR]")',
      ],
    );
  });

  test("inheritance deeper than Koji's recursion limit is refused with the tag's path, not a stack overflow", () => {
    const chain = (length: number) =>
      scenarioFile((file) => {
        file.tags.push(
          ...Array.from({ length }, (_, i) => ({
            name: `t${i}`,
            parents: i === 0 ? [] : [`t${i - 1}`],
          })),
        );
      });
    assert.equal(
      parseScenario(chain(MAX_INHERITANCE_DEPTH)).tags.length,
      2 + MAX_INHERITANCE_DEPTH,
    );
    assert.deepEqual(problemsOf(chain(10_000)), [
      "tags[1002].parents: inheritance deeper than 1000 tags (1001: t1000 -> t999 -> t998 -> … -> t0)",
    ]);
  });
});

describe("input files are read with a size limit", () => {
  test("a file over the limit fails; one of exactly the limit is read", () => {
    const path = join(scratch, "eleven-bytes");
    writeFileSync(path, "0123456789\n");
    assert.equal(readTextFileBounded(path, 11), "0123456789\n");
    assert.throws(
      () => readTextFileBounded(path, 10),
      (error: Error) => error.message === `${path}: too large (more than 10 bytes)`,
    );
  });

  test("/dev/zero as a scenario fails at once as too large", () => {
    assert.throws(
      () => loadScenario("/dev/zero"),
      (error: Error) => error.message === "/dev/zero: too large (more than 256 MiB)",
    );
  });

  test("a FIFO that never ends fails as too large", async () => {
    const fifo = join(scratch, "endless.fifo");
    execFileSync("mkfifo", [fifo]);
    const writer = spawn("sh", ["-c", `exec cat /dev/zero > '${fifo}'`], { stdio: "ignore" });
    const exited = new Promise((resolve) => writer.once("exit", resolve));
    try {
      assert.throws(
        () => loadScenario(fifo),
        (error: Error) => error.message === `${fifo}: too large (more than 256 MiB)`,
      );
    } finally {
      writer.kill();
      await exited;
    }
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
