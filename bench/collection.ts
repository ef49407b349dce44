// `npm run bench:collection`: the resolvers on a whole collection (issue #10 item 5). The
// simulator (`koschei sim-koji`, a child process) serves the whole Debian-derived set of
// <shared>/bench/debian as target f99; a fresh PostgreSQL database gets collection f99 with
// every source package of f99 tracked and a complete real build of each in the first repo.
// Measured, each with time per stage (Koji calls, download and load, solving, diffing,
// persistence, database reads), peak RSS and rows written:
//
//   setup  the build-resolver on every package's build (their dependency sets, which the repo
//          resolver compares new repos with);
//   (a)    the repo-resolver on a new repo, from detection to every package's resolution,
//          changes and priority committed;
//   (b)    the next repo, with ten binaries changed (newer builds tagged into f99-build);
//   (c)    the build-resolver on 1,000 new builds in that repo.
//
// Prints figures only. Stage times are wall-clock time on the main thread (the resolver
// threads solve meanwhile, so "solving" is the time spent waiting for their results).
//
//   npm run bench:collection [-- --scenario FILE] [--dependency-cache-capacity N]
//   npx tsc -b && node dist/bench/collection.js [...]   (without npm run build's clean dist/)
//
// --dependency-cache-capacity sets `dependency.dependency_cache_capacity` (default 3000, as
// the original's), the number of `dependency` rows each resolver process keeps in memory.
//
// The database server is KOSCHEI_TEST_DATABASE_URL's (as for the tests). Without --scenario
// the scenario is generated with `koschei sim-scenario` into a temporary directory. The
// shared directory is `../shared` next to the repository root unless KOSCHEI_SHARED_DIR says
// otherwise.

import type { ChildProcess } from "node:child_process";
import { createReadStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { sql } from "kysely";
import { runBuildResolverPass } from "../src/backend/build-resolver.js";
import { EventBus } from "../src/backend/events.js";
import {
  runRepoResolverPass,
  type ResolverContext,
  type Stage,
  type StageTimes,
} from "../src/backend/repo-resolver.js";
import type { BackendSession } from "../src/backend/session.js";
import { loadConfig } from "../src/config/index.js";
import { KojiSessions } from "../src/koji/sessions.js";
import { silentLogger } from "../src/log/logger.js";
import { freshDatabase, type FreshDatabase } from "../test/support/database.js";

import {
  benchDir,
  generateScenario,
  option,
  report,
  s,
  startSimKoji,
  timed,
} from "./debian-sim.js";
const TARGET = "f99";
const BUILD_TAG = "f99-build";
const CHANGED_BUILDS = 10;
const NEW_BUILDS = 1000;

const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;

/** Resident and peak resident memory of a process in KiB, from /proc. */
function memoryOf(pid: number | "self"): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)![1]);
  return { rss: kib("VmRSS"), peak: kib("VmHWM") };
}

/** CPU seconds (user and system) of this process's main thread, from /proc. */
function mainThreadCpu(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
  // The fields after the command (which may hold spaces) start with the state, field 3.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ)
}

/** Starts a new peak-RSS measurement of this process (threads included); false if Linux says no. */
function resetPeak(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

async function control(url: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${url}/control${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) throw new Error(`${path}: ${JSON.stringify(answer)}`);
  return answer;
}

/** Generates the repo's repodata in the simulator (Koji has it ready when it says READY). */
async function warmRepodata(url: string, repoId: number): Promise<void> {
  const response = await fetch(
    `${url}/kojifiles/repos/${BUILD_TAG}/${repoId}/x86_64/repodata/repomd.xml`,
  );
  if (response.status !== 200) throw new Error(`repomd.xml of repo ${repoId}: ${response.status}`);
  await response.arrayBuffer();
}

/** A build of the scenario (one per line of the file), as /control/tag-build takes it. */
interface ScenarioBuild {
  name: string;
  epoch?: number | null;
  version: string;
  release: string;
  tags?: string[];
  srpm?: unknown;
  rpms?: { name: string }[];
}

/** The scenario's builds of the given names, read line by line (the file has one a line). */
async function scenarioBuilds(path: string, names: Set<string>): Promise<ScenarioBuild[]> {
  const found: ScenarioBuild[] = [];
  const lines = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity });
  for await (const line of lines) {
    const text = line.trim().replace(/,$/, "");
    if (!text.startsWith('{"name":')) continue;
    const name = JSON.parse(/^\{"name":("(?:[^"\\]|\\.)*")/.exec(text)![1]!) as string;
    if (names.has(name)) found.push(JSON.parse(text) as ScenarioBuild);
  }
  return found;
}

