// `npm run bench:resolve`: dependency resolution over the shared Debian benchmark
// (<shared>/bench/debian): repo load time cold (XML) and warm (.solv cache), resolutions per
// minute with 1 and 2 worker threads, whole-set wall time, peak RSS — beside the reference
// figures of <shared>/bench/README.md. The shared directory is `../shared` next to the
// repository root unless KOSCHEI_SHARED_DIR says otherwise.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { libsolvVersion, openPool } from "../src/depsolve/pool.js";
import { openResolverPool, type ResolveRequest } from "../src/depsolve/resolver-pool.js";

/** Reference figures of bench/README.md (same machine, 2 cores). */
const REFERENCE = {
  name: "hawkey (libdnf 0.69)",
  loadSeconds: 1.2,
  perMinuteOneThread: 40_100,
  wholeSetSeconds: 51,
};
/** How many of the Debian source packages resolve, per bench/README.md. */
const EXPECTED_RESOLVED = 34_285;
/** Targets of the dependency-resolution issue. */
const TARGETS = {
  wholeSetSeconds: 17,
  oneThreadRatio: 1.2,
  warmLoadSeconds: 0.5,
  peakRssMiB: 1536,
};

function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return dir;
}

const shared = process.env.KOSCHEI_SHARED_DIR ?? join(repositoryRoot(), "..", "shared");
const benchDir = resolve(shared, "bench", "debian");
const repo = join(benchDir, "repo");

interface Source {
  name: string;
  epoch: number;
  version: string;
  release: string;
  buildrequires: string[];
  group?: string[];
}

const buildGroup = JSON.parse(readFileSync(join(benchDir, "build-group.json"), "utf8")) as string[];
const requests: ResolveRequest[] = readFileSync(join(benchDir, "srpms.jsonl"), "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => {
    const source = JSON.parse(line) as Source;
    return { source, buildRequires: source.buildrequires, buildGroup: source.group ?? buildGroup };
  });

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function timeLoad(cacheDir: string): { seconds: number; fromCache: boolean } {
  const start = process.hrtime.bigint();
  const pool = openPool({ repos: [repo], cacheDir });
  const elapsed = seconds(start);
  const fromCache = pool.repos.every((r) => r.fromCache);
  pool.close();
  return { seconds: elapsed, fromCache };
}

interface SetRun {
  workers: number;
  seconds: number;
  perMinute: number;
  resolved: number;
  cpuMsPerResolution: number;
}

async function resolveWholeSet(workers: number, cacheDir: string): Promise<SetRun> {
  const pool = await openResolverPool({ repos: [repo], cacheDir, workers });
  try {
    const cpuBefore = process.cpuUsage();
    const start = process.hrtime.bigint();
    let resolved = 0;
    for await (const resolution of pool.resolveAll(requests)) if (resolution.resolved) resolved++;
    const elapsed = seconds(start);
    const cpu = process.cpuUsage(cpuBefore);
    return {
      workers,
      seconds: elapsed,
      perMinute: Math.round((requests.length / elapsed) * 60),
      resolved,
      cpuMsPerResolution: (cpu.user + cpu.system) / 1000 / requests.length,
    };
  } finally {
    await pool.close();
  }
}

/** measure, ours, reference, ratio (how many times better ours is). */
type Row = [string, string, string, string];

function durationRow(what: string, ours: number, reference: number, digits: number): Row {
  return [what, `${ours.toFixed(digits)} s`, `${reference} s`, `${(reference / ours).toFixed(2)}×`];
}

function rateRow(what: string, ours: number, reference: number): Row {
  return [what, `${ours}`, `${reference}`, `${(ours / reference).toFixed(2)}×`];
}

const cacheDir = mkdtempSync(join(tmpdir(), "koschei-bench-solv-"));
try {
  console.log(
    `Debian benchmark: ${requests.length} source packages, libsolv ${libsolvVersion()}, ` +
      `${cpus().length} cores, ` +
      `load average ${loadavg()[0]!.toFixed(1)} at start`,
  );
  const cold = timeLoad(cacheDir);
  const warm = timeLoad(cacheDir);
  if (cold.fromCache || !warm.fromCache) throw new Error("the .solv cache did not behave");
  const one = await resolveWholeSet(1, cacheDir);
  const two = await resolveWholeSet(2, cacheDir);
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;

  const rows: Row[] = [
    durationRow("repo load, cold (XML)", cold.seconds, REFERENCE.loadSeconds, 2),
    durationRow("repo load, warm (.solv)", warm.seconds, REFERENCE.loadSeconds, 2),
    rateRow("resolutions/min, 1 worker", one.perMinute, REFERENCE.perMinuteOneThread),
    rateRow("resolutions/min, 2 workers", two.perMinute, REFERENCE.perMinuteOneThread),
    durationRow("whole set, 2 workers", two.seconds, REFERENCE.wholeSetSeconds, 1),
    durationRow("whole set, 1 worker", one.seconds, REFERENCE.wholeSetSeconds, 1),
    [
      "CPU per resolution (all threads)",
      `${one.cpuMsPerResolution.toFixed(2)} ms (1 worker), ` +
        `${two.cpuMsPerResolution.toFixed(2)} ms (2)`,
      "",
      "",
    ],
    ["peak RSS", `${peakRssMiB.toFixed(0)} MiB`, "", ""],
  ];
  console.log(`\n${"measure".padEnd(34)} ${"ours".padEnd(30)} ${REFERENCE.name.padEnd(22)} ratio`);
  for (const [what, ours, reference, ratio] of rows) {
    console.log(`${what.padEnd(34)} ${ours.padEnd(30)} ${reference.padEnd(22)} ${ratio}`);
  }

  const checks: [string, boolean][] = [
    [
      `${EXPECTED_RESOLVED} of ${requests.length} resolve (1 worker: ${one.resolved}, 2: ${two.resolved})`,
      one.resolved === EXPECTED_RESOLVED && two.resolved === EXPECTED_RESOLVED,
    ],
    [
      `whole set under ${TARGETS.wholeSetSeconds} s with 2 workers`,
      two.seconds < TARGETS.wholeSetSeconds,
    ],
    [
      `1 worker at least ${TARGETS.oneThreadRatio}× the reference`,
      one.perMinute >= TARGETS.oneThreadRatio * REFERENCE.perMinuteOneThread,
    ],
    [`warm load under ${TARGETS.warmLoadSeconds} s`, warm.seconds < TARGETS.warmLoadSeconds],
    [`peak RSS under ${TARGETS.peakRssMiB} MiB`, peakRssMiB < TARGETS.peakRssMiB],
  ];
  console.log("");
  for (const [check, ok] of checks) console.log(`${ok ? "ok  " : "MISS"} ${check}`);
  console.log(`\nload average ${loadavg()[0]!.toFixed(1)} at end (timings assume an idle machine)`);
  if (!checks[0]![1]) process.exitCode = 1;
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
