// The simulator at distribution scale: tagging costs the same whatever the size of the tag
// (so loading a scenario is linear), listTagged of a whole build tag examines each tagging once,
// a package's listTagged only that package's taggings, and a repo's metadata is generated once
// however many requests arrive at the same time. Work is counted, never timed.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { kwargs } from "@koschei/koji-protocol/xmlrpc.js";
import {
  checkNewBuild,
  parseScenario,
  type NewBuild,
  type Scenario,
} from "@koschei/koji-sim/scenario.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { SimState, type TagPackageEntry } from "@koschei/koji-sim/state.js";
import { rawCall } from "./hub-fixture.js";

/** Every package has three builds tagged into f99, the last (2.0-1) being the latest. */
const VERSIONS = ["1.0", "1.1", "2.0"];

function scaleScenario(packageCount: number): Scenario {
  const builds = [];
  for (const version of VERSIONS) {
    for (let i = 0; i < packageCount; i++) {
      const name = `pkg${i}`;
      builds.push({
        name,
        version,
        release: "1",
        tags: ["f99"],
        srpm: { buildRequires: [`pkg${(i + 1) % packageCount}-devel`] },
        rpms: [
          {
            name,
            arch: "x86_64",
            requires: [`pkg${(i + 7) % packageCount}`],
            files: [`/usr/bin/${name}`],
          },
          { name: `${name}-devel`, arch: "noarch", requires: [`${name} = ${version}-1`] },
        ],
      });
    }
  }
  return parseScenario(
    {
      name: `scale-${packageCount}`,
      startTime: "2025-01-01T00:00:00Z",
      hosts: [{ name: "builder", arches: ["x86_64"] }],
      tags: [
        { name: "f99" },
        {
          name: "f99-build",
          parents: ["f99"],
          arches: ["x86_64"],
          groups: [{ name: "build", packages: [{ package: "pkg0" }, { package: "pkg1" }] }],
        },
      ],
      targets: [{ name: "f99", buildTag: "f99-build", destTag: "f99" }],
      builds,
    },
    "scale",
  );
}

interface WorkCounts {
  /** Package-list lookups of one package (Map.get) and entries visited by whole-list passes. */
  packageLookups: number;
  packageEntriesVisited: number;
  /** Builds looked up by id: the taggings a query examined. */
  buildLookups: number;
}

/** A tag's package list that counts its lookups and the entries its iterations visit. */
class CountingPackageList extends Map<number, TagPackageEntry> {
  constructor(
    entries: Map<number, TagPackageEntry>,
    private readonly counts: WorkCounts,
  ) {
    super(entries);
  }

  override get(key: number): TagPackageEntry | undefined {
    this.counts.packageLookups++;
    return super.get(key);
  }

  override *entries(): MapIterator<[number, TagPackageEntry]> {
    for (const entry of super.entries()) {
      this.counts.packageEntriesVisited++;
      yield entry;
    }
  }

  override *keys(): MapIterator<number> {
    for (const [key] of this.entries()) yield key;
  }

  override *values(): MapIterator<TagPackageEntry> {
    for (const [, value] of this.entries()) yield value;
  }

  override [Symbol.iterator](): MapIterator<[number, TagPackageEntry]> {
    return this.entries();
  }

  override forEach(callback: (value: TagPackageEntry, key: number, map: this) => void): void {
    for (const [key, value] of this.entries()) callback(value, key, this);
  }
}

/** Counts from now on the work done on the state's tag package lists and build lookups. */
function countWork(state: SimState): WorkCounts {
  const counts: WorkCounts = { packageLookups: 0, packageEntriesVisited: 0, buildLookups: 0 };
  for (const tag of state.tags.values())
    tag.packages = new CountingPackageList(tag.packages, counts);
  const lookUp = state.builds.get.bind(state.builds);
  state.builds.get = (id) => {
    counts.buildLookups++;
    return lookUp(id);
  };
  return counts;
}

