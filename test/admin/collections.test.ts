// Collection and collection-group commands, in-process on PostgreSQL with the Koji hub
// simulator: the original's life cycle of a rawhide collection (create, edit, group, fork,
// branch, delete) with the data each copy takes, then every refusal, which writes nothing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  adminTestbed,
  insertCollection,
  insertPackages,
  assertRefusals,
  auditEntry,
  type AdminTestbed,
} from "./support.js";

let bed: AdminTestbed;
before(async () => (bed = await adminTestbed()));
after(() => bed?.close());

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

const collectionColumns = [
  "id",
  "name",
  "display_name",
  "target",
  "build_tag",
  "dest_tag",
  "bugzilla_product",
  "bugzilla_version",
  "order",
  "priority_coefficient",
  "build_group",
  "poll_untracked",
  "secondary_mode",
  "latest_repo_id",
  "latest_repo_resolved",
] as const;

async function collection(name: string) {
  return bed.database.db
    .selectFrom("collection")
    .select(collectionColumns)
    .where("name", "=", name)
    .executeTakeFirst();
}

async function groupMembers(group: string) {
  const rows = await bed.database.db
    .selectFrom("collection_group_relation")
    .innerJoin("collection_group", "collection_group.id", "group_id")
    .innerJoin("collection", "collection.id", "collection_id")
    .select("collection.name")
    .where("collection_group.name", "=", group)
    .orderBy("collection.name")
    .execute();
  return rows.map((row) => row.name);
}

/**
 * rnv's history in a collection: a complete build of 60 days ago, the last complete build of
 * 7 days ago (with a Koji task and an applied dependency change), a running build, a
 * resolution change with a problem, an unapplied change; and a buildroot problem.
 */
