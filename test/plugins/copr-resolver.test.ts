// The copr-resolver service (spec 11 §2.3) against PostgreSQL, the Koji simulator over HTTP
// (collection f29, repo 123 with the build group R and the copr-test packages), the Copr
// simulator over HTTP, and the user's repo served by a small file server.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { parseScenario } from "@koschei/koji-sim/scenario.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { EventBus } from "../../src/backend/events.js";
import type { BackendSession } from "../../src/backend/session.js";
import { loadConfig, type KoscheiConfig } from "../../src/config/index.js";
import { KojiSessions } from "../../src/koji/sessions.js";
import { silentLogger } from "../../src/log/logger.js";
import {
  compareResolutions,
  inputChrootRepo,
  parseRepoSource,
  rebuildPriority,
  rebuildQueue as queueOf,
} from "../../src/plugins/copr/resolution-comparison.js";
import { runCoprResolverPass } from "../../src/plugins/copr/resolver.js";
import type { InstalledPackage, Resolution } from "../../src/depsolve/pool.js";
import { control } from "../sim/hub-fixture.js";
import { startCoprSim, type CoprWorld } from "../support/copr-world.js";
import { freshDatabase, type FreshDatabase } from "../support/database.js";
import { resolverScenarioJson, tearDownWorld } from "../support/koji-world.js";
import {
  BASELINE,
  binaryBuild,
  RAWHIDE,
  REPO_ID,
  seedCollection,
  SOURCES,
  startFileServer,
  USER_REPO,
} from "./fixtures/copr/collection.js";
import { writeFixtureRepo } from "./fixtures/copr/repos.js";
import { simKojiOptions } from "../support/sim-koji.js";

let scratch: string;
let fresh: FreshDatabase;
let koji: { sim: Simulator; sessions: KojiSessions };
let copr: CoprWorld;
let files: { url: string; server: Server };
let baseConfig: KoscheiConfig;
let collectionId: number;
let packageIds: Record<string, number>;
let userId: number;

function session(overriding = false): BackendSession {
  return {
    config: { ...baseConfig, copr: { ...baseConfig.copr, overriding_by_exclusions: overriding } },
    database: fresh.database,
    koji: koji.sessions,
    events: new EventBus(silentLogger),
    log: silentLogger,
    now: () => new Date(),
  };
}

function runPass(backend: BackendSession = session()): Promise<void> {
  return runCoprResolverPass({
    session: async () => backend,
    log: silentLogger,
    stopping: new AbortController().signal,
  });
}

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), "koschei-copr-resolver-"));
  const scenario = resolverScenarioJson({
    name: "copr-resolver",
    startTime: "2018-04-05T12:00:00Z",
    host: "builder",
    tag: "f29",
    binaryBuilds: BASELINE.map(binaryBuild),
    sources: SOURCES,
    repoId: REPO_ID,
  });
  const sim = await startSimulator({
    listen: "127.0.0.1:0",
    scenario: parseScenario(scenario, "copr-resolver"),
  });
  const sessions = await KojiSessions.open(simKojiOptions(sim, scratch, "logout", 30), null);
  koji = { sim, sessions };
  copr = await startCoprSim();
  const repos = join(scratch, "served");
  await writeFixtureRepo(join(repos, "user"), USER_REPO);
  await writeBrokenRepo(join(repos, "broken"));
  files = await startFileServer(repos);
  const configDir = join(scratch, "etc");
  mkdirSync(configDir);
  writeFileSync(
    join(configDir, "config.yaml"),
    [
      "directories:",
      `  cachedir: ${join(scratch, "cache")}`,
      "copr:",
      `  config_path: ${copr.writeConfig(configDir)}`,
      "",
    ].join("\n"),
  );
  baseConfig = loadConfig("backend", { KOSCHEI_CONFIG_DIR: configDir, HOME: scratch });
  fresh = await freshDatabase();
  copr.sim.createProject({
    ownername: "user",
    name: "update",
    chroots: [RAWHIDE],
    chrootRepos: { [RAWHIDE]: `${files.url}/user/` },
  });
  copr.sim.createProject({
    ownername: "user",
    name: "old-fedora",
    chroots: ["fedora-39-x86_64"],
    chrootRepos: { "fedora-39-x86_64": `${files.url}/user/` },
  });
  copr.sim.createProject({
    ownername: "user",
    name: "broken",
    chroots: [RAWHIDE],
    chrootRepos: { [RAWHIDE]: `${files.url}/broken/` },
  });
  copr.sim.createProject({
    ownername: "user",
    name: "local",
    chroots: [RAWHIDE],
    chrootRepos: { [RAWHIDE]: `file://${join(repos, "user")}/` },
  });
  copr.sim.createProject({
    ownername: "user",
    name: "flaky",
    chroots: [RAWHIDE],
    chrootRepos: { [RAWHIDE]: `${files.url}/unavailable/` },
  });
  copr.sim.createProject({
    ownername: "user",
    name: "gone",
    chroots: [RAWHIDE],
    chrootRepos: { [RAWHIDE]: `${files.url}/nothing-here/` },
  });
});

