// The repo resolver (spec 03 §4) against the simulated hub's repos and PostgreSQL.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { sql } from "kysely";
import pino from "pino";
import { runBuildResolverPass } from "../../src/backend/build-resolver.js";
import { runRepoResolverPass } from "../../src/backend/repo-resolver.js";
import { binaryBuild, FAILED, FIRST_REPO_ID, ResolverWorld, RUNNING } from "./resolver-world.js";

let world: ResolverWorld;
before(async () => {
  world = await ResolverWorld.start();
});
after(() => world?.close());
beforeEach(() => world.reset());

const collectionRef = (id: number) => ({ id, name: "f29" });

/** A collection without a resolved repo and foo with a complete, resolved build in repo 100. */
async function fooWithResolvedBuild() {
  const collectionId = await world.collection();
  const foo = await world.package("foo", collectionId);
  await world.build(foo);
  await runBuildResolverPass(world.context());
  return { collectionId, foo };
}

describe("repo resolver", () => {
  test("a first repo: the buildroot installs, packages are resolved and recorded", async () => {
    const { collectionId, foo } = await fooWithResolvedBuild();
    await runRepoResolverPass(world.context());

    const collection = await world.collectionRow(collectionId);
    assert.equal(collection.latest_repo_id, FIRST_REPO_ID);
    assert.equal(collection.latest_repo_resolved, true);
    assert.deepEqual(world.collectionEvents, [
      {
        collection: collectionRef(collectionId),
        repoId: FIRST_REPO_ID,
        prevState: "unknown",
        newState: "ok",
      },
    ]);
    const pkg = await world.packageRow(foo);
    assert.equal(pkg.resolved, true);
    assert.equal(pkg.dependency_priority, 0);
    assert.deepEqual(await world.unappliedChanges(foo), []);
    assert.deepEqual(await world.history(foo), [{ resolved: true, problems: [] }]);
    // resolved NULL with a complete build was already "ok".
    assert.deepEqual(world.packageEvents, []);
  });

  test("newer dependencies become unapplied changes with distances and dependency priority", async () => {
    const { collectionId, foo } = await fooWithResolvedBuild();
    await runRepoResolverPass(world.context());
    await world.tagBuild(binaryBuild({ name: "C", evr: "1:4-1.fc22" }));
    await world.tagBuild(binaryBuild({ name: "D", evr: "2:9-1.fc22", requires: ["F"] }));
    await world.tagBuild(binaryBuild({ name: "R", evr: "0:3.4-1.fc22", provides: ["virtual"] }));
    const repoId = await world.regenRepo();

    const session = world.session();
    await runRepoResolverPass(world.context(session));

    assert.deepEqual(await world.unappliedChanges(foo), [
      "C 1:3-1.fc22 → 1:4-1.fc22 @2",
      "D 2:8.b-1.rc1.fc22 → 2:9-1.fc22 @3",
      "R 0:3.3-2.fc22 → 0:3.4-1.fc22 @null",
    ]);
    // trunc(20/2 + 20/3 + 20/8)
    assert.equal((await world.packageRow(foo)).dependency_priority, 19);
    assert.deepEqual(await world.history(foo), [{ resolved: true, problems: [] }]);
    assert.equal((await world.collectionRow(collectionId)).latest_repo_id, repoId);
    assert.deepEqual(world.collectionEvents.at(-1), {
      collection: collectionRef(collectionId),
      repoId,
      prevState: "ok",
      newState: "ok",
    });

    // No newer repo: a second pass changes nothing.
    await runRepoResolverPass(world.context(session));
    assert.equal(world.collectionEvents.length, 2);
    assert.equal((await world.unappliedChanges(foo)).length, 3);
  });

  test("a new repo that changes nothing for a package leaves its row and history unwritten", async () => {
    const { foo } = await fooWithResolvedBuild();
    await runRepoResolverPass(world.context());
    const xmin = () =>
      world.db
        .selectFrom("package")
        .select(sql<string>`xmin::text`.as("xmin"))
        .where("id", "=", foo)
        .executeTakeFirstOrThrow();
    const before = await xmin();
    await world.regenRepo();
    await runRepoResolverPass(world.context());
    assert.deepEqual(await xmin(), before);
    assert.deepEqual(await world.history(foo), [{ resolved: true, problems: [] }]);
    assert.deepEqual(world.packageEvents, []);
  });

  test("while the package's last build runs there is nothing to compare with", async () => {
    const { foo } = await fooWithResolvedBuild();
    await world.build(foo, { state: RUNNING });
    await world.tagBuild(binaryBuild({ name: "C", evr: "1:4-1.fc22" }));
    await world.regenRepo();
    await runRepoResolverPass(world.context());
    assert.equal((await world.packageRow(foo)).resolved, true);
    assert.deepEqual(await world.unappliedChanges(foo), []);
    assert.equal((await world.packageRow(foo)).dependency_priority, 0);
  });

  test("a last build with unresolvable dependencies is skipped for the one before", async () => {
    const { foo } = await fooWithResolvedBuild();
    await world.build(foo, { state: FAILED, repo_id: 999_999, deps_resolved: false });
    await world.tagBuild(binaryBuild({ name: "C", evr: "1:4-1.fc22" }));
    await world.regenRepo();
    await runRepoResolverPass(world.context());
    assert.deepEqual(await world.unappliedChanges(foo), ["C 1:3-1.fc22 → 1:4-1.fc22 @2"]);
    assert.equal((await world.packageRow(foo)).dependency_priority, 10);
  });

  test("a removed dependency makes the package unresolved until it returns", async () => {
    const collectionId = await world.collection();
    const qux = await world.package("qux", collectionId);
    await world.build(qux);
    await runRepoResolverPass(world.context());
    assert.equal((await world.packageRow(qux)).resolved, true);

    await world.tagBuild({
      ...binaryBuild({ name: "G", evr: "0:2-1" }),
      rpms: [{ name: "G-libs", arch: "x86_64" }],
    });
    await world.regenRepo();
    await runRepoResolverPass(world.context());
    const problem = "nothing provides G needed by @builddeps(qux)-1-1.noarch";
    assert.equal((await world.packageRow(qux)).resolved, false);
    assert.deepEqual(await world.history(qux), [
      { resolved: true, problems: [] },
      { resolved: false, problems: [`Problem: ${problem}`] },
    ]);
    const quxRef = { id: qux, name: "qux", collection_id: collectionId };
    assert.deepEqual(world.packageEvents, [
      { package: quxRef, prevState: "ok", newState: "unresolved" },
    ]);

    // The same problems in a newer repo: no new history entry, no event.
    await world.regenRepo();
    await runRepoResolverPass(world.context());
    assert.equal((await world.history(qux)).length, 2);
    assert.equal(world.packageEvents.length, 1);

    // Unresolved for another reason: a new history entry, still no event.
    await world.tagBuild(binaryBuild({ name: "G", evr: "0:3-1", requires: ["getrekt"] }));
    await world.regenRepo();
    await runRepoResolverPass(world.context());
    assert.deepEqual((await world.history(qux)).at(-1), {
      resolved: false,
      problems: [
        "Problem: package @builddeps(qux)-1-1.noarch requires G, but none of the providers can be installed\n" +
          " - nothing provides getrekt needed by G-3-1.x86_64",
      ],
    });
    assert.equal(world.packageEvents.length, 1);

    await world.tagBuild(binaryBuild({ name: "G", evr: "0:4-1" }));
    await world.regenRepo();
    await runRepoResolverPass(world.context());
    assert.equal((await world.packageRow(qux)).resolved, true);
    assert.deepEqual((await world.history(qux)).at(-1), { resolved: true, problems: [] });
    assert.equal((await world.history(qux)).length, 4);
    assert.deepEqual(world.packageEvents.at(-1), {
      package: quxRef,
      prevState: "unresolved",
      newState: "ok",
    });
  });

  test("a broken build group makes the collection unresolved and leaves packages alone", async () => {
    const { collectionId, foo } = await fooWithResolvedBuild();
    await runRepoResolverPass(world.context());
    await world.tagBuild(binaryBuild({ name: "R", evr: "0:4-1", requires: ["nonexistent"] }));
    const brokenRepo = await world.regenRepo();
    await runRepoResolverPass(world.context());

    const collection = await world.collectionRow(collectionId);
    assert.equal(collection.latest_repo_id, brokenRepo);
    assert.equal(collection.latest_repo_resolved, false);
    const problems = await world.db
      .selectFrom("buildroot_problem")
      .select(["collection_id", "problem"])
      .execute();
    assert.deepEqual(problems, [
      {
        collection_id: collectionId,
        problem: "Problem: nothing provides nonexistent needed by R-4-1.x86_64",
      },
    ]);
    assert.deepEqual(world.collectionEvents.at(-1), {
      collection: collectionRef(collectionId),
      repoId: brokenRepo,
      prevState: "ok",
      newState: "unresolved",
    });
    assert.deepEqual(await world.history(foo), [{ resolved: true, problems: [] }]);

    await world.tagBuild(binaryBuild({ name: "R", evr: "0:5-1" }));
    const fixedRepo = await world.regenRepo();
    await runRepoResolverPass(world.context());
    assert.equal((await world.collectionRow(collectionId)).latest_repo_resolved, true);
    assert.equal((await world.db.selectFrom("buildroot_problem").selectAll().execute()).length, 0);
    assert.deepEqual(world.collectionEvents.at(-1), {
      collection: collectionRef(collectionId),
      repoId: fixedRepo,
      prevState: "unresolved",
      newState: "ok",
    });
  });

  test("a Koji failure mid-pass stores nothing, and the next pass completes", async () => {
    const { collectionId, foo } = await fooWithResolvedBuild();
    // A new process: the BuildRequires are not cached yet.
    await world.inject("multiCall", { httpStatus: 503 }, 2);
    await assert.rejects(runRepoResolverPass(world.context()));

    const untouched = await world.collectionRow(collectionId);
    assert.equal(untouched.latest_repo_id, null);
    assert.equal(untouched.latest_repo_resolved, null);
    assert.equal((await world.packageRow(foo)).resolved, null);
    assert.deepEqual(await world.history(foo), []);
    assert.deepEqual(world.collectionEvents, []);

    await runRepoResolverPass(world.context());
    assert.equal((await world.collectionRow(collectionId)).latest_repo_id, FIRST_REPO_ID);
    assert.deepEqual(await world.history(foo), [{ resolved: true, problems: [] }]);
  });

  test("a result made stale by a new build of its package is discarded", async () => {
    const collectionId = await world.collection();
    const foo = await world.package("foo", collectionId, { resolved: false });
    const qux = await world.package("qux", collectionId);
    await world.build(foo);
    await world.build(qux);
    // One package per chunk: foo's chunk is committed (and announced) before qux is resolved.
    world.configure((config) => ({
      ...config,
      dependency: { ...config.dependency, persist_chunk_size: 0 },
    }));
    let quxBuild: number | undefined;
    world.events.on("package_state_change", async () => {
      quxBuild ??= await world.build(qux, { state: RUNNING });
    });
    await runRepoResolverPass(world.context());

    assert.equal((await world.packageRow(foo)).resolved, true);
    assert.equal(world.packageEvents.length, 1);
    const quxRow = await world.packageRow(qux);
    assert.equal(quxRow.last_build_id, quxBuild);
    assert.equal(quxRow.resolved, null);
    assert.deepEqual(await world.history(qux), []);
  });

  test("newly added packages are resolved against the collection's current repo", async () => {
    const collectionId = await world.collection();
    const foo = await world.package("foo", collectionId);
    await world.build(foo);
    await runRepoResolverPass(world.context());
    const qux = await world.package("qux", collectionId);
    await world.build(qux);

    await runRepoResolverPass(world.context());
    assert.equal((await world.packageRow(qux)).resolved, true);
    assert.deepEqual(await world.history(qux), [{ resolved: true, problems: [] }]);
    assert.deepEqual(await world.history(foo), [{ resolved: true, problems: [] }]);
    assert.equal(world.collectionEvents.length, 1);
  });

  test("newly added packages wait while the buildroot is broken", async () => {
    const collectionId = await world.collection({
      latest_repo_id: FIRST_REPO_ID,
      latest_repo_resolved: false,
    });
    const foo = await world.package("foo", collectionId);
    await world.build(foo);
    await runRepoResolverPass(world.context());
    assert.equal((await world.packageRow(foo)).resolved, null);
    assert.deepEqual(await world.history(foo), []);
  });

  test("newly added packages wait for a new repo when Koji deleted the current one", async () => {
    const collectionId = await world.collection({
      latest_repo_id: 999_999,
      latest_repo_resolved: true,
    });
    const foo = await world.package("foo", collectionId);
    await world.build(foo);
    await runRepoResolverPass(world.context());
    assert.equal((await world.packageRow(foo)).resolved, null);
    assert.deepEqual(await world.history(foo), []);
  });

  test("two processes resolving one collection at once store one set of results", async () => {
    const collectionId = await world.collection();
    const foo = await world.package("foo", collectionId);
    const qux = await world.package("qux", collectionId);
    await world.build(foo);
    await world.build(qux);
    await Promise.all([runRepoResolverPass(world.context()), runRepoResolverPass(world.context())]);
    assert.deepEqual(await world.history(foo), [{ resolved: true, problems: [] }]);
    assert.deepEqual(await world.history(qux), [{ resolved: true, problems: [] }]);
    assert.equal(world.collectionEvents.length, 1);
  });

  test("in secondary mode a new repo counts once the primary hub's mirror of it is ready", async () => {
    const collectionId = await world.collection();
    await world.db
      .updateTable("collection")
      .set({ secondary_mode: true, latest_repo_id: FIRST_REPO_ID, latest_repo_resolved: true })
      .execute();
    const foo = await world.package("foo", collectionId);
    await world.build(foo);
    const mirrorTask = await world.finishedNewRepoTask();
    const secondaryRepo = await world.regenRepo();

    await runRepoResolverPass(world.context());
    assert.equal((await world.collectionRow(collectionId)).latest_repo_id, FIRST_REPO_ID);

    await world.db
      .insertInto("repo_mapping")
      .values({ secondary_id: secondaryRepo, task_id: mirrorTask, primary_id: null })
      .execute();
    await runRepoResolverPass(world.context());
    const mapping = await world.db.selectFrom("repo_mapping").selectAll().executeTakeFirstOrThrow();
    assert.equal(mapping.primary_id, secondaryRepo - 1);
    assert.equal((await world.collectionRow(collectionId)).latest_repo_id, secondaryRepo);
    assert.deepEqual(await world.history(foo), [{ resolved: true, problems: [] }]);
  });

  test("asked to stop mid-pass, it keeps the chunks stored and resolves the repo again", async () => {
    const collectionId = await world.collection();
    const foo = await world.package("foo", collectionId, { resolved: false });
    const qux = await world.package("qux", collectionId);
    await world.build(foo);
    await world.build(qux);
    world.configure((config) => ({
      ...config,
      dependency: { ...config.dependency, persist_chunk_size: 0 },
    }));
    const stop = new AbortController();
    world.events.on("package_state_change", () => stop.abort());
    await runRepoResolverPass(world.context(world.session(), { stopping: stop.signal }));

    assert.equal((await world.packageRow(foo)).resolved, true);
    assert.equal((await world.packageRow(qux)).resolved, null);
    assert.equal((await world.collectionRow(collectionId)).latest_repo_id, null);
    assert.deepEqual(world.collectionEvents, []);

    await runRepoResolverPass(world.context());
    assert.equal((await world.collectionRow(collectionId)).latest_repo_id, FIRST_REPO_ID);
    assert.equal((await world.packageRow(qux)).resolved, true);
    assert.deepEqual(await world.history(foo), [{ resolved: true, problems: [] }]);
  });

  test("progress is logged: packages done, share, rate and time left", async () => {
    const collectionId = await world.collection();
    for (const name of ["foo", "qux"] as const) {
      await world.build(await world.package(name, collectionId));
    }
    world.configure((config) => ({
      ...config,
      dependency: { ...config.dependency, perf_report_interval: 0 },
    }));
    const messages: string[] = [];
    const log = pino(
      { level: "info" },
      { write: (line: string) => messages.push(JSON.parse(line).msg) },
    );
    await runRepoResolverPass(world.context(world.session(), { log }));

    const progress = messages.filter((message) => message.startsWith("resolved "));
    assert.deepEqual(
      progress.map((message) => message.replace(/\(\d+\.\d pkgs\/min.*\)$/, "(RATE)")),
      ["resolved 1 packages (50.0%) (RATE)", "resolved 2 packages (100.0%) (RATE)"],
    );
    assert.match(progress[0]!, /\(\d+\.\d pkgs\/min, \d+\.\d min left\)$/);
    assert.match(progress[1]!, /\(\d+\.\d pkgs\/min, 0\.0 min left\)$/);
  });

  test("two `koschei backend repo-resolver` processes on one collection store one set of rows", async () => {
    const collectionId = await world.collection();
    const foo = await world.package("foo", collectionId);
    const qux = await world.package("qux", collectionId);
    await world.build(foo);
    await world.build(qux);
    const runs = await Promise.all([0, 1].map(() => runRepoResolverProcess()));
    assert.deepEqual(runs, [
      { status: 0, stderr: "" },
      { status: 0, stderr: "" },
    ]);
    const collection = await world.collectionRow(collectionId);
    assert.equal(collection.latest_repo_id, FIRST_REPO_ID);
    assert.equal(collection.latest_repo_resolved, true);
    assert.deepEqual(await world.history(foo), [{ resolved: true, problems: [] }]);
    assert.deepEqual(await world.history(qux), [{ resolved: true, problems: [] }]);
  });
});

/** `koschei backend repo-resolver --once` with a cache directory of its own; errors only. */
async function runRepoResolverProcess(): Promise<{ status: number | null; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), "koschei-repo-resolver-process-"));
  try {
    writeFileSync(
      join(dir, "config.yaml"),
      [
        "koji_config:",
        `  server: ${world.sim.hubUrl}`,
        `  topurl: ${world.sim.topurl}`,
        "  login_method: logout",
        "directories:",
        `  cachedir: ${dir}`,
        "",
      ].join("\n"),
    );
    const child = spawn(
      process.execPath,
      [join(process.cwd(), "bin", "koschei"), "backend", "repo-resolver", "--once"],
      {
        env: {
          ...process.env,
          KOSCHEI_CONFIG_DIR: dir,
          KOSCHEI_DATABASE_URL: world.fresh.url,
          HOME: dir,
          WATCHDOG_PATH: "",
        },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    const [status] = (await once(child, "exit")) as [number | null];
    const errors = stderr
      .split("\n")
      .filter((line) => line !== "" && (JSON.parse(line) as { level: number }).level >= 50);
    return { status, stderr: errors.join("\n") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
