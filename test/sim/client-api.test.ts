// Koschei's typed Koji API (src/koji/api.ts and the helpers built on it) against the simulator
// over real HTTP: the Koschei call paths from submitting a scratch build to classifying its
// outcome, with the API's own result-shape checks applied to every simulated answer.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { KojiApi } from "../../src/koji/api.js";
import { fetchBuildGroup } from "../../src/koji/build-group.js";
import { KojiClient } from "../../src/koji/client.js";
import { KojiFault } from "@koschei/koji-protocol/faults.js";
import { fetchKojiLoad } from "../../src/koji/load.js";
import { fetchRpmRequires } from "../../src/koji/requires.js";
import { lastSrpm } from "../../src/koji/srpm.js";
import { childTaskRepoId, isKojiFault } from "../../src/koji/tasks.js";
import { startSimulator, type Simulator } from "@koschei/koji-sim/server.js";
import { control, distScenario } from "./hub-fixture.js";

let sim: Simulator;
let dir: string;
let api: KojiApi;
let client: KojiClient;

before(async () => {
  sim = await startSimulator({
    listen: "127.0.0.1:0",
    scenario: distScenario(),
    plainLoginUser: "koschei",
  });
  // Over plain HTTP the simulator logs sslLogin in as plainLoginUser without looking at any
  // certificate (client.test.ts covers real certificates over HTTPS); the client still reads one.
  dir = mkdtempSync(join(tmpdir(), "koschei-sim-api-"));
  writeFileSync(join(dir, "unused.pem"), "");
  client = new KojiClient({
    server: sim.hubUrl,
    topurl: sim.topurl,
    login_method: "ssl_login",
    login_args: { cert: join(dir, "unused.pem") },
    retry: { retry_interval: 0, max_retries: 2 },
  });
  await client.login();
  api = new KojiApi(client);
});