after(async () => {
  await koji?.sessions.close();
  await tearDownWorld(scratch, fresh, koji?.sim, copr, {
    close: () => new Promise<void>((resolve) => files.server.close(() => resolve())),
  });
});

/** A repo whose primary.xml.gz is a valid gzip of invalid XML, with checksums to match. */
async function writeBrokenRepo(dir: string): Promise<void> {
  await writeFixtureRepo(dir, USER_REPO);
  const open = Buffer.from("<metadata><package>", "utf8");
  const primary = gzipSync(open);
  writeFileSync(join(dir, "repodata", "primary.xml.gz"), primary);
  const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");
  const repomdPath = join(dir, "repodata", "repomd.xml");
  const repomd = readFileSync(repomdPath, "utf8");
  const entry = /<data type="primary">[\s\S]*?<\/data>/.exec(repomd)![0];
  const fixed = entry
    .replace(/(<checksum type="sha256">)[0-9a-f]+/, `$1${sha256(primary)}`)
    .replace(/(<open-checksum type="sha256">)[0-9a-f]+/, `$1${sha256(open)}`)
    .replace(/(<size>)\d+/, `$1${primary.length}`)
    .replace(/(<open-size>)\d+/, `$1${open.length}`);
  writeFileSync(repomdPath, repomd.replace(entry, fixed));
}

beforeEach(async () => {
  await fresh.database.query(
    'TRUNCATE collection, base_package, package, build, "user" RESTART IDENTITY CASCADE',
  );
  copr.sim.setFaults(null);
  ({ collectionId, packageIds } = await seedCollection(fresh.database.db));
  ({ id: userId } = await fresh.database.db
    .insertInto("user")
    .values({ name: "someone" })
    .returning("id")
    .executeTakeFirstOrThrow());
});

async function newRequest(repoSource: string): Promise<number> {
  const { id } = await fresh.database.db
    .insertInto("copr_rebuild_request")
    .values({ user_id: userId, collection_id: collectionId, repo_source: repoSource })
    .returning("id")
    .executeTakeFirstOrThrow();
  return id;
}

async function requestRow(id: number) {
  return fresh.database.db
    .selectFrom("copr_rebuild_request")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}

async function namesById(): Promise<Map<number, string>> {
  return new Map(Object.entries(packageIds).map(([name, id]) => [id, name]));
}

/** The request's resolution changes as `name prev→curr`, and their problems, by name. */
async function resolutionChanges(requestId: number) {
  const names = await namesById();
  const rows = await fresh.database.db
    .selectFrom("copr_resolution_change")
    .selectAll()
    .where("request_id", "=", requestId)
    .execute();
  return rows
    .map((row) => ({
      change: `${names.get(row.package_id)} ${row.prev_resolved}→${row.curr_resolved}`,
      problems: row.problems,
    }))
    .sort((a, b) => a.change.localeCompare(b.change));
}

/** The request's rebuild queue as `order name prev_state`, in order. */
async function rebuildQueue(requestId: number): Promise<string[]> {
  const names = await namesById();
  const rows = await fresh.database.db
    .selectFrom("copr_rebuild")
    .selectAll()
    .where("request_id", "=", requestId)
    .orderBy("order")
    .execute();
  return rows.map((row) => {
    assert.equal(row.state, null);
    assert.equal(row.copr_build_id, null);
    return `${row.order} ${names.get(row.package_id)} ${row.prev_state}`;
  });
}