describe("tagging at scale", () => {
  test("tagging a build does the same work in a tag of 300 packages as in one of 1500", () => {
    const work = [300, 1500].map((packageCount) => {
      const state = new SimState(scaleScenario(packageCount));
      assert.equal(state.builds.size, 3 * packageCount);
      const counts = countWork(state);
      const f99 = state.tagByName("f99");
      const newcomer = {
        name: "newcomer",
        version: "1",
        release: "1",
        rpms: [{ name: "newcomer", arch: "noarch" }],
      };
      assert.deepEqual(checkNewBuild(newcomer, "build"), []);
      const build = state.addTaggedBuild(f99, newcomer as NewBuild);
      state.tagExistingBuild(state.tagByName("f99-build"), build, state.userByName("kojiadmin"));
      return counts;
    });
    assert.deepEqual(work[0], work[1]);
    assert.equal(work[0]!.packageEntriesVisited, 0, "no pass over the whole package list");
  });
});

describe("whole-tag queries at scale", () => {
  const packageCount = 1000;
  let sim: Simulator;
  let counts: WorkCounts;

  before(async () => {
    sim = await startSimulator({ listen: "127.0.0.1:0", scenario: scaleScenario(packageCount) });
    counts = countWork(sim.state);
  });

  after(async () => {
    await sim.close();
  });

  test("listTagged(latest) of the build tag examines each tagging once", async () => {
    counts.buildLookups = 0;
    const { value } = await rawCall(sim.hubUrl, "listTagged", [
      "f99-build",
      kwargs({ inherit: true, latest: true }),
    ]);
    const rows = value as { name: string; version: string; tag_name: string }[];
    assert.equal(rows.length, packageCount);
    assert.ok(rows.every((row) => row.version === "2.0" && row.tag_name === "f99"));
    assert.equal(new Set(rows.map((row) => row.name)).size, packageCount);
    assert.ok(
      counts.buildLookups <= VERSIONS.length * packageCount,
      `${counts.buildLookups} taggings examined`,
    );
    assert.ok(counts.packageEntriesVisited <= packageCount, "at most one package-list pass");
  });

  test("listTagged of one package examines only that package's taggings", async () => {
    counts.buildLookups = 0;
    const { value } = await rawCall(sim.hubUrl, "listTagged", [
      "f99-build",
      kwargs({ inherit: true, package: "pkg7" }),
    ]);
    const rows = value as { nvr: string }[];
    assert.deepEqual(
      rows.map((row) => row.nvr),
      ["pkg7-2.0-1", "pkg7-1.1-1", "pkg7-1.0-1"],
    );
    assert.ok(counts.buildLookups <= VERSIONS.length, `${counts.buildLookups} taggings examined`);
  });

  test("listPackages lists the inherited package list in one pass", async () => {
    counts.packageEntriesVisited = 0;
    const { value } = await rawCall(sim.hubUrl, "listPackages", [
      kwargs({ tagID: "f99-build", inherited: true }),
    ]);
    assert.equal((value as unknown[]).length, packageCount);
    assert.equal(counts.packageEntriesVisited, packageCount);
  });

  test("concurrent requests for a repo's metadata share one generation", async () => {
    let generations = 0;
    const repoRpms = sim.state.repoRpms.bind(sim.state);
    sim.state.repoRpms = (repo) => {
      generations++;
      return repoRpms(repo);
    };
    const base = `${sim.topurl}/repos/f99-build/latest/x86_64/repodata`;
    const names = ["repomd.xml", "primary.xml.gz", "filelists.xml.gz", "other.xml.gz"];
    const fetchAll = () =>
      Promise.all(
        names.map(async (name) => {
          const response = await fetch(`${base}/${name}`);
          assert.equal(response.status, 200, name);
          return Buffer.from(await response.arrayBuffer());
        }),
      );
    const [repomd, primary] = await fetchAll();
    assert.equal(generations, 1);
    await fetchAll();
    assert.equal(generations, 1, "served from the cache afterwards");

    // Every file comes from the same generation: repomd.xml has primary's checksum.
    const primarySum = createHash("sha256").update(primary!).digest("hex");
    assert.ok(repomd!.toString("utf8").includes(primarySum));
    const packages = gunzipSync(primary!)
      .toString("utf8")
      .match(/<package type="rpm">/g);
    assert.equal(packages?.length, 2 * packageCount);
  });
});
