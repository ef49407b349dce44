// The build resolver (spec 03 §5), the dependency cache (§6.3) and the dependency_keys
// encoding (spec 01 §2.23), against the simulated hub's repos and PostgreSQL.
import assert from "node:assert/strict";
import { inflateSync } from "node:zlib";
import { after, before, beforeEach, describe, test } from "node:test";
import { runBuildResolverPass } from "../../src/backend/build-resolver.js";
import { DependencyCache } from "../../src/backend/dependency-cache.js";
import { decodeDependencyKeys, encodeDependencyKeys } from "../../src/backend/dependency-keys.js";
import { runRepoResolverPass } from "../../src/backend/repo-resolver.js";
import { binaryBuild, ResolverWorld, RUNNING } from "./resolver-world.js";

let world: ResolverWorld;
before(async () => {
  world = await ResolverWorld.start();
});
after(() => world?.close());
beforeEach(() => world.reset());

/** The build's stored dependency set as `name E:V-R.arch`, sorted. */
async function storedDependencies(buildId: number): Promise<string[]> {
  const { dependency_keys } = await world.buildRow(buildId);
  assert.ok(dependency_keys, `build ${buildId} has no dependency keys`);
  const rows = await world.db
    .selectFrom("dependency")
    .selectAll()
    .where("id", "in", decodeDependencyKeys(dependency_keys))
    .execute();
  return rows.map((d) => `${d.name} ${d.epoch}:${d.version}-${d.release}.${d.arch}`).sort();
}

const FOO_DEPS = [
  "A 0:1-1.fc22.x86_64",
  "B 0:4.1-2.fc22.noarch",
  "C 1:3-1.fc22.x86_64",
  "D 2:8.b-1.rc1.fc22.x86_64",
  "E 0:0.1-1.fc22.1.noarch",
  "F 0:1-1.fc22.noarch",
  "R 0:3.3-2.fc22.x86_64",
];