/**
 * Ten single-binary source builds whose binary many packages build-require directly, outside
 * the build group (changing the group's closure would change every package): the 11th to
 * 20th most required such binaries of srpms.jsonl.
 */
function popularBinaries(buildGroup: Set<string>): string[] {
  const counts = new Map<string, number>();
  for (const line of readFileSync(join(benchDir, "srpms.jsonl"), "utf8").split("\n")) {
    if (!line) continue;
    const { buildrequires: buildRequires } = JSON.parse(line) as { buildrequires: string[] };
    for (const requirement of buildRequires) {
      const name = /^[^\s()]+/.exec(requirement)?.[0];
      if (name && !buildGroup.has(name)) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([name]) => name);
}

/** Row counts of the tables the resolvers write. */
const TABLES = [
  "dependency",
  "resolution_change",
  "resolution_problem",
  "unapplied_change",
  "applied_change",
] as const;

async function rowCounts(fresh: FreshDatabase): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const rows = await fresh.database.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    counts[table] = Number(rows[0]!.n);
  }
  return counts;
}

interface PhaseResult {
  label: string;
  seconds: number;
  stages: StageTimes;
  peak: number | null;
  /** CPU seconds of this process (main and resolver threads), user and system. */
  cpu: number;
  /** CPU seconds of the main thread alone. */
  mainCpu: number;
  rows: string;
}

/** Tables whose rows the resolvers update: the rows written since a transaction id are counted. */
const UPDATED_TABLES = ["package", "build"] as const;

/** The current transaction id, as the 32-bit xid `xmin` columns hold. */
async function currentXid(fresh: FreshDatabase): Promise<number> {
  const rows = await fresh.database.query<{ xid: string }>(
    "SELECT (txid_current() % 4294967296)::text AS xid",
  );
  return Number(rows[0]!.xid);
}

