// The copr-scheduler (spec 11 §2.4) against PostgreSQL, the Koji hub simulator over HTTP (SRPMs
// and the baseline repo's comps) and the Copr simulator over HTTP: which rebuild goes first, the
// fair share between users, the request's count, `max_builds`, the project Copr gets, and that
// an unavailable, slow or refusing Copr loses nothing and never leaves two builds.
import { isOutage } from "../../src/backend/outages.js";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoprClient, CoprError } from "../../src/plugins/copr/copr-client.js";
import {
  requestCacheDir,
  requestCompsPath,
  requestText,
} from "../../src/plugins/copr/copr-names.js";
import {
  runCoprSchedulerPass,
  type CoprSchedulerOutcome,
} from "../../src/plugins/copr/scheduler.js";
import { silentLogger } from "../../src/log/logger.js";
import { createKoscheiProject, startCoprSim, type CoprWorld } from "../support/copr-world.js";
import { REPO_ID, RUNNING, ServiceWorld, useServiceWorld } from "../backend/service-world.js";

const USER_REPO = "http://copr.example/results/alice/update/fedora-rawhide-x86_64/";
const CHROOT = "custom-1-x86_64";

let world: ServiceWorld;
let copr: CoprWorld;
let scratch: string;
let cachedir: string;
let coprConfigPath: string;

before(async () => {
  copr = await startCoprSim({ timing: { auto: false } });
  scratch = mkdtempSync(join(tmpdir(), "koschei-copr-scheduler-"));
  coprConfigPath = copr.writeConfig(scratch);
});
after(async () => {
  await copr?.close();
  rmSync(scratch, { recursive: true, force: true });
});

useServiceWorld(
  (started) => (world = started),
  async () => {
    cachedir = mkdtempSync(join(scratch, "cache-"));
    configure(15);
    for (const project of [...copr.sim.state.projects.values()]) {
      copr.sim.state.deleteProject(project);
    }
    copr.sim.calls.length = 0;
    copr.sim.setFaults(null);
  },
);

/** The simulators, a cache directory of the test's own and `copr.max_builds`. */
function configure(maxBuilds: number): void {
  world.configure((config) => ({
    ...config,
    copr: { ...config.copr, config_path: coprConfigPath, max_builds: maxBuilds },
    directories: { ...config.directories, cachedir },
  }));
}

function schedule(client?: CoprClient): Promise<CoprSchedulerOutcome> {
  const session = world.session();
  return runCoprSchedulerPass({ session: async () => session, log: silentLogger }, client);
}

async function userId(name: string): Promise<number> {
  const { id } = await world.db
    .insertInto("user")
    .values({ name })
    .onConflict((conflict) => conflict.column("name").doUpdateSet({ name }))
    .returning("id")
    .executeTakeFirstOrThrow();
  return id;
}

const packageIds = new Map<string, number>();

/** The package of that name in f29 (created on first use in a test). */
async function pkg(name: string): Promise<number> {
  const existing = await world.db
    .selectFrom("package")
    .select("id")
    .where("name", "=", name)
    .executeTakeFirst();
  const id = existing?.id ?? (await world.package(name));
  packageIds.set(name, id);
  return id;
}