describe("a request against a Copr project with a rawhide repo", () => {
  test("one package becomes resolvable, two are queued by priority", async () => {
    const id = await newRequest("copr:user/update");
    await runPass();
    const request = await requestRow(id);
    assert.equal(request.state, "in progress");
    assert.equal(request.error, null);
    assert.equal(request.repo_id, REPO_ID);
    assert.equal(request.yum_repo, `${files.url}/user/`);
    assert.deepEqual(await resolutionChanges(id), [{ change: "c2 false→true", problems: [] }]);
    // c1: copr-test1 2.0 (distance 1, 50) and libnew (distance 2, 25); c3: libfoo 2.0 (25).
    assert.deepEqual(await rebuildQueue(id), ["0 c1 3", "1 c3 5"]);
    const userRepo = join(baseConfig.directories.cachedir, "user_repos", `copr-request-${id}`);
    assert.ok(statSync(join(userRepo, "repodata", "repomd.xml")).isFile());
    const comps = statSync(join(userRepo, "comps.xml"));
    assert.ok(comps.nlink >= 2, "comps.xml is a hard link of the Koji repo's");
    assert.match(readFileSync(join(userRepo, "comps.xml"), "utf8"), /<packagereq[^>]*>R</);
  });

  test("with overriding, the newer copr-test4 nothing can install breaks c4", async () => {
    const id = await newRequest("copr:user/update");
    await runPass(session(true));
    const changes = await resolutionChanges(id);
    assert.deepEqual(
      changes.map((change) => change.change),
      ["c2 false→true", "c4 true→false"],
    );
    assert.match(changes[1]!.problems!.join("\n"), /nothing provides missing-soname/);
    // The newer libfoo still wins for c3, and copr-test1 for c1.
    assert.deepEqual(await rebuildQueue(id), ["0 c1 3", "1 c3 5"]);
  });

  test("a request that changes nothing is finished", async () => {
    await fresh.database.db
      .updateTable("package")
      .set({ tracked: false })
      .where("name", "in", ["c1", "c2", "c3"])
      .execute();
    const id = await newRequest("copr:user/update");
    await runPass();
    assert.equal((await requestRow(id)).state, "finished");
    assert.deepEqual(await resolutionChanges(id), []);
    assert.deepEqual(await rebuildQueue(id), []);
  });

  test("two passes at once work on the request once", async () => {
    const id = await newRequest("copr:user/update");
    await Promise.all([runPass(session()), runPass(session())]);
    assert.equal((await requestRow(id)).state, "in progress");
    assert.equal((await resolutionChanges(id)).length, 1);
    assert.deepEqual(await rebuildQueue(id), ["0 c1 3", "1 c3 5"]);
  });
});

describe("refusals fail the request with the reason", () => {
  const cases = [
    {
      name: "no such Copr project",
      source: "copr:user/missing",
      error: /^Couldn't obtain copr project: .+/,
    },
    {
      name: "no rawhide chroot",
      source: "copr:user/old-fedora",
      error: /^Input project doesn't have suitable chroot\. Needs one of: fedora-rawhide-x86_64$/,
    },
    {
      name: "a user repo whose primary is not XML",
      source: "copr:user/broken",
      error: /^Cannot download user repo: .*primary/,
    },
    {
      name: "a user repo that does not exist",
      source: "copr:user/gone",
      error: /^Cannot download user repo: .*404/,
    },
    {
      name: "a user repo that is not on HTTP(S)",
      source: "copr:user/local",
      error: /^Cannot download user repo: file:.* is not an http\(s\) URL$/,
    },
    {
      name: "a repo source that names no Copr project",
      source: "koji:something",
      error: /^Invalid repo source "koji:something": expected copr:<owner>\/<project>$/,
    },
  ];
  for (const { name, source, error } of cases) {
    test(name, async () => {
      const id = await newRequest(source);
      const other = await newRequest("copr:user/update");
      await runPass();
      const request = await requestRow(id);
      assert.equal(request.state, "failed");
      assert.match(request.error ?? "", error);
      assert.deepEqual(await resolutionChanges(id), []);
      assert.deepEqual(await rebuildQueue(id), []);
      // The pass went on with the next request.
      assert.equal((await requestRow(other)).state, "in progress");
    });
  }
});