/** Rows of `table` inserted or updated by transactions after `xid` (a fresh cluster: no wraparound). */
async function rowsWrittenSince(fresh: FreshDatabase, table: string, xid: number): Promise<number> {
  const rows = await fresh.database.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${table} WHERE xmin::text::bigint > $1`,
    [xid],
  );
  return Number(rows[0]!.n);
}

async function phase(
  label: string,
  fresh: FreshDatabase,
  run: (stageTimes: StageTimes) => Promise<void>,
): Promise<PhaseResult> {
  const before = await rowCounts(fresh);
  const xid = await currentXid(fresh);
  global.gc?.();
  const peakReset = resetPeak();
  const stages: StageTimes = {};
  const cpuBefore = process.cpuUsage();
  const mainBefore = mainThreadCpu();
  const [, seconds] = await timed(() => run(stages));
  const cpuUsed = process.cpuUsage(cpuBefore);
  const cpu = (cpuUsed.user + cpuUsed.system) / 1e6;
  const mainCpu = mainThreadCpu() - mainBefore;
  const peak = peakReset ? memoryOf("self").peak : null;
  const after = await rowCounts(fresh);
  const updated: string[] = [];
  for (const table of UPDATED_TABLES) {
    const written = await rowsWrittenSince(fresh, table, xid);
    if (written > 0) updated.push(`${table} ${written} written`);
  }
  const deltas = TABLES.map((table) => [table, after[table]! - before[table]!] as const)
    .filter(([, delta]) => delta !== 0)
    .map(([table, delta]) => `${table} ${delta > 0 ? "+" : ""}${delta}`);
  const rows = [...updated, ...deltas].join(", ");
  return { label, seconds, stages, peak, cpu, mainCpu, rows };
}

const STAGES: Stage[] = ["koji", "download", "solving", "diffing", "persistence", "reading"];

function printPhase(result: PhaseResult): void {
  report(result.label, s(result.seconds));
  const accounted = STAGES.reduce((sum, stage) => sum + (result.stages[stage] ?? 0), 0);
  for (const stage of STAGES) {
    const seconds = result.stages[stage];
    if (seconds === undefined) continue;
    report(`  ${stage}`, `${s(seconds)} (${((100 * seconds) / result.seconds).toFixed(0)}%)`);
  }
  report("  other (locks, collection reads, logging)", s(result.seconds - accounted));
  report("  CPU time: this process; its main thread", `${s(result.cpu)}; ${s(result.mainCpu)}`);
  report(
    "  peak RSS (this process, resolver threads included)",
    result.peak === null ? "unknown (clear_refs refused)" : mib(result.peak),
  );
  report("  rows written", result.rows);
}

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    console.log(
      "usage: node dist/bench/collection.js [--scenario FILE] [--dependency-cache-capacity N]\n" +
        "  (npm run bench:collection builds first; the run takes about ten minutes)",
    );
    return;
  }
  const tempDir = mkdtempSync(join(tmpdir(), "koschei-bench-collection-"));
  let child: ChildProcess | undefined;
  let fresh: FreshDatabase | undefined;
  let koji: KojiSessions | undefined;
  try {
    const scenarioPath = option("--scenario") ?? generateScenario(tempDir);
    const [started, startSeconds] = await timed(() => startSimKoji(scenarioPath));
    child = started.child;
    const url = started.url;
    report("koschei sim-koji start-up (child process)", s(startSeconds));

    const capacity = option("--dependency-cache-capacity");
    writeFileSync(
      join(tempDir, "config.yaml"),
      `directories:\n  cachedir: ${tempDir}\n` +
        (capacity ? `dependency:\n  dependency_cache_capacity: ${Number(capacity)}\n` : ""),
    );
    writeFileSync(join(tempDir, "unused.pem"), "");
    const config = loadConfig("backend", { KOSCHEI_CONFIG_DIR: tempDir, HOME: tempDir });
    report("dependency cache capacity (rows)", `${config.dependency.dependency_cache_capacity}`);
    fresh = await freshDatabase();
    koji = await KojiSessions.open(
      {
        server: `${url}/kojihub`,
        topurl: `${url}/kojifiles`,
        login_method: "logout",
        login_args: { cert: join(tempDir, "unused.pem") },
        retry: { retry_interval: 0, max_retries: 1, timeout: 600 },
      },
      null,
    );
    // One session per simulated process: each has its own repo and dependency caches, as
    // the repo-resolver and build-resolver services do when run apart.
    const session = (): BackendSession => ({
      config: config,
      database: fresh!.database,
      koji: koji!,
      events: new EventBus(silentLogger),
      log: silentLogger,
      now: () => new Date(),
    });
    const context = (backend: BackendSession, stageTimes: StageTimes): ResolverContext => ({
      session: async () => backend,
      log: silentLogger,
      stopping: new AbortController().signal,
      stageTimes,
    });
    const db = fresh.database.db;

    // The collection, every source package of f99 tracked with a complete real build.
    const [tagged, setupSeconds] = await timed(async () => {
      const latest = await koji!.primary.listTagged(TARGET, { latest: true });
      const firstRepo = (await koji!.primary.getRepo(BUILD_TAG))!.id;
      await warmRepodata(url, firstRepo);
      const { id: collectionId } = await db
        .insertInto("collection")
        .values({
          name: TARGET,
          display_name: "Debian 12 as f99",
          target: TARGET,
          dest_tag: TARGET,
          build_tag: BUILD_TAG,
          build_group: "build",
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      for (let start = 0; start < latest.length; start += 5000) {
        const chunk = latest.slice(start, start + 5000);
        const bases = await db
          .insertInto("base_package")
          .values(chunk.map((build) => ({ name: build.name })))
          .returning(["id", "name"])
          .execute();
        const packages = await db
          .insertInto("package")
          .values(
            bases.map((base) => ({
              name: base.name,
              base_id: base.id,
              collection_id: collectionId,
              tracked: true,
            })),
          )
          .returning(["id", "name"])
          .execute();
        const idOf = new Map(packages.map((pkg) => [pkg.name, pkg.id]));
        await db
          .insertInto("build")
          .values(
            chunk.map((build, index) => ({
              package_id: idOf.get(build.name)!,
              state: 3,
              task_id: build.task_id ?? 10_000_000 + start + index,
              started: new Date(Date.UTC(2025, 0, 1)),
              finished: new Date(Date.UTC(2025, 0, 1, 1)),
              epoch: build.epoch,
              version: build.version,
              release: build.release,
              repo_id: firstRepo,
              real: true,
            })),
          )
          .execute();
      }
      return { latest, collectionId };
    });
    report(
      `collection with ${tagged.latest.length} tracked packages and real builds`,
      s(setupSeconds),
    );

    const buildResolver = session();
    const repoResolver = session();
    const results: PhaseResult[] = [];

    const setup = await phase(
      `setup: build-resolver on all ${tagged.latest.length} real builds`,
      fresh,
      (times) => runBuildResolverPass(context(buildResolver, times)),
    );
    printPhase(setup);
    results.push(setup);

    // (a) A new repo (the same content under a new id, downloaded afresh).
    const repoA = (await control(url, "/regen-repo", { tag: BUILD_TAG })).repo_id as number;
    await warmRepodata(url, repoA);
    const resolvedPackages = async () =>
      Number(
        (
          await db
            .selectFrom("package")
            .select(sql<string>`count(*)`.as("n"))
            .where("resolved", "is not", null)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const a = await phase(`(a) repo-resolver, new repo ${repoA}, every package`, fresh, (times) =>
      runRepoResolverPass(context(repoResolver, times)),
    );
    printPhase(a);
    report("  packages resolved (of tracked)", `${await resolvedPackages()}`);
    results.push(a);

    // (b) Ten binaries changed: newer builds of ten popular single-binary sources.
    const groupNames = new Set(
      JSON.parse(readFileSync(join(benchDir, "build-group.json"), "utf8")) as string[],
    );
    const popular = popularBinaries(groupNames);
    const candidates = await scenarioBuilds(scenarioPath, new Set(popular.slice(0, 400)));
    const rank = new Map(popular.map((name, index) => [name, index]));
    const chosen = candidates
      .filter((build) => build.rpms?.length === 1 && build.rpms[0]!.name === build.name)
      .sort((x, y) => rank.get(x.name)! - rank.get(y.name)!)
      .slice(10, 10 + CHANGED_BUILDS);
    for (const build of chosen) {
      const { tags: _tags, ...rest } = build;
      void _tags;
      await control(url, "/tag-build", {
        tag: BUILD_TAG,
        build: { ...rest, release: `${build.release}.1` },
      });
    }
    const repoB = (await control(url, "/regen-repo", { tag: BUILD_TAG })).repo_id as number;
    await warmRepodata(url, repoB);
    const b = await phase(
      `(b) repo-resolver, repo ${repoB}: ${chosen.length} binaries changed`,
      fresh,
      (times) => runRepoResolverPass(context(repoResolver, times)),
    );
    printPhase(b);
    report("  changed binaries", chosen.map((build) => build.name).join(" "));
    const withChanges = Number(
      (
        await db
          .selectFrom("unapplied_change")
          .select(sql<string>`count(DISTINCT package_id)`.as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
    report("  packages with unapplied changes", `${withChanges}`);
    results.push(b);

    // (c) 1,000 new builds in repo B: every 34th package built again (same SRPM).
    const packages = await db
      .selectFrom("package")
      .innerJoin("build", "build.id", "package.last_build_id")
      .select(["package.id", "build.epoch", "build.version", "build.release"])
      .orderBy("package.id")
      .execute();
    const step = Math.floor(packages.length / NEW_BUILDS);
    const rebuilt = packages.filter((_, index) => index % step === 0).slice(0, NEW_BUILDS);
    await db
      .insertInto("build")
      .values(
        rebuilt.map((pkg, index) => ({
          package_id: pkg.id,
          state: 3,
          task_id: 20_000_000 + index,
          started: new Date(Date.UTC(2025, 0, 2)),
          finished: new Date(Date.UTC(2025, 0, 2, 1)),
          epoch: pkg.epoch,
          version: pkg.version,
          release: pkg.release,
          repo_id: repoB,
        })),
      )
      .execute();
    const c = await phase(`(c) build-resolver, ${rebuilt.length} new builds`, fresh, (times) =>
      runBuildResolverPass(context(buildResolver, times)),
    );
    printPhase(c);
    results.push(c);

    const sim = memoryOf(child.pid!);
    report("simulator child process", `${mib(sim.rss)} resident, ${mib(sim.peak)} peak`);
    // Each phase resets the peak (clear_refs), so the whole run's is the highest phase's.
    const peaks = results.flatMap((result) => (result.peak === null ? [] : [result.peak]));
    report(
      "this process, peak of the phases",
      peaks.length > 0 ? mib(Math.max(...peaks)) : `${mib(process.resourceUsage().maxRSS)}`,
    );
    console.log("\nsummary");
    for (const result of results) {
      const peak = result.peak === null ? "?" : mib(result.peak);
      report(`  ${result.label}`, `${s(result.seconds)}, CPU ${s(result.cpu)}, peak ${peak}`);
    }
    report("  target for (a)", "< 60 s, peak RSS < 2 GB (hawkey solving alone: 51 s)");
    report("  (a) ratio to the original's 51 s of solving", `${(51 / a.seconds).toFixed(2)}×`);
    console.log(
      `\nload average ${loadavg()[0]!.toFixed(1)} at end (timings assume an idle machine)`,
    );
  } finally {
    await koji?.close();
    await fresh?.drop();
    child?.kill("SIGTERM");
    rmSync(tempDir, { recursive: true, force: true });
  }
}

await main();
