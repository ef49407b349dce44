// submit-build and cleanup, in-process on PostgreSQL with the Koji hub simulator: the builds
// submitted (arches, options, rows), the packages skipped and why, and which history cleanup
// deletes.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KojiApi } from "../../src/koji/api.js";
import { KojiClient } from "../../src/koji/client.js";
import {
  adminTestbed,
  insertCollection,
  insertPackages,
  auditEntry,
  type AdminTestbed,
} from "./support.js";

let bed: AdminTestbed;
before(async () => (bed = await adminTestbed()));
after(() => bed?.close());

async function insertCompleteBuild(packageId: number, started: Date, version = "1", release = "1") {
  const build = await bed.database.db
    .insertInto("build")
    .values({
      package_id: packageId,
      state: 3,
      task_id: 1,
      started,
      finished: started,
      version,
      release,
      repo_id: 1,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return build.id;
}

async function runningBuilds(collectionId: number) {
  return bed.database.db
    .selectFrom("build")
    .innerJoin("package", "package.id", "build.package_id")
    .select([
      "package.name",
      "build.task_id",
      "build.epoch",
      "build.version",
      "build.release",
      "build.repo_id",
    ])
    .where("package.collection_id", "=", collectionId)
    .where("build.state", "=", 2)
    .orderBy("package.name")
    .execute();
}

describe("submit-build", () => {
  let f29: number;
  const koji = () => new KojiApi(new KojiClient({ server: bed.sim.hubUrl }));

  before(async () => {
    f29 = await insertCollection(bed.database, "f29", {
      latest_repo_id: 1,
      latest_repo_resolved: true,
    });
    const ids = await insertPackages(bed.database, f29, { rnv: {}, maven: {}, zvm: {}, ghost: {} });
    await insertCompleteBuild(ids.rnv!.id, new Date(), "1.7.11", "15.fc28");
    await insertCompleteBuild(ids.maven!.id, new Date(), "3.5.3", "2.fc29");
    await insertCompleteBuild(ids.zvm!.id, new Date(), "1.0", "1.fc29");
    // Same packages where the buildroot is broken: never built.
    const broken = await insertCollection(bed.database, "broken", {
      target: "f29",
      build_tag: "f29-build",
      dest_tag: "f29",
      latest_repo_id: 1,
      latest_repo_resolved: false,
    });
    await insertPackages(bed.database, broken, { rnv: {} });
  });

  it("submits scratch builds on the allowed arches and says what it skipped", async () => {
    const result = await bed.run(["submit-build", "rnv", "maven", "zvm", "ghost", "unknown"]);
    assert.deepEqual(result, {
      output: [
        "No SRPM found for package ghost in collection f29",
        "No allowed arches found for package zvm in collection f29",
      ],
      audit: [],
    });
    const builds = await runningBuilds(f29);
    assert.deepEqual(
      builds.map(({ task_id: _, ...build }) => build),
      [
        { name: "maven", epoch: 1, version: "3.5.3", release: "2.fc29", repo_id: null },
        { name: "rnv", epoch: null, version: "1.7.11", release: "15.fc28", repo_id: null },
      ],
    );
    const [maven, rnv] = await Promise.all(
      builds.map((build) => koji().getTaskInfo(build.task_id, { request: true })),
    );
    // The f29-build arches allowed by the default build_arches (i386 x86_64 armhfp), in the
    // tag's order; noarch packages leave the choice to Koji. Koji adds task_priority (30) to
    // its default task priority (20).
    assert.deepEqual(
      [rnv!.method, rnv!.priority, rnv!.request],
      [
        "build",
        50,
        [
          "../packages/rnv/1.7.11/15.fc28/src/rnv-1.7.11-15.fc28.src.rpm",
          "f29",
          { arch_override: "armv7hl i686 x86_64", scratch: true },
        ],
      ],
    );
    assert.deepEqual(maven!.request, [
      "../packages/maven/3.5.3/2.fc29/src/maven-3.5.3-2.fc29.src.rpm",
      "f29",
      { scratch: true },
    ]);
    const broken = await bed.database.db
      .selectFrom("build")
      .innerJoin("package", "package.id", "build.package_id")
      .innerJoin("collection", "collection.id", "package.collection_id")
      .select("build.id")
      .where("collection.name", "=", "broken")
      .execute();
    assert.deepEqual(broken, []);
  });

  it("builds from the collection's repo with build_from_repo_id, and honours -c", async () => {
    const config = {
      ...bed.config,
      koji_config: { ...bed.config.koji_config, build_from_repo_id: true },
    };
    assert.deepEqual(await bed.run(["submit-build", "-c", "broken", "rnv"], { config }), {
      output: [],
      audit: [],
    });
    const before = (await runningBuilds(f29)).length;
    assert.deepEqual(await bed.run(["submit-build", "-c", "f29", "rnv"], { config }), {
      output: [],
      audit: [],
    });
    const builds = await runningBuilds(f29);
    assert.equal(builds.length, before + 1);
    const newest = builds.reduce((a, b) => (a.task_id > b.task_id ? a : b));
    assert.equal(newest.repo_id, 1);
    const task = await koji().getTaskInfo(newest.task_id, { request: true });
    assert.deepEqual(task!.request, [
      "../packages/rnv/1.7.11/15.fc28/src/rnv-1.7.11-15.fc28.src.rpm",
      null,
      { arch_override: "armv7hl i686 x86_64", repo_id: 1, scratch: true },
    ]);
  });

  it("records nothing when Koji refuses the build", async () => {
    const before = (await runningBuilds(f29)).length;
    bed.sim.faults.add("build", 1, { kind: "fault", code: 1004, message: "ActionNotAllowed: no" });
    assert.deepEqual(await bed.run(["submit-build", "rnv"]), {
      output: [],
      error: "Koji error: ActionNotAllowed: no",
      usage: false,
      audit: [],
    });
    assert.equal((await runningBuilds(f29)).length, before);
  });

  it("needs a package name", async () => {
    const result = await bed.run(["submit-build", "-c", "f29"]);
    assert.deepEqual([result.error, result.usage], ["missing argument NAMES", true]);
  });
});

describe("cleanup", () => {
  it("deletes old builds but each package's last ones, and old resolution changes", async () => {
    const collection = await insertCollection(bed.database, "old");
    const ids = await insertPackages(bed.database, collection, { rnv: {}, fossil: {} });
    const ancient = new Date("2016-01-01T00:00:00Z");
    const oldBuild = await insertCompleteBuild(ids.rnv!.id, ancient);
    await bed.database.db
      .insertInto("koji_task")
      .values({ build_id: oldBuild, task_id: 5, arch: "x86_64", state: 2, started: ancient })
      .execute();
    const recentBuild = await insertCompleteBuild(ids.rnv!.id, new Date());
    // fossil's only build is old, but it is its last build.
    const fossilBuild = await insertCompleteBuild(ids.fossil!.id, ancient);
    await bed.database.db
      .insertInto("resolution_change")
      .values([
        { package_id: ids.rnv!.id, resolved: false, timestamp: ancient },
        { package_id: ids.rnv!.id, resolved: true },
      ])
      .execute();

    assert.deepEqual(await bed.run(["cleanup"]), {
      output: [
        "Cleanup: Deleted 1 builds",
        "Cleanup: Deleted 1 resolution changes",
        "Cleanup: Deleted 0 published messages",
      ],
      audit: [
        auditEntry("Cleanup: Deleted 1 builds"),
        auditEntry("Cleanup: Deleted 1 resolution changes"),
        auditEntry("Cleanup: Deleted 0 published messages"),
      ],
    });
    const builds = await bed.database.db
      .selectFrom("build")
      .select("id")
      .where("id", "in", [oldBuild, recentBuild, fossilBuild])
      .orderBy("id")
      .execute();
    assert.deepEqual(builds, [{ id: recentBuild }, { id: fossilBuild }]);
    const changes = await bed.database.db
      .selectFrom("resolution_change")
      .select("resolved")
      .where("package_id", "=", ids.rnv!.id)
      .execute();
    assert.deepEqual(changes, [{ resolved: true }]);
    assert.deepEqual((await bed.run(["cleanup", "--older-than", "2"])).output, [
      "Cleanup: Deleted 0 builds",
      "Cleanup: Deleted 0 resolution changes",
      "Cleanup: Deleted 0 published messages",
    ]);
  });

  it("deletes outbox messages published before the cut-off, never unpublished ones", async () => {
    const ancient = new Date("2016-01-01T00:00:00Z");
    const message = (topic: string, created: Date, published: Date | null) => ({
      topic,
      body: {},
      headers: {},
      created,
      published_at: published,
    });
    await bed.database.db.deleteFrom("outbox").execute();
    await bed.database.db
      .insertInto("outbox")
      .values([
        message("old.published", ancient, ancient),
        message("old.unpublished", ancient, null),
        message("recent.published", ancient, new Date()),
      ])
      .execute();

    const result = await bed.run(["cleanup", "--older-than", "2"]);

    assert.equal(result.output.at(-1), "Cleanup: Deleted 1 published messages");
    const left = await bed.database.db
      .selectFrom("outbox")
      .select("topic")
      .orderBy("topic")
      .execute();
    assert.deepEqual(
      left.map((row) => row.topic),
      ["old.unpublished", "recent.published"],
    );
  });

  it("refuses fewer than 2 months", async () => {
    assert.deepEqual(await bed.run(["cleanup", "--older-than", "1"]), {
      output: [],
      error: "Minimal allowed value is 2 months",
      usage: false,
      audit: [],
    });
    const result = await bed.run(["cleanup", "--older-than", "half"]);
    assert.deepEqual(
      [result.error, result.usage],
      ["--older-than must be a whole number of months, not 'half'", true],
    );
  });
});