async function insertHistory(collectionId: number) {
  const db = bed.database.db;
  const { rnv } = await insertPackages(bed.database, collectionId, {
    rnv: { tracked: true, manual_priority: 30 },
  });
  const build = (started: Date, state: number, taskId: number) =>
    db
      .insertInto("build")
      .values({
        package_id: rnv!.id,
        state,
        task_id: taskId,
        started,
        ...(state === 2 ? {} : { finished: started, version: "1.7.11", release: "15", repo_id: 1 }),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
  await build(daysAgo(60), 3, 100);
  const lastComplete = await build(daysAgo(7), 5, 101);
  await build(daysAgo(0), 2, 102);
  await db
    .insertInto("koji_task")
    .values({
      build_id: lastComplete.id,
      task_id: 1011,
      arch: "x86_64",
      state: 5,
      started: daysAgo(7),
    })
    .execute();
  const [oldDep, newDep] = await db
    .insertInto("dependency")
    .values([
      { name: `expat-${collectionId}`, version: "2.2.4", release: "1", arch: "x86_64" },
      { name: `expat-${collectionId}`, version: "2.2.5", release: "1", arch: "x86_64" },
    ])
    .returning("id")
    .execute();
  await db
    .insertInto("applied_change")
    .values({
      build_id: lastComplete.id,
      prev_dep_id: oldDep!.id,
      curr_dep_id: newDep!.id,
      distance: 1,
    })
    .execute();
  await db
    .insertInto("unapplied_change")
    .values({ package_id: rnv!.id, prev_dep_id: newDep!.id, curr_dep_id: oldDep!.id, distance: 2 })
    .execute();
  const change = await db
    .insertInto("resolution_change")
    .values({ package_id: rnv!.id, resolved: false, timestamp: daysAgo(3) })
    .returning("id")
    .executeTakeFirstOrThrow();
  await db
    .insertInto("resolution_problem")
    .values({ resolution_id: change.id, problem: "nothing provides gcc" })
    .execute();
  await db
    .insertInto("buildroot_problem")
    .values({ collection_id: collectionId, problem: "broken" })
    .execute();
}

/** What a collection holds, without ids: rnv, its builds and the rows hanging from them. */
async function history(collectionName: string) {
  const db = bed.database.db;
  const pkg = await db
    .selectFrom("package")
    .innerJoin("collection", "collection.id", "package.collection_id")
    .select([
      "package.id",
      "package.tracked",
      "package.manual_priority",
      "package.last_build_id",
      "package.last_complete_build_id",
      "package.last_complete_build_state",
    ])
    .where("collection.name", "=", collectionName)
    .executeTakeFirstOrThrow();
  const builds = await db
    .selectFrom("build")
    .select(["id", "task_id", "state", "last_complete"])
    .where("package_id", "=", pkg.id)
    .orderBy("started")
    .execute();
  const buildIds = builds.map((build) => build.id);
  const byId = (id: number | null) => builds.find((build) => build.id === id)?.task_id ?? null;
  const tasks = await db
    .selectFrom("koji_task")
    .select(["build_id", "task_id", "arch"])
    .where("build_id", "in", buildIds)
    .execute();
  const applied = await db
    .selectFrom("applied_change")
    .innerJoin("dependency", "dependency.id", "applied_change.curr_dep_id")
    .select(["build_id", "dependency.version", "distance"])
    .where("build_id", "in", buildIds)
    .execute();
  const problems = await db
    .selectFrom("resolution_change")
    .leftJoin("resolution_problem", "resolution_id", "resolution_change.id")
    .select(["resolved", "problem"])
    .where("package_id", "=", pkg.id)
    .execute();
  const unapplied = await db
    .selectFrom("unapplied_change")
    .select("id")
    .where("package_id", "=", pkg.id)
    .execute();
  const buildroot = await db
    .selectFrom("buildroot_problem")
    .innerJoin("collection", "collection.id", "collection_id")
    .select("problem")
    .where("collection.name", "=", collectionName)
    .execute();
  return {
    package: { tracked: pkg.tracked, manual_priority: pkg.manual_priority },
    builds: builds.map(({ task_id, state, last_complete }) => ({ task_id, state, last_complete })),
    lastBuildTask: byId(pkg.last_build_id),
    lastCompleteTask: byId(pkg.last_complete_build_id),
    lastCompleteState: pkg.last_complete_build_state,
    tasks: tasks.map((task) => ({
      build: byId(task.build_id),
      task_id: task.task_id,
      arch: task.arch,
    })),
    applied: applied.map((change) => ({
      build: byId(change.build_id),
      version: change.version,
      distance: change.distance,
    })),
    problems,
    unapplied: unapplied.length,
    buildroot: buildroot.map((row) => row.problem),
  };
}

describe("a rawhide collection's life cycle (the original's test_collection_commands)", () => {
  it("create, edit, group, fork, branch and delete", async () => {
    const created = await bed.run([
      "create-collection", "f28", "-d", "Fedora Rawhide", "-t", "f28", "-o", "128",
      "--bugzilla-product", "Fedora", "--bugzilla-version", "28",
    ]); // prettier-ignore
    assert.deepEqual(created, {
      output: ["Collection f28 created"],
      audit: [auditEntry("Collection f28 created")],
    });
    const masterId = (await collection("f28"))!.id;
    assert.deepEqual(await collection("f28"), {
      id: masterId,
      name: "f28",
      display_name: "Fedora Rawhide",
      target: "f28",
      // The build tag also becomes the destination tag, not the target's f28-updates-candidate.
      build_tag: "f28-build",
      dest_tag: "f28-build",
      bugzilla_product: "Fedora",
      bugzilla_version: "28",
      order: 128,
      priority_coefficient: 1,
      build_group: "build",
      poll_untracked: true,
      secondary_mode: false,
      latest_repo_id: null,
      latest_repo_resolved: null,
    });
    await insertHistory(masterId);
    const masterHistory = await history("f28");
    assert.deepEqual(masterHistory.lastCompleteTask, 101);
    assert.deepEqual(masterHistory.lastBuildTask, 102);

    assert.deepEqual(
      (await bed.run(["edit-collection", "f28", "--bugzilla-version", "rawhide"])).output,
      ["Collection f28 modified"],
    );
    assert.equal((await collection("f28"))!.bugzilla_version, "rawhide");

    assert.deepEqual(
      await bed.run(["create-collection-group", "fedora", "-d", "Fedora", "-c", "f28"]),
      {
        output: [],
        audit: [],
      },
    );
    assert.deepEqual(await groupMembers("fedora"), ["f28"]);

    const forked = await bed.run([
      "fork-collection",
      "f28",
      "f28-side-42",
      "-d",
      "Side tag 42",
      "-t",
      "f28-side-42",
    ]);
    assert.deepEqual(forked.output, ["Collection f28-side-42 forked from f28"]);
    const fork = (await collection("f28-side-42"))!;
    assert.deepEqual(fork, {
      ...(await collection("f28"))!,
      id: fork.id,
      name: "f28-side-42",
      display_name: "Side tag 42",
      target: "f28-side-42",
      build_tag: "f28-side-42",
      dest_tag: "f28-side-42",
    });
    assert.deepEqual(await collection("f28"), {
      ...(await collection("f28")),
      id: masterId,
      order: 128,
      build_tag: "f28-build",
    });
    assert.deepEqual(await groupMembers("fedora"), ["f28", "f28-side-42"]);
    // Minimal copy: the last complete build only, which is also the copy's last build.
    assert.deepEqual(await history("f28-side-42"), {
      package: { tracked: true, manual_priority: 30 },
      builds: [{ task_id: 101, state: 5, last_complete: true }],
      lastBuildTask: 101,
      lastCompleteTask: 101,
      lastCompleteState: 5,
      tasks: [{ build: 101, task_id: 1011, arch: "x86_64" }],
      applied: [{ build: 101, version: "2.2.5", distance: 1 }],
      problems: [{ resolved: false, problem: "nothing provides gcc" }],
      unapplied: 0,
      buildroot: [],
    });
    assert.deepEqual(await history("f28"), masterHistory, "the master keeps its data");

    const branched = await bed.run([
      "branch-collection",
      "f28",
      "f29",
      "-d",
      "Fedora 28",
      "-t",
      "f29",
      "--bugzilla-version",
      "28",
    ]);
    assert.deepEqual(branched.output, ["Collection f29 branched from f28"]);
    const branch = (await collection("f28"))!;
    assert.notEqual(branch.id, masterId);
    assert.deepEqual(branch, {
      id: branch.id,
      name: "f28",
      display_name: "Fedora 28",
      target: "f28",
      build_tag: "f28-build",
      dest_tag: "f28-build",
      bugzilla_product: "Fedora",
      bugzilla_version: "28",
      order: 128,
      priority_coefficient: 1,
      build_group: "build",
      poll_untracked: true,
      secondary_mode: false,
      latest_repo_id: null,
      latest_repo_resolved: null,
    });
    assert.deepEqual(await collection("f29"), {
      ...branch,
      id: masterId,
      name: "f29",
      display_name: "Fedora Rawhide",
      target: "f29",
      build_tag: "f29-build",
      dest_tag: "f29-build",
      bugzilla_version: "rawhide",
      order: 129,
    });
    assert.deepEqual(await groupMembers("fedora"), ["f28", "f28-side-42", "f29"]);
    // Full copy: the builds of the last month (the running one too), not the 60-day-old one.
    assert.deepEqual(await history("f28"), {
      ...masterHistory,
      builds: masterHistory.builds.slice(1),
      unapplied: 0,
      buildroot: [],
    });
    assert.deepEqual(await history("f29"), masterHistory);

    const refused = await bed.run(["delete-collection", "f28"]);
    assert.deepEqual(refused, {
      output: [],
      error:
        "The collection contains packages. Specify --force to delete it anyway. It means " +
        "deleting all the packages build history. It cannot be reverted and may take long time to execute",
      usage: false,
      audit: [],
    });
    assert.deepEqual((await bed.run(["delete-collection", "--force", "f28"])).output, [
      "Collection f28 deleted",
    ]);
    assert.equal(await collection("f28"), undefined);
    assert.deepEqual(await groupMembers("fedora"), ["f28-side-42", "f29"]);
    const packages = await bed.database.db
      .selectFrom("package")
      .select("collection_id")
      .where("name", "=", "rnv")
      .orderBy("collection_id")
      .execute();
    assert.deepEqual(
      packages.map((p) => p.collection_id),
      [masterId, fork.id],
    );

    const messages = await bed.database.db
      .selectFrom("log_entry")
      .select("message")
      .where("message", "like", "Collection %")
      .orderBy("id")
      .execute();
    assert.deepEqual(
      messages.map((m) => m.message),
      [
        "Collection f28 created",
        "Collection f28 modified",
        "Collection f28-side-42 forked from f28",
        "Collection f29 branched from f28",
        "Collection f28 deleted",
      ],
    );
  });
});

describe("create-collection and edit-collection options", () => {
  it("take every attribute; --poll-untracked reads true and false", async () => {
    const result = await bed.run([
      "create-collection", "f42", "--display-name", "Fedora 42", "--target", "f42",
      "--dest-tag", "f42-updates", "--mode", "secondary", "-p", "0.5", "--order", "-3",
      "--build-group", "srpm-build", "--poll-untracked", "False", "--bugzilla-product", "Fedora",
    ]); // prettier-ignore
    assert.deepEqual(result.output, ["Collection f42 created"]);
    const created = (await collection("f42"))!;
    assert.deepEqual(created, {
      id: created.id,
      name: "f42",
      display_name: "Fedora 42",
      target: "f42",
      build_tag: "f42-build",
      dest_tag: "f42-updates",
      bugzilla_product: "Fedora",
      bugzilla_version: null,
      order: -3,
      priority_coefficient: 0.5,
      build_group: "srpm-build",
      poll_untracked: false,
      secondary_mode: true,
      latest_repo_id: null,
      latest_repo_resolved: null,
    });
    const edited = await bed.run([
      "edit-collection", "f42", "--new-name", "f42-new", "-t", "f29", "-m", "primary",
      "--poll-untracked", "yes", "-d", "Renamed",
    ]); // prettier-ignore
    assert.deepEqual(edited.output, ["Collection f42-new modified"]);
    // A new target brings its build tag; the destination tag stays.
    assert.deepEqual(await collection("f42-new"), {
      ...created,
      name: "f42-new",
      display_name: "Renamed",
      target: "f29",
      build_tag: "f29-build",
      poll_untracked: true,
      secondary_mode: false,
    });
  });

  it("refuse what is wrong, writing nothing", async () => {
    const cases: [string[], string, boolean][] = [
      [["create-collection", "x", "-d", "X", "-t", "nope"], "Target nope not found in Koji", false],
      [["create-collection", "x", "-d", "X"], "missing option --target", true],
      [["create-collection", "x", "-d", "X", "-t", "f29", "-m", "tertiary"], "--mode must be primary or secondary, not 'tertiary'", true],
      [["create-collection", "x", "-d", "X", "-t", "f29", "-p", "fast"], "--priority-coefficient must be a number, not 'fast'", true],
      [["create-collection", "x", "-d", "X", "-t", "f29", "-o", "1.5"], "--order must be a whole number, not '1.5'", true],
      [["create-collection", "x", "-d", "X", "-t", "f29", "--poll-untracked", "maybe"], "--poll-untracked must be true or false, not 'maybe'", true],
      [["edit-collection", "nope", "-d", "X"], "Object not found", false],
      [["delete-collection", "nope"], "Collection not found", false],
      [["fork-collection", "nope", "x", "-d", "X", "-t", "f29"], "Collection not found", false],
      [["branch-collection", "nope", "x", "-d", "X", "-t", "f29"], "Collection not found", false],
      [["fork-collection", "f29", "x", "-d", "X"], "missing option --target", true],
    ]; // prettier-ignore
    await assertRefusals(bed, cases);
    assert.equal(await collection("x"), undefined);

    await insertCollection(bed.database, "base", {
      target: "f29",
      build_tag: "f29-build",
      dest_tag: "f29",
    });
    await insertCollection(bed.database, "other");
    await assertRefusals(bed, [
      [["create-collection", "base", "-d", "X", "-t", "f29"], "Object already exists", false],
      [["edit-collection", "base", "--new-name", "other"], "Collection other already exists", false],
      [["edit-collection", "base", "-t", "nope"], "Target nope not found in Koji", false],
      [["fork-collection", "base", "other", "-d", "X", "-t", "f29"], "Forked collection already exists", false],
      [["fork-collection", "base", "side", "-d", "X", "-t", "nope"], "Target nope not found in Koji", false],
      [["branch-collection", "base", "other", "-d", "X", "-t", "f29"], "Branched collection exists already", false],
      [["branch-collection", "base", "next", "-d", "X", "-t", "nope"], "Target nope not found in Koji", false],
    ]); // prettier-ignore
    assert.deepEqual((await collection("base"))!.target, "f29");
    assert.equal(await collection("side"), undefined);
    assert.equal(await collection("next"), undefined);
  });

  it("report a Koji fault in one line", async () => {
    bed.sim.faults.add("getBuildTarget", 1, {
      kind: "fault",
      code: 1000,
      message: "database is on fire",
    });
    assert.deepEqual(await bed.run(["create-collection", "hot", "-d", "Hot", "-t", "f29"]), {
      output: [],
      error: "Koji error: database is on fire",
      usage: false,
      audit: [],
    });
  });
});

describe("collection groups", () => {
  it("create, edit and delete, with their refusals", async () => {
    await insertCollection(bed.database, "g1");
    await insertCollection(bed.database, "g2");
    assert.deepEqual(await bed.run(["create-collection-group", "grp", "-d", "Group", "-c"]), {
      output: [],
      audit: [],
    });
    assert.deepEqual(await groupMembers("grp"), []);
    await bed.run(["edit-collection-group", "grp", "-c", "g1", "g2", "-d", "Renamed"]);
    assert.deepEqual(await groupMembers("grp"), ["g1", "g2"]);
    await bed.run(["edit-collection-group", "grp", "-c", "g2"]);
    assert.deepEqual(await groupMembers("grp"), ["g2"]);
    await bed.run(["edit-collection-group", "grp", "-c", "-d", ""]);
    assert.deepEqual(await groupMembers("grp"), ["g2"], "an empty -c leaves the members");
    const display = () =>
      bed.database.db
        .selectFrom("collection_group")
        .select("display_name")
        .where("name", "=", "grp")
        .executeTakeFirst();
    assert.deepEqual(await display(), { display_name: "Renamed" });

    const refusals: [string[], string, boolean][] = [
      [["create-collection-group", "grp", "-d", "Again"], "Object already exists", false],
      [["create-collection-group", "new", "-d", "New", "-c", "g1", "nope", "gone"], "Some collections weren't found: nope,gone", false],
      [["create-collection-group", "new"], "missing option --display-name", true],
      [["edit-collection-group", "nope", "-d", "X"], "Object not found", false],
      [["edit-collection-group", "grp", "-c", "g1", "nope"], "Some collections weren't found: nope", false],
      [["delete-collection-group", "nope"], "Object not found", false],
    ]; // prettier-ignore
    await assertRefusals(bed, refusals);
    assert.deepEqual(await groupMembers("grp"), ["g2"]);
    assert.equal(
      (
        await bed.database.db
          .selectFrom("collection_group")
          .select("id")
          .where("name", "=", "new")
          .execute()
      ).length,
      0,
    );

    assert.deepEqual(await bed.run(["delete-collection-group", "grp"]), { output: [], audit: [] });
    assert.equal(await display(), undefined);
    assert.ok(await collection("g2"), "its collections stay");
  });
});
