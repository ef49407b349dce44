// Scenario generation from an rpm-md repository + srpms.jsonl (the edge benchmark set): how
// binaries are given to builds, the dependency-closed sample, and `koschei sim-scenario` as a
// real child process.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import {
  defaultFromRepoOptions,
  parseRich,
  parseSourceRpm,
  readRepoSources,
  readSrpms,
  scenarioFromSources,
  unsatisfiedDependencies,
  type RepoSources,
} from "@koschei/koji-sim/from-repo.js";
import { loadScenario, parseScenario, type Scenario } from "@koschei/koji-sim/scenario.js";
import {
  EDGE_BUILD_GROUP_FILE,
  EDGE_REPO,
  EDGE_SRPMS,
  edgeExpected,
  edgeSources,
} from "../depsolve/edge-cases.js";

const BIN = fileURLToPath(new URL("../../../bin/koschei", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "koschei-from-repo-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

let edge: RepoSources;
before(async () => {
  edge = await readRepoSources({
    repoDir: EDGE_REPO,
    srpmsPath: EDGE_SRPMS,
    buildGroupPath: EDGE_BUILD_GROUP_FILE,
  });
});

function generate(options: Partial<typeof defaultFromRepoOptions> = {}, sources = edge): Scenario {
  const file = scenarioFromSources(sources, { ...defaultFromRepoOptions, ...options });
  return parseScenario(JSON.parse(JSON.stringify(file)), "generated");
}

describe("helpers", () => {
  test("source RPM file names split into name, version and release", () => {
    assert.deepEqual(parseSourceRpm("python-foo-bar-1.2~rc1-3.fc40.src.rpm"), {
      name: "python-foo-bar",
      version: "1.2~rc1",
      release: "3.fc40",
    });
    assert.equal(parseSourceRpm("foo.src.rpm"), null);
    assert.equal(parseSourceRpm(""), null);
  });

  test("rich dependencies parse into operator trees", () => {
    assert.equal(parseRich("foo >= 2"), "foo >= 2");
    assert.deepEqual(parseRich("(a >= 1 or (b and c < 2) or d)"), {
      operator: "or",
      operands: ["a >= 1", { operator: "and", operands: ["b", "c < 2"] }, "d"],
    });
    assert.deepEqual(parseRich("(a if b else c)"), { operator: "if", operands: ["a", "b", "c"] });
    assert.throws(() => parseRich("(a or b"), /unbalanced rich dependency/);
    assert.throws(() => parseRich("(a nor b)"), /unknown operator "nor"/);
  });
});

test("bad srpms.jsonl lines are named by file and line", async () => {
  const path = join(scratch, "bad-srpms.jsonl");
  const good = { name: "a", epoch: 0, version: "1", release: "1", buildrequires: [] };
  const cases: [unknown, RegExp][] = [
    ["{oops", /bad-srpms\.jsonl:2: not JSON/],
    [{ ...good, version: 1 }, /bad-srpms\.jsonl:2: needs string "name", "version" and "release"/],
    [{ ...good, buildrequires: "gcc" }, /:2: "buildrequires" must be an array of strings/],
    [{ ...good, epoch: "1" }, /:2: "epoch" must be a whole number or null/],
  ];
  for (const [line, error] of cases) {
    const text = typeof line === "string" ? line : JSON.stringify(line);
    writeFileSync(path, `${JSON.stringify(good)}\n${text}\n`);
    await assert.rejects(readSrpms(path), error);
  }
  writeFileSync(path, `${JSON.stringify(good)}\n\n`);
  assert.deepEqual(await readSrpms(path), [{ ...good, epoch: null }]);
});

describe("generation from the edge set", () => {
  test("every source becomes a build and every binary belongs to exactly one", () => {
    const scenario = generate();
    const names = scenario.builds.map((build) => build.name);
    for (const source of edgeSources) assert.ok(names.includes(source.name), source.name);
    const rpms = scenario.builds.flatMap((build) =>
      build.rpms.map((rpm) => `${rpm.name}.${rpm.arch}`),
    );
    assert.equal(rpms.length, edge.binaries.length);
    assert.deepEqual(
      new Set(rpms),
      new Set(edge.binaries.map(({ rpm }) => `${rpm.name}.${rpm.arch}`)),
    );
    // The edge binaries' sourcerpms name no source of srpms.jsonl: their builds come from it.
    const lib = scenario.builds.filter((build) => build.name === "e-lib");
    assert.deepEqual(
      lib.map((build) => [build.version, build.srpm.buildRequires, build.rpms.map((r) => r.name)]),
      [
        ["1.0", [], ["e-lib"]],
        ["2.0", [], ["e-lib"]],
      ],
      "older build tagged first, so that the newest is Koji's latest",
    );
    const plain = scenario.builds.find((build) => build.name === "edge-plain-best-version")!;
    assert.deepEqual([plain.srpm.buildRequires, plain.rpms, plain.epoch], [["e-lib"], [], null]);
  });

  test("tags, target, build group and hosts", () => {
    const scenario = generate({ target: "rawhide", hosts: 2 });
    assert.deepEqual(scenario.targets, [
      { id: 1, name: "rawhide", buildTag: "rawhide-build", destTag: "rawhide" },
    ]);
    const [dest, build] = scenario.tags;
    assert.deepEqual([dest!.name, dest!.parents], ["rawhide", []]);
    assert.deepEqual([build!.name, build!.parents], ["rawhide-build", ["rawhide"]]);
    assert.deepEqual(build!.arches, ["aarch64", "i686", "x86_64"]);
    assert.deepEqual(
      build!.groups[0]!.packages.map((member) => member.package),
      JSON.parse(JSON.stringify(edge.buildGroup)),
    );
    assert.deepEqual(
      scenario.hosts.map((host) => [host.name, host.arches]),
      [
        ["builder01.sim", ["aarch64", "i386", "x86_64"]],
        ["builder02.sim", ["aarch64", "i386", "x86_64"]],
      ],
    );
    assert.ok(scenario.builds.every((b) => b.tags.length === 1 && b.tags[0] === "rawhide"));
    const noarch = scenario.builds.find((b) => b.name === "e-tool")!;
    assert.deepEqual(noarch.srpm.buildArchs, ["noarch"]);
    const archful = scenario.builds.find((b) => b.name === "e-bash")!;
    assert.deepEqual(archful.srpm.buildArchs, []);
  });

  test("what the consistency check finds unsatisfied, libsolv finds unresolvable too", () => {
    const unsatisfied = unsatisfiedDependencies(generate());
    const sources = new Set(
      unsatisfied
        .filter((u) => u.of.endsWith(".src"))
        .map((u) => u.of.replace(/-1\.0-1\.src$/, "")),
    );
    assert.ok(sources.size >= 5, [...sources].join(" "));
    const unresolved = new Set(edgeExpected.filter((e) => !e.resolved).map((e) => e.name));
    for (const source of sources) assert.ok(unresolved.has(source), `${source} is unresolved`);
    assert.deepEqual(
      unsatisfied.filter((u) => !u.of.endsWith(".src")).map((u) => u.of),
      ["e-broken-1-1.noarch", "e-broken-alt-1-1.noarch", "e-broken-member-1-1.noarch"],
    );
  });
});

describe("dependency-closed sample", () => {
  const satisfiableGroup = () => ({
    ...edge,
    buildGroup: edge.buildGroup.filter((name) => name !== "e-missing-member"),
  });

  test("takes complete sources whose dependencies all close within the sample", () => {
    const scenario = generate({ limit: 12, seed: 7 }, satisfiableGroup());
    const complete = scenario.builds.filter((build) => build.tags.includes("f99"));
    assert.equal(complete.length, 12);
    assert.deepEqual(unsatisfiedDependencies(scenario), []);
    const names = new Set(scenario.builds.map((build) => build.name));
    for (const member of satisfiableGroup().buildGroup) assert.ok(names.has(member), member);
    assert.deepEqual(
      scenario.builds.filter((b) => b.tags.length !== 1).map((b) => b.name),
      [],
    );
  });

  test("is fixed by the seed", () => {
    const names = (seed: number) =>
      generate({ limit: 12, seed }, satisfiableGroup()).builds.map((b) => `${b.name}:${b.tags}`);
    assert.deepEqual(names(3), names(3));
    assert.notDeepEqual(names(3), names(4));
  });

  test("an unsatisfiable build group is an error", () => {
    assert.throws(() => generate({ limit: 5 }), /the build group cannot be satisfied/);
  });
});

describe("koschei sim-scenario", () => {
  const run = (...args: string[]) =>
    spawnSync(BIN, ["sim-scenario", ...args], { encoding: "utf8" });
  const edgeArgs = [
    "--repo",
    EDGE_REPO,
    "--srpms",
    EDGE_SRPMS,
    "--build-group",
    EDGE_BUILD_GROUP_FILE,
  ];

  test("writes a scenario file that loads", () => {
    const output = join(scratch, "edge.json");
    const rules = join(scratch, "rules.json");
    writeFileSync(rules, JSON.stringify([{ package: "edge-*", fail: true }]));
    const result = run(
      ...edgeArgs,
      "--name",
      "edge",
      "--task-rules",
      rules,
      "--task-duration",
      "60",
      "-o",
      output,
    );
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stderr,
      /edge\.json: \d+ builds \(\d+ in destination tags\), 62 binary RPMs\n$/,
    );
    const scenario = loadScenario(output);
    assert.equal(scenario.name, "edge");
    assert.equal(scenario.defaultTaskDurationSeconds, 60);
    assert.deepEqual(
      scenario.taskRules.map((rule) => [rule.package, rule.fail]),
      [["edge-*", true]],
    );
  });

  test("bad input is one line and a non-zero exit", () => {
    const missing = run("--srpms", EDGE_SRPMS);
    assert.equal(missing.status, 2);
    assert.equal(
      missing.stderr,
      "koschei sim-scenario: --repo is required (see 'koschei sim-scenario --help')\n",
    );
    const rules = join(scratch, "bad-rules.json");
    writeFileSync(rules, JSON.stringify([{ package: "x", fail: "yes" }]));
    const invalid = run(...edgeArgs, "--task-rules", rules);
    assert.equal(invalid.status, 1);
    assert.equal(
      invalid.stderr,
      'koschei sim-scenario: generated scenario: taskRules[0].fail: expected a boolean, got "yes"\n',
    );
    assert.equal(invalid.stdout, "");
  });

  test("task rules that are not JSON, or are endless, are named in the error", () => {
    const notJson = join(scratch, "rules.yaml");
    writeFileSync(notJson, "- package: x\n");
    const garbled = run(...edgeArgs, "--task-rules", notJson);
    assert.equal(garbled.status, 1);
    assert.equal(
      garbled.stderr,
      `koschei sim-scenario: ${notJson}: not JSON: No number after minus sign in JSON at position 1\n`,
    );
    const endless = run(...edgeArgs, "--task-rules", "/dev/zero");
    assert.equal(endless.status, 1);
    assert.equal(
      endless.stderr,
      "koschei sim-scenario: /dev/zero: too large (more than 256 MiB)\n",
    );
  });
});