describe("build resolver", () => {
  test("a build's dependencies are stored; a newer build records the applied changes", async () => {
    const collectionId = await world.collection();
    const foo = await world.package("foo", collectionId);
    const first = await world.build(foo);
    await runBuildResolverPass(world.context());
    assert.equal((await world.buildRow(first)).deps_resolved, true);
    assert.deepEqual(await storedDependencies(first), FOO_DEPS);
    assert.deepEqual(await world.appliedChanges(first), []);

    await world.tagBuild(binaryBuild({ name: "C", evr: "1:4-1.fc22" }));
    await world.tagBuild({
      ...binaryBuild({ name: "E", evr: "0:0.2-1" }),
      rpms: [{ name: "E", arch: "noarch", requires: ["D"] }],
    });
    const repoId = await world.regenRepo();
    const second = await world.build(foo, { repo_id: repoId });
    await runBuildResolverPass(world.context());

    assert.equal((await world.buildRow(second)).deps_resolved, true);
    assert.deepEqual(await world.appliedChanges(second), [
      "C 1:3-1.fc22 → 1:4-1.fc22 @2",
      "E 0:0.1-1.fc22.1 → 0:0.2-1 @2",
    ]);
    assert.deepEqual(await storedDependencies(second), [
      "A 0:1-1.fc22.x86_64",
      "B 0:4.1-2.fc22.noarch",
      "C 1:4-1.fc22.x86_64",
      "D 2:8.b-1.rc1.fc22.x86_64",
      "E 0:0.2-1.noarch",
      "F 0:1-1.fc22.noarch",
      "R 0:3.3-2.fc22.x86_64",
    ]);
    // Only the newest resolved build keeps its set.
    assert.equal((await world.buildRow(first)).dependency_keys, null);
  });

  test("a newer build with the same dependency set records no change", async () => {
    const collectionId = await world.collection();
    const foo = await world.package("foo", collectionId);
    const first = await world.build(foo);
    await runBuildResolverPass(world.context());
    const firstKeys = (await world.buildRow(first)).dependency_keys;
    const second = await world.build(foo);
    await runBuildResolverPass(world.context());

    assert.equal((await world.buildRow(second)).deps_resolved, true);
    assert.deepEqual(await world.appliedChanges(second), []);
    assert.deepEqual(await storedDependencies(second), FOO_DEPS);
    assert.deepEqual((await world.buildRow(second)).dependency_keys, firstKeys);
    assert.equal((await world.buildRow(first)).dependency_keys, null);
  });

  test("an unresolvable last build gets the newly-added priority", async () => {
    const collectionId = await world.collection();
    const qux = await world.package("qux", collectionId);
    await world.tagBuild({
      ...binaryBuild({ name: "G", evr: "0:2-1" }),
      rpms: [{ name: "G-libs", arch: "x86_64" }],
    });
    const repoId = await world.regenRepo();
    const older = await world.build(qux);
    const build = await world.build(qux, { repo_id: repoId });
    await runBuildResolverPass(world.context());

    assert.equal((await world.buildRow(build)).deps_resolved, false);
    assert.equal((await world.buildRow(older)).deps_resolved, true);
    assert.equal((await world.packageRow(qux)).build_priority, 3000);
  });

  test("an unresolvable build that is not the last one leaves the priority alone", async () => {
    const collectionId = await world.collection();
    const qux = await world.package("qux", collectionId);
    const unknownRepo = await world.build(qux, { repo_id: 999_999 });
    const last = await world.build(qux);
    await runBuildResolverPass(world.context());
    assert.equal((await world.buildRow(unknownRepo)).deps_resolved, false);
    assert.equal((await world.buildRow(last)).deps_resolved, true);
    assert.equal((await world.packageRow(qux)).build_priority, 0);
  });

  test("a repo Koji does not know is dead: its builds are unresolved", async () => {
    const collectionId = await world.collection();
    const foo = await world.package("foo", collectionId);
    const build = await world.build(foo, { repo_id: 999_999 });
    await runBuildResolverPass(world.context());
    assert.equal((await world.buildRow(build)).deps_resolved, false);
    assert.equal((await world.packageRow(foo)).build_priority, 3000);
  });

  test("without the build group, builds are unresolved", async () => {
    const collectionId = await world.collection({ build_group: "no-such-group" });
    const foo = await world.package("foo", collectionId);
    const build = await world.build(foo);
    await runBuildResolverPass(world.context());
    assert.equal((await world.buildRow(build)).deps_resolved, false);
    assert.equal((await world.packageRow(foo)).build_priority, 3000);
  });

  test("running builds without a repo and builds already processed are not touched", async () => {
    const collectionId = await world.collection();
    const foo = await world.package("foo", collectionId);
    const qux = await world.package("qux", collectionId);
    const failed = await world.build(qux, { deps_resolved: false });
    const running = await world.build(foo, { state: RUNNING });
    await runBuildResolverPass(world.context());
    assert.equal((await world.buildRow(running)).deps_resolved, null);
    assert.equal((await world.buildRow(failed)).deps_resolved, false);
    assert.equal((await world.packageRow(qux)).build_priority, 0);
  });

  test("a resolved build's set is what the repo resolver compares the next repo with", async () => {
    const collectionId = await world.collection();
    const foo = await world.package("foo", collectionId);
    await world.build(foo);
    await runBuildResolverPass(world.context());
    await runRepoResolverPass(world.context());
    await world.tagBuild(binaryBuild({ name: "A", evr: "0:2-1.fc22", requires: ["B"] }));
    await world.regenRepo();
    await runRepoResolverPass(world.context());
    assert.deepEqual(await world.unappliedChanges(foo), ["A 0:1-1.fc22 → 0:2-1.fc22 @1"]);
    assert.equal((await world.packageRow(foo)).dependency_priority, 20);
  });

  test("two processes resolving the same builds store one set of rows", async () => {
    const collectionId = await world.collection();
    const foo = await world.package("foo", collectionId);
    const first = await world.build(foo);
    await runBuildResolverPass(world.context());
    await world.tagBuild(binaryBuild({ name: "C", evr: "1:4-1.fc22" }));
    const repoId = await world.regenRepo();
    const second = await world.build(foo, { repo_id: repoId });
    const third = await world.build(foo, { repo_id: repoId });

    await Promise.all([
      runBuildResolverPass(world.context()),
      runBuildResolverPass(world.context()),
    ]);
    assert.equal((await world.buildRow(second)).deps_resolved, true);
    assert.equal((await world.buildRow(third)).deps_resolved, true);
    assert.deepEqual(await world.appliedChanges(second), ["C 1:3-1.fc22 → 1:4-1.fc22 @2"]);
    assert.deepEqual(await world.appliedChanges(third), []);
    assert.equal((await world.buildRow(first)).dependency_keys, null);
    assert.equal((await world.buildRow(second)).dependency_keys, null);
    const { count } = await world.db
      .selectFrom("dependency")
      .select((eb) => eb.fn.countAll<string>().as("count"))
      .executeTakeFirstOrThrow();
    assert.equal(Number(count), FOO_DEPS.length + 1);
  });
});

