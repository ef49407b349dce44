// End to end over real processes and HTTP: `koschei sim-koji` serves the bundled demo scenario;
// the Koji client reads the target, repo, build group and BuildRequires from it as Koschei
// does; `koschei-admin resolve` downloads the repo from the simulator's topurl and resolves.

import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { KojiApi } from "../../src/koji/api.js";
import { fetchBuildGroup } from "../../src/koji/build-group.js";
import { KojiClient } from "../../src/koji/client.js";
import { repoUrl } from "@koschei/koji-protocol/paths.js";
import { fetchRpmRequires } from "../../src/koji/requires.js";

const BIN_DIR = fileURLToPath(new URL("../../../bin/", import.meta.url));
const PACKAGES_TO_RESOLVE = 40;

let simulator: ChildProcessWithoutNullStreams;
let hubUrl: string;
let topurl: string;
let workDir: string;

before(async () => {
  workDir = mkdtempSync(join(tmpdir(), "koschei-e2e-"));
  simulator = spawn(
    process.execPath,
    [join(BIN_DIR, "koschei"), "sim-koji", "--listen", "127.0.0.1:0", "--speed", "0"],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let banner = "";
  simulator.stdout.setEncoding("utf8");
  for await (const chunk of simulator.stdout) {
    banner += chunk;
    if (banner.includes("topurl")) break;
  }
  hubUrl = /at (http:\/\/\S+\/kojihub)/.exec(banner)?.[1] ?? "";
  topurl = /topurl (http:\/\/\S+?),/.exec(banner)?.[1] ?? "";
  assert.ok(hubUrl && topurl, `unexpected simulator banner: ${banner}`);
});

after(async () => {
  simulator.kill("SIGTERM");
  await once(simulator, "exit");
  rmSync(workDir, { recursive: true, force: true });
});

function runAdmin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(BIN_DIR, "koschei-admin"), ...args], {
    env: { ...process.env, XDG_CACHE_HOME: join(workDir, "cache") },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => {
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test("the demo's packages resolve against the simulator's repo, as Koschei reads it", async () => {
  const api = new KojiApi(new KojiClient({ server: hubUrl, topurl }));
  const target = await api.getBuildTarget("f99");
  assert.ok(target, "the demo scenario has the f99 target");
  const repo = await api.getRepo(target.build_tag_name);
  assert.ok(repo, "the build tag has a ready repo");
  const group = await fetchBuildGroup(api, target.build_tag_name, "build", repo.id);
  assert.ok(group && group.length > 0, "the build tag has a build group");

  const tagged = await api.listTagged(target.dest_tag_name, { latest: true });
  const builds = tagged.sort((a, b) => a.name.localeCompare(b.name)).slice(0, PACKAGES_TO_RESOLVE);
  assert.equal(builds.length, PACKAGES_TO_RESOLVE);
  const srpms = await Promise.all(
    builds.map(async (build) => {
      const [srpm] = await api.listRPMs({ buildID: build.build_id, arches: "src" });
      assert.ok(srpm, `${build.nvr} has an SRPM`);
      return srpm;
    }),
  );
  const requires = await fetchRpmRequires(api, srpms);

  const srpmsFile = join(workDir, "srpms.jsonl");
  const groupFile = join(workDir, "group.json");
  writeFileSync(groupFile, JSON.stringify(group));
  writeFileSync(
    srpmsFile,
    builds
      .map((build, i) =>
        JSON.stringify({
          name: build.name,
          epoch: build.epoch ?? 0,
          version: build.version,
          release: build.release,
          buildrequires: requires[i],
        }),
      )
      .join("\n") + "\n",
  );
  const url = repoUrl(topurl, target.build_tag_name, repo.id, "x86_64");
  const result = await runAdmin([
    "resolve",
    "--repo",
    url,
    "--build-group-file",
    groupFile,
    "--srpms",
    srpmsFile,
    "--jobs",
    "2",
  ]);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line));
  assert.deepEqual(
    lines.map((line) => line.name),
    builds.map((build) => build.name),
    "one answer per package, in input order",
  );
  for (const line of lines) {
    assert.equal(line.resolved, true, `${line.name}: ${line.problems.join("; ")}`);
    const installed = new Set(line.installs.map((i: { name: string }) => i.name));
    assert.ok(installed.has("bash"), `${line.name}: the build group's bash is installed`);
  }
  const direct = lines.filter((line) =>
    line.installs.some((i: { distance: number | null }) => i.distance === 1),
  );
  assert.ok(direct.length > 0, "direct BuildRequires are at distance 1");
});

test("a repo the simulator does not have is reported as such", async () => {
  const srpmsFile = join(workDir, "one.jsonl");
  writeFileSync(
    srpmsFile,
    JSON.stringify({ name: "x", epoch: 0, version: "1", release: "1", buildrequires: [] }) + "\n",
  );
  const url = repoUrl(topurl, "f99-build", 999999, "x86_64");
  const result = await runAdmin(["resolve", "--repo", url, "--srpms", srpmsFile]);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /999999/);
  assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
});