/** A resolved request in progress, with queued rebuilds of `queue` in that order. */
async function request(
  user: string,
  queue: string[],
  values: { schedule_count?: number; scheduler_queue_index?: number | null } = {},
): Promise<number> {
  await pkg("rnv"); // makes collection f29 exist
  const collection = await world.db.selectFrom("collection").select("id").executeTakeFirstOrThrow();
  const { id } = await world.db
    .insertInto("copr_rebuild_request")
    .values({
      user_id: await userId(user),
      collection_id: collection.id,
      repo_source: `copr:${user}/update`,
      yum_repo: USER_REPO,
      repo_id: REPO_ID,
      schedule_count: 8,
      state: "in progress",
      ...values,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  for (const [order, name] of queue.entries()) {
    await world.db
      .insertInto("copr_rebuild")
      .values({ request_id: id, package_id: await pkg(name), prev_state: 3, order })
      .execute();
  }
  return id;
}

async function rebuilds(requestId: number) {
  return world.db
    .selectFrom("copr_rebuild")
    .innerJoin("package", "package.id", "copr_rebuild.package_id")
    .select(["package.name", "copr_build_id", "state"])
    .where("request_id", "=", requestId)
    .orderBy("order")
    .execute();
}

async function requestState(requestId: number) {
  const { state } = await world.db
    .selectFrom("copr_rebuild_request")
    .select("state")
    .where("id", "=", requestId)
    .executeTakeFirstOrThrow();
  return state;
}

/** Copr build ids by project (`k-<request>-<package>`), of the builds the simulator holds. */
function coprBuildsByProject(): Map<string, number[]> {
  const byProject = new Map<string, number[]>();
  for (const build of copr.sim.state.builds.values()) {
    byProject.set(build.projectname, [...(byProject.get(build.projectname) ?? []), build.id]);
  }
  return byProject;
}

function writeComps(requestId: number, content: string): void {
  mkdirSync(requestCacheDir(cachedir, requestId), { recursive: true });
  writeFileSync(requestCompsPath(cachedir, requestId), content);
}

const srpmUrl = (path: string) => `${world.sim.topurl}/packages/${path}`;
const ECLIPSE_SRPM = "eclipse/4.7.2/2.fc28/src/eclipse-4.7.2-2.fc28.src.rpm";
const RNV_SRPM = "rnv/1.7.11/15.fc28/src/rnv-1.7.11-15.fc28.src.rpm";

describe("texts and places of a request", () => {
  test("description and instructions: dedented, {request_id} filled, braces unescaped", () => {
    assert.equal(requestText("\n   Request {request_id}\n   ({{x}})\n", 12), "Request 12\n({x})");
    assert.equal(requestText("{other} {request_id}", 3), "{other} 3");
  });

  test("the cache directory and comps file are under user_repos/copr-request-<id>", () => {
    assert.equal(requestCacheDir("/var/cache/k", 7), "/var/cache/k/user_repos/copr-request-7");
    assert.equal(requestCompsPath("/c", 7), "/c/user_repos/copr-request-7/comps.xml");
  });
});

describe("what is submitted", () => {
  test("the lowest order first, in a project made of the user's and Koji's repos", async () => {
    const id = await request("alice", ["eclipse", "rnv"]);
    writeComps(id, "<comps>alice's</comps>");
    const outcome = await schedule();
    const eclipse = packageIds.get("eclipse")!;
    assert.equal(outcome.kind, "submitted");
    assert.ok(outcome.kind === "submitted");
    assert.deepEqual([outcome.requestId, outcome.packageId], [id, eclipse]);
    assert.deepEqual(await rebuilds(id), [
      { name: "eclipse", copr_build_id: outcome.coprBuildId, state: RUNNING },
      { name: "rnv", copr_build_id: null, state: null },
    ]);
    const project = copr.sim.state.project("koschei", `k-${id}-${eclipse}`);
    assert.ok(project, "the project exists");
    assert.deepEqual(project.additionalRepos, [
      USER_REPO,
      `${world.sim.topurl}/repos/f29-build/${REPO_ID}/x86_64`,
    ]);
    assert.deepEqual([...project.chroots.keys()], [CHROOT]);
    assert.deepEqual(
      [project.unlistedOnHp, project.develMode, project.enableNet],
      [true, false, false],
    );
    assert.match(project.description, new RegExp(`rebuild request ${id}\\b`));
    const chroot = project.chroots.get(CHROOT)!;
    assert.deepEqual(chroot.additionalPackages, ["@build"]);
    assert.equal(chroot.comps?.content.toString(), "<comps>alice's</comps>");
    const build = copr.sim.state.builds.get(outcome.coprBuildId)!;
    assert.equal(build.srpmUrl, srpmUrl(ECLIPSE_SRPM));
    assert.deepEqual(build.chroots, [CHROOT]);
    assert.equal(build.background, true);
    assert.equal(await requestState(id), "in progress");
  });

  test("without the request's comps file, it is taken from the Koji repo again", async () => {
    const id = await request("alice", ["rnv"]);
    const outcome = await schedule();
    assert.equal(outcome.kind, "submitted");
    const comps = readFileSync(requestCompsPath(cachedir, id), "utf8");
    assert.match(comps, /<id>build<\/id>/);
    assert.match(comps, /expat/);
    const project = copr.sim.state.project("koschei", `k-${id}-${packageIds.get("rnv")}`)!;
    assert.equal(project.chroots.get(CHROOT)!.comps?.content.toString(), comps);
    assert.equal(copr.sim.state.builds.size, 1);
    assert.equal([...copr.sim.state.builds.values()][0]!.srpmUrl, srpmUrl(RNV_SRPM));
  });

  test("schedule_count reached: the request becomes scheduled, nothing is submitted", async () => {
    const id = await request("alice", ["eclipse", "rnv"], { schedule_count: 1 });
    assert.equal((await schedule()).kind, "submitted");
    assert.deepEqual(await schedule(), { kind: "scheduled", requestId: id });
    assert.equal(await requestState(id), "scheduled");
    assert.equal((await rebuilds(id))[1]!.copr_build_id, null);
    assert.equal(copr.sim.state.builds.size, 1);
    assert.deepEqual(await schedule(), { kind: "nothing-to-schedule" });
  });

  test("an empty queue makes the request scheduled; another request's queue is not taken", async () => {
    const empty = await request("alice", [], { scheduler_queue_index: null });
    const other = await request("bob", ["rnv"], { scheduler_queue_index: 5 });
    assert.deepEqual(await schedule(), { kind: "scheduled", requestId: empty });
    assert.equal(await requestState(empty), "scheduled");
    assert.equal((await rebuilds(other))[0]!.copr_build_id, null);
    assert.equal(copr.sim.calls.length, 0);
    const next = await schedule();
    assert.ok(next.kind === "submitted" && next.requestId === other);
  });

  test("copr.max_builds (3) running rebuilds: nothing is asked of Copr", async () => {
    configure(3);
    const id = await request("alice", ["eclipse", "rnv", "expat", "maven"]);
    for (let i = 0; i < 3; i++) assert.equal((await schedule()).kind, "submitted");
    copr.sim.calls.length = 0;
    assert.deepEqual(await schedule(), { kind: "max-builds", running: 3 });
    assert.equal(copr.sim.calls.length, 0);
    assert.equal((await rebuilds(id))[3]!.copr_build_id, null);
  });

  test("users take turns, whatever number of requests each has", async () => {
    const alice1 = await request("alice", ["eclipse", "rnv"]);
    const alice2 = await request("alice", ["expat", "maven"]);
    const bob = await request("bob", ["lbzip2", "log4j"]);
    const turns: string[] = [];
    for (let i = 0; i < 7; i++) {
      const outcome = await schedule();
      turns.push("requestId" in outcome ? `${outcome.kind} ${outcome.requestId}` : outcome.kind);
    }
    assert.deepEqual(turns, [
      `submitted ${alice1}`,
      `submitted ${bob}`,
      `submitted ${alice1}`,
      `submitted ${bob}`,
      `scheduled ${alice1}`,
      `scheduled ${bob}`,
      `submitted ${alice2}`,
    ]);
  });
});

describe("an unavailable Copr loses nothing and never leaves two builds", () => {
  test("Copr down: the pass fails as transient, nothing is recorded; the next pass submits once", async () => {
    const id = await request("alice", ["rnv"]);
    copr.sim.setFaults({ mode: "down" });
    // An outage for the service runner: the pass is repeated with back-off.
    await assert.rejects(
      schedule(),
      (error) => error instanceof CoprError && error.transient && isOutage(error),
    );
    copr.sim.setFaults({ status: 503, count: 1 });
    await assert.rejects(schedule(), (error) => isOutage(error));
    assert.equal((await rebuilds(id))[0]!.copr_build_id, null);
    copr.sim.setFaults(null);
    const outcome = await schedule();
    assert.ok(outcome.kind === "submitted");
    assert.deepEqual(await rebuilds(id), [
      { name: "rnv", copr_build_id: outcome.coprBuildId, state: RUNNING },
    ]);
    assert.deepEqual([...coprBuildsByProject().values()], [[outcome.coprBuildId]]);
  });

  test("Copr too slow: the client gives up, nothing is recorded; the next pass submits once", async () => {
    const id = await request("alice", ["rnv"]);
    const impatient = new CoprClient({
      url: copr.url,
      login: copr.user.login,
      username: copr.user.username,
      token: copr.user.token,
      timeouts: { connectMs: 1000, idleMs: 300, overallMs: 300 },
    });
    copr.sim.setFaults({ path: "/api_3/project/add", mode: "hang", count: 1 });
    await assert.rejects(
      schedule(impatient),
      (error) => error instanceof CoprError && error.transient && isOutage(error),
    );
    assert.equal((await rebuilds(id))[0]!.copr_build_id, null);
    const outcome = await schedule(impatient);
    assert.ok(outcome.kind === "submitted");
    assert.equal((await rebuilds(id))[0]!.copr_build_id, outcome.coprBuildId);
    assert.deepEqual([...coprBuildsByProject().values()], [[outcome.coprBuildId]]);
  });

  test("a build Copr made but Koschei never recorded (a crash) is replaced, not doubled", async () => {
    const id = await request("alice", ["rnv"]);
    const project = `k-${id}-${packageIds.get("rnv")}`;
    // What a scheduler that crashed before its commit left behind.
    await createKoscheiProject(copr, project, CHROOT);
    const client = new CoprClient({ url: copr.url, ...copr.user });
    const untracked = await client.createBuildFromUrl("koschei", project, srpmUrl(RNV_SRPM), {
      chroots: [CHROOT],
    });
    const outcome = await schedule();
    assert.ok(outcome.kind === "submitted");
    assert.notEqual(outcome.coprBuildId, untracked.id);
    assert.deepEqual(coprBuildsByProject(), new Map([[project, [outcome.coprBuildId]]]));
    assert.equal((await rebuilds(id))[0]!.copr_build_id, outcome.coprBuildId);
  });

  test("Copr refuses: logged, the rebuild stays queued and the user goes behind the others", async () => {
    const alice = await request("alice", ["rnv"]);
    const bob = await request("bob", ["eclipse"]);
    copr.sim.setFaults({ path: "/api_3/build/create", status: 400, count: 1 });
    const refused = await schedule();
    assert.equal(refused.kind, "refused");
    assert.equal((await rebuilds(alice))[0]!.copr_build_id, null);
    const next = await schedule();
    assert.ok(next.kind === "submitted" && next.requestId === bob);
    const again = await schedule();
    assert.ok(again.kind === "submitted" && again.requestId === alice);
  });

  test("two schedulers at once submit each rebuild once", async () => {
    const alice = await request("alice", ["eclipse", "rnv", "expat"]);
    const bob = await request("bob", ["maven", "lbzip2"]);
    for (let round = 0; round < 3; round++) await Promise.all([schedule(), schedule()]);
    const tracked = [...(await rebuilds(alice)), ...(await rebuilds(bob))]
      .map((rebuild) => rebuild.copr_build_id)
      .filter((build) => build !== null);
    assert.ok(tracked.length >= 3, `${tracked.length} submitted`);
    const held = [...coprBuildsByProject().values()];
    assert.ok(
      held.every((builds) => builds.length === 1),
      JSON.stringify(held),
    );
    assert.deepEqual(held.flat().sort(), [...tracked].sort());
    const buildCalls = copr.sim.calls.filter((call) => call.path.startsWith("/api_3/build/create"));
    assert.equal(buildCalls.length, tracked.length, "one Copr build per submitted rebuild");
  });
});