after(async () => {
  client.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

test("Koschei's read paths: repo, build config, build group, packages, latest builds, SRPMs", async () => {
  assert.equal(await api.getAPIVersion(), 1);
  assert.equal(await api.getKojiVersion(), "1.35.3");
  const repo = (await api.getRepo("dist-build", { state: 1 }))!;
  assert.equal((await api.repoInfo(repo.id))!.tag_name, "dist-build");
  assert.equal(await api.repoInfo(999999), null);
  assert.equal((await api.getBuildConfig("dist-build")).arches, "x86_64 i686");
  assert.equal((await api.getBuildTarget("dist"))!.dest_tag_name, "dist");
  const targets = await api.getBuildTargets();
  assert.deepEqual(
    targets.map((t) => t.name),
    ["dist"],
  );
  assert.deepEqual(await api.getBuildTargets({ buildTagID: "dist-build" }), targets);
  assert.deepEqual(await api.getBuildTargets({ destTagID: "dist-build" }), []);
  assert.equal((await api.getTag("dist"))!.name, "dist");
  assert.deepEqual(
    (await api.listTags()).map((t) => t.name),
    ["dist", "dist-build"],
  );
  assert.deepEqual(await fetchBuildGroup(api, "dist-build", "build", repo.id), ["bash"]);
  const packages = await api.listPackages({ tagID: "dist", inherited: true });
  assert.deepEqual(packages.map((p) => p.package_name).sort(), ["app", "bash", "libfoo"]);
  const latest = await api.listTagged("dist", { latest: true, inherit: true });
  assert.deepEqual(latest.map((b) => b.nvr).sort(), ["app-1.0-1", "bash-5.2-1", "libfoo-1.0-1"]);
  assert.deepEqual(
    await api.listTagged("dist", { event: repo.create_event, latest: true }),
    latest,
  );
  assert.equal((await api.getBuild("app-1.0-1"))!.nvr, "app-1.0-1");
  assert.deepEqual(
    (await api.listBuilds({ prefix: "lib" })).map((b) => b.nvr),
    ["libfoo-1.0-1"],
  );

  const srpm = (await lastSrpm(api, "dist", "app", ".."))!;
  assert.equal(srpm.url, "../packages/app/1.0/1/src/app-1.0-1.src.rpm");
  const nvra = { name: "app", version: "1.0", release: "1", arch: "src" };
  assert.deepEqual(await fetchRpmRequires(api, [nvra, { ...nvra, name: "nope" }]), [
    ["libfoo-devel >= 1.0", "(bash or zsh)"],
    [],
  ]);
  assert.deepEqual(await api.getRPMHeaders(nvra, ["BUILDARCHS", "EXCLUDEARCH", "EXCLUSIVEARCH"]), {
    BUILDARCHS: [],
    EXCLUDEARCH: ["i686"],
    EXCLUSIVEARCH: [],
  });
  assert.equal((await api.getRPMDeps(nvra, 0)).length, 4);
});

test("Koschei's build path: load, submit, poll with multicall, children, outcome, cancel", async () => {
  const load = await fetchKojiLoad(api, ["x86_64", "i686"], ["x86_64"]);
  // builder-2's starting load over both x86_64 builders' capacity.
  assert.equal(load, 1.5 / 6);
  const srpm = (await lastSrpm(api, "dist", "app", ".."))!;
  const ok = await api.build(srpm.url, "dist", { scratch: true }, { priority: 30 });
  const doomed = await api.build(srpm.url, "dist", { scratch: true, arch_override: "s390x" });
  const canceled = await api.build(srpm.url, "dist", { scratch: true });
  await control(sim.url, "/advance", { seconds: 10 });
  await api.cancelTask(canceled);
  await control(sim.url, "/advance", { seconds: 3600 });

  const infos = await api.getTaskInfoMany([ok, doomed, canceled, 1]);
  assert.deepEqual(
    infos.map((i) => (i === null || i instanceof KojiFault ? i : i.state)),
    [2, 5, 3, null],
  );
  const [children] = await api.getTaskChildrenMany([ok], { request: true });
  assert.ok(Array.isArray(children), String(children));
  const repo = (await api.getRepo("dist-build"))!;
  assert.deepEqual(
    children.map((c) => [c.method, childTaskRepoId(c)]),
    [
      ["rebuildSRPM", repo.id],
      ["buildArch", repo.id],
    ],
  );
  assert.equal(await isKojiFault(api, ok), false);
  // No s390x arch in the tag: kojid's "No matching arches" BuildError is the package's failure.
  assert.equal(await isKojiFault(api, doomed), false);
  await assert.rejects(api.getTaskResult(doomed), /No matching arches were found/);
  assert.equal(await isKojiFault(api, canceled), false);
  // Besides ours, the build tasks that made the scenario's builds.
  const builtBy = (await api.listTagged("dist")).map((b) => b.task_id);
  assert.deepEqual(
    (await api.listTasks({ method: "build" })).map((t) => t.id).sort(),
    [...builtBy, ok, doomed, canceled].sort(),
  );
});

test("Koschei's repo_regen path through the API", async () => {
  const tagId = await api.createTag("regen-build", { arches: "x86_64" });
  await api.createBuildTarget("regen", "regen-build", "dist");
  await client.multiCall([
    api.groupListAddCall("regen-build", "build"),
    api.groupPackageListAddCall("regen-build", "build", "bash", {
      type: "mandatory",
      blocked: false,
    }),
  ]);
  assert.deepEqual(
    await fetchBuildGroup(api, "regen-build", "build", (await api.getRepo("dist-build"))!.id),
    ["bash"],
  );
  const external = await api.createExternalRepo("regen-1", "http://example.invalid/1");
  await api.addExternalRepoToTag("regen-build", external.name, 0);
  assert.deepEqual(
    (await api.getTagExternalRepos("regen-build")).map((r) => r.external_repo_id),
    [external.id],
  );
  assert.equal((await api.getExternalRepo("regen-1"))!.url, "http://example.invalid/1/");
  await api.removeExternalRepoFromTag("regen-build", external.id);
  const task = await api.newRepo("regen-build");
  await control(sim.url, "/advance", { seconds: 600 });
  const newRepo = (await api.getRepo(tagId))!;
  assert.equal(newRepo.task_id, task);
  assert.equal(((await api.getTaskResult(task)) as number[])[0], newRepo.id);
});