describe("dependency cache", () => {
  const foo = (i: number) => ({
    name: "foo",
    epoch: 0,
    version: String(i),
    release: "1",
    arch: "x86_64",
  });

  test("NEVRAs are stored once and found by id in input order", async () => {
    const cache = new DependencyCache(10);
    const rows = await cache.rowsOf(world.db, [foo(2), foo(3), foo(2)]);
    assert.deepEqual(
      rows.map((row) => row.id),
      [1, 2, 1],
    );
    assert.deepEqual(cache.stats, { hits: 0, misses: 0, inserts: 2 });
    assert.deepEqual(await cache.rowsByIds(world.db, [2, 1]), [
      { id: 2, ...foo(3) },
      { id: 1, ...foo(2) },
    ]);
    assert.deepEqual(cache.stats, { hits: 2, misses: 0, inserts: 2 });
  });

  test("the least recently used entry is evicted; cached rows are not re-read", async () => {
    const writer = new DependencyCache(10);
    await writer.rowsOf(world.db, [foo(1), foo(2), foo(3)]);
    const cache = new DependencyCache(2);
    await cache.rowsByIds(world.db, [2, 3]);
    await cache.rowsByIds(world.db, [1]);
    assert.equal(cache.size, 2);
    await world.db.updateTable("dependency").set({ name: "bar" }).execute();
    assert.deepEqual(
      (await cache.rowsByIds(world.db, [3, 2])).map((row) => row.name),
      ["foo", "bar"],
    );
  });

  test("two caches inserting the same NEVRAs at once get the same rows", async () => {
    const nevras = [foo(1), foo(2), foo(3)];
    const [a, b] = await Promise.all([
      new DependencyCache(10).rowsOf(world.db, nevras),
      new DependencyCache(10).rowsOf(world.db, nevras),
    ]);
    assert.deepEqual(a, b);
    assert.equal((await world.db.selectFrom("dependency").selectAll().execute()).length, 3);
  });
});

describe("dependency keys", () => {
  test("round trip of unsorted ids", () => {
    assert.deepEqual(
      decodeDependencyKeys(encodeDependencyKeys([7, 3, 4_000_000_000, 12])),
      [3, 7, 12, 4_000_000_000],
    );
  });

  test("an empty list round-trips to an empty list", () => {
    assert.deepEqual(decodeDependencyKeys(encodeDependencyKeys([])), []);
  });

  test("the stored form is zlib over big-endian deltas", () => {
    assert.deepEqual(
      [...inflateSync(encodeDependencyKeys([5, 2, 3]))],
      [0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2],
    );
  });

  test("duplicates and non-positive ids are refused", () => {
    assert.throws(() => encodeDependencyKeys([2, 2]), /distinct positive/);
    assert.throws(() => encodeDependencyKeys([0]), /distinct positive/);
  });
});