describe("what cannot be done now is done later", () => {
  test("Copr answering 503 leaves the request new; the next pass completes it", async () => {
    const id = await newRequest("copr:user/update");
    copr.sim.setFaults({ status: 503 });
    await runPass();
    const waiting = await requestRow(id);
    assert.equal(waiting.state, "new");
    assert.equal(waiting.error, null);
    copr.sim.setFaults(null);
    await runPass();
    assert.equal((await requestRow(id)).state, "in progress");
    assert.deepEqual(await rebuildQueue(id), ["0 c1 3", "1 c3 5"]);
  });

  test("Koji failing ends the pass with the request new; the next pass completes it", async () => {
    const id = await newRequest("copr:user/update");
    const fault = await control(koji.sim.url, "/faults", {
      method: "repoInfo",
      count: 2,
      httpStatus: 503,
    });
    assert.equal(fault.status, 200, JSON.stringify(fault.body));
    await assert.rejects(runPass());
    assert.equal((await requestRow(id)).state, "new");
    assert.deepEqual(await rebuildQueue(id), []);
    await runPass();
    assert.equal((await requestRow(id)).state, "in progress");
  });

  test("a user repo server answering 503 (after retries) leaves the request new", async () => {
    const id = await newRequest("copr:user/flaky");
    await runPass();
    const request = await requestRow(id);
    assert.equal(request.state, "new");
    assert.equal(request.error, null);
  });

  test("a baseline repo Koji no longer has leaves the request new", async () => {
    await fresh.database.db
      .updateTable("collection")
      .set({ latest_repo_id: REPO_ID + 1000 })
      .where("id", "=", collectionId)
      .execute();
    const id = await newRequest("copr:user/update");
    await runPass();
    const request = await requestRow(id);
    assert.equal(request.state, "new");
    assert.equal(request.error, null);
  });

  test("a collection without a repo leaves the request new", async () => {
    await fresh.database.db
      .updateTable("collection")
      .set({ latest_repo_id: null, latest_repo_resolved: null })
      .where("id", "=", collectionId)
      .execute();
    const id = await newRequest("copr:user/update");
    await runPass();
    assert.equal((await requestRow(id)).state, "new");
  });
});

describe("the decisions (pure)", () => {
  const pkg = (name: string, version: string, distance: number | null): InstalledPackage => ({
    name,
    epoch: 0,
    version,
    release: "1",
    arch: "x86_64",
    distance,
  });
  const resolved = (...installs: InstalledPackage[]): Resolution => ({
    resolved: true,
    problems: [],
    installs,
  });
  const unresolved = (problem: string): Resolution => ({
    resolved: false,
    problems: [problem],
    installs: null,
  });

  test("repo sources", () => {
    assert.deepEqual(parseRepoSource("copr:me/proj"), { owner: "me", name: "proj" });
    for (const bad of ["copr:me", "copr:me/proj/x", "copr:/proj", "me/proj", "copr:me/ proj"]) {
      assert.equal(parseRepoSource(bad), null, bad);
    }
  });

  test("the input chroot's repo", () => {
    assert.equal(
      inputChrootRepo({ [RAWHIDE]: "https://r/", "fedora-39-x86_64": "x" }),
      "https://r/",
    );
    assert.equal(inputChrootRepo({ "fedora-39-x86_64": "x" }), null);
    assert.equal(inputChrootRepo({ [RAWHIDE]: "" }), null);
    assert.equal(
      inputChrootRepo(JSON.parse('{"__proto__": {"fedora-rawhide-x86_64": "x"}}')),
      null,
    );
  });

  test("a changed resolvability is a resolution change with the problems after", () => {
    assert.deepEqual(compareResolutions(unresolved("before"), resolved()), {
      kind: "resolution-change",
      prevResolved: false,
      currResolved: true,
      problems: [],
    });
    assert.deepEqual(compareResolutions(resolved(), unresolved("after")), {
      kind: "resolution-change",
      prevResolved: true,
      currResolved: false,
      problems: ["after"],
    });
  });

  test("equal installed sets, or unresolved both times, leave the package alone", () => {
    const same = [pkg("a", "1", 1), pkg("b", "1", 2)];
    assert.deepEqual(compareResolutions(resolved(...same), resolved(...same)), {
      kind: "unaffected",
    });
    assert.deepEqual(compareResolutions(unresolved("x"), unresolved("y")), { kind: "unaffected" });
  });

  test("a rebuild's priority sums 100/(2d) over the packages new after", () => {
    const before = resolved(pkg("a", "1", 1), pkg("b", "1", 2));
    const after = resolved(
      pkg("a", "2", 1),
      pkg("b", "1", 2),
      pkg("c", "1", 3),
      pkg("d", "1", null),
    );
    assert.deepEqual(compareResolutions(before, after), {
      kind: "rebuild",
      priority: 50 + 100 / 6,
    });
    // Only a package gone: the set differs, nothing new adds priority.
    assert.deepEqual(compareResolutions(before, resolved(pkg("a", "1", 1))), {
      kind: "rebuild",
      priority: 0,
    });
    assert.equal(rebuildPriority([{ distance: 4 }, { distance: null }]), 12.5);
  });

  test("the queue: highest priority first, ties in input order", () => {
    const queue = queueOf([
      { packageId: 1, priority: 25 },
      { packageId: 2, priority: 75 },
      { packageId: 3, priority: 25 },
      { packageId: 4, priority: 0 },
    ]);
    assert.deepEqual(
      queue.map(({ packageId, order }) => [packageId, order]),
      [
        [2, 0],
        [1, 1],
        [3, 2],
        [4, 3],
      ],
    );
  });
});
