// `npm run bench:sim`: the Koji hub simulator on the whole Debian-derived set
// (<shared>/bench/debian: 34,299 sources, 63,440 binaries): scenario generation and load,
// `koschei sim-koji` start-up, the whole-tag calls Koschei makes (listTagged of the build tag
// with latest=True, listPackages, getTagGroups) over HTTP, the first repodata generation and
// the hub's latency meanwhile, and memory. Prints figures only.
//
//   npm run bench:sim [-- --scenario FILE]
//
// Without --scenario the scenario is generated with `koschei sim-scenario` into a temporary
// directory. The shared directory is `../shared` next to the repository root unless
// KOSCHEI_SHARED_DIR says otherwise.

import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { decodeResponse, encodeCall } from "@koschei/koji-protocol/xmlrpc-client.js";
import { kwargs, type XmlRpcValue } from "@koschei/koji-protocol/xmlrpc.js";
import { loadScenario } from "@koschei/koji-sim/scenario.js";
import { SimState } from "@koschei/koji-sim/state.js";

import { generateScenario, option, report, s, startSimKoji, timed } from "./debian-sim.js";
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Resident and peak resident memory of a process, from /proc. */
function memoryOf(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)![1]);
  return `${mib(kib("VmRSS") * 1024)} resident, ${mib(kib("VmHWM") * 1024)} peak`;
}

async function hubCall(
  url: string,
  method: string,
  params: XmlRpcValue[],
): Promise<{ value: XmlRpcValue; bytes: number; seconds: number; decodeSeconds: number }> {
  const [body, seconds] = await timed(async () => {
    const response = await fetch(`${url}/kojihub`, {
      method: "POST",
      body: encodeCall(method, params),
    });
    return Buffer.from(await response.arrayBuffer());
  });
  const [value, decodeSeconds] = await timed(() => decodeResponse(body));
  return { value, bytes: body.length, seconds, decodeSeconds };
}

async function fetchFile(url: string): Promise<{ bytes: number; seconds: number }> {
  const [body, seconds] = await timed(async () => {
    const response = await fetch(url);
    if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
    return Buffer.from(await response.arrayBuffer());
  });
  return { bytes: body.length, seconds };
}

async function main(): Promise<void> {
  const tempDir = mkdtempSync(join(tmpdir(), "koschei-bench-sim-"));
  let child: ChildProcess | undefined;
  try {
    const scenarioPath = option("--scenario") ?? generateScenario(tempDir);

    const [scenario, loadSeconds] = await timed(() => loadScenario(scenarioPath));
    const rpmCount = scenario.builds.reduce((sum, build) => sum + build.rpms.length, 0);
    report(
      `scenario load (${scenario.builds.length} builds, ${rpmCount} RPMs)`,
      `${s(loadSeconds)} (read, parse, validate)`,
    );
    const [, stateSeconds] = await timed(() => new SimState(scenario));
    report("simulated hub state built from it (in process)", s(stateSeconds));
    const buildTag = scenario.targets[0]!.buildTag;

    const [started, startSeconds] = await timed(() => startSimKoji(scenarioPath));
    child = started.child;
    const url = started.url;
    report("koschei sim-koji start-up (to listening)", s(startSeconds));
    report("  memory after start-up", memoryOf(child.pid!));

    for (const attempt of ["first", "second"]) {
      const tagged = await hubCall(url, "listTagged", [
        buildTag,
        kwargs({ inherit: true, latest: true }),
      ]);
      report(
        `listTagged(${buildTag}, latest) over HTTP, ${attempt}`,
        `${s(tagged.seconds)}: ${(tagged.value as unknown[]).length} builds, ` +
          `${mib(tagged.bytes)} XML (+${s(tagged.decodeSeconds)} to decode)`,
      );
    }
    const packages = await hubCall(url, "listPackages", [
      kwargs({ tagID: buildTag, inherited: true }),
    ]);
    report(
      `listPackages(${buildTag}, inherited) over HTTP`,
      `${s(packages.seconds)}: ${(packages.value as unknown[]).length} packages`,
    );
    const groups = await hubCall(url, "getTagGroups", [buildTag]);
    report(
      `getTagGroups(${buildTag}) over HTTP`,
      `${s(groups.seconds)}: ${(groups.value as unknown[]).length} groups`,
    );
    report("  memory after the whole-tag calls", memoryOf(child.pid!));

    const repo = (await hubCall(url, "getRepo", [buildTag])).value as { id: number };
    const repodata = `${url}/kojifiles/repos/${buildTag}/${repo.id}/x86_64/repodata`;
    const generation = fetchFile(`${repodata}/repomd.xml`);
    // The hub's latency while the repodata is generated (in a worker thread).
    await new Promise((wait) => setTimeout(wait, 500));
    const during = await hubCall(url, "getRepo", [buildTag]);
    const first = await generation;
    report(`first repodata generation (repo ${repo.id}, x86_64)`, s(first.seconds));
    report("  getRepo latency during the generation", s(during.seconds));
    for (const name of ["primary.xml.gz", "filelists.xml.gz", "other.xml.gz"]) {
      const file = await fetchFile(`${repodata}/${name}`);
      report(`  ${name} afterwards (cached)`, `${s(file.seconds)}, ${mib(file.bytes)}`);
    }
    report("  memory after the repodata", memoryOf(child.pid!));
    console.log(
      `\nload average ${loadavg()[0]!.toFixed(1)} at end (timings assume an idle machine)`,
    );
  } finally {
    child?.kill("SIGTERM");
    rmSync(tempDir, { recursive: true, force: true });
  }
}

await main();
