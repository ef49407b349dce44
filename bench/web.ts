// `npm run bench:web`: the web frontend and the JSON API under load (issue #12 item 6). A fresh
// PostgreSQL database is seeded by web-seed.ts (30,000 base packages in two collections, about
// 200,000 builds and 1,000,000 dependency changes), `koschei frontend` serves it as a child
// process, and autocannon requests each URL with 16 connections for a while (after 2 s of
// unrecorded warm-up). Prints p50, p95
// and p99 latency and requests per second per URL beside the target (p95 < 150 ms); the
// unfiltered API answer is measured with ApacheBench too, when `ab` is installed.
//
//   npm run bench:web [-- --duration SECONDS] [--keep] [--database-url URL]
//                     [--anonymous-page-cache SECONDS]
//
// The requests are anonymous, as most visitors' are: the frontend's anonymous page cache
// (frontend.anonymous_page_cache, default 2 s) serves repeated list and package pages; 0
// measures every request rendered. The database server is KOSCHEI_BENCH_DATABASE_URL's, else KOSCHEI_TEST_DATABASE_URL's; the
// database is dropped afterwards unless --keep. --database-url measures an already seeded
// database (e.g. one left by --keep) instead.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { sql } from "kysely";
import { migrate, openDatabase, type Database } from "../src/db/index.js";
import { koschei, option, s, timed } from "./debian-sim.js";
import { BENCH_COLLECTIONS, seedWebBench } from "./web-seed.js";

const CONNECTIONS = 16;
const TARGET_P95_MS = 150;
const DEFAULT_DURATION_S = 10;
/** Seconds of load on each URL before its measurement. */
const WARM_UP_S = 2;
/** What browsers and HTTP libraries (python-requests, curl --compressed) send. */
const CLIENT_HEADERS = { "accept-encoding": "gzip, deflate" };

/** The part of autocannon's programmatic API used here (it ships no types). */
interface AutocannonInstance {
  on(
    event: "response",
    listener: (client: unknown, status: number, bytes: number, ms: number) => void,
  ): void;
}
type Autocannon = (
  options: {
    url: string;
    connections: number;
    duration: number;
    timeout: number;
    headers: Record<string, string>;
  },
  done: (error: Error | null, result: { requests: { average: number }; non2xx: number }) => void,
) => AutocannonInstance;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

interface Measurement {
  label: string;
  path: string;
  p50: number;
  p95: number;
  p99: number;
  requestsPerSecond: number;
  failures: number;
}

function serverUrl(): string {
  return (
    process.env.KOSCHEI_BENCH_DATABASE_URL ??
    process.env.KOSCHEI_TEST_DATABASE_URL ??
    "postgresql://postgres@127.0.0.1:5432/postgres"
  );
}

function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** Runs one statement on the server's maintenance database (CREATE/DROP DATABASE). */
async function onServer(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startFrontend(
  databaseUrl: string,
  configDir: string,
  pageCacheSeconds: string | undefined,
): Promise<{ child: ChildProcess; baseUrl: string }> {
  const port = await freePort();
  const configFile = join(configDir, "frontend.yaml");
  const pageCache =
    pageCacheSeconds === undefined
      ? ""
      : `frontend:\n  anonymous_page_cache: ${pageCacheSeconds}\n`;
  writeFileSync(
    configFile,
    `flask:\n  SECRET_KEY: bench-web-secret-0123456789abcdef\n${pageCache}`,
  );
  const child = spawn(koschei, ["frontend", "--listen", `127.0.0.1:${port}`], {
    env: { ...process.env, KOSCHEI_DATABASE_URL: databaseUrl, KOSCHEI_CONFIG: configFile },
    stdio: ["ignore", "ignore", "pipe"],
  });
  // Its request log is not part of the report; the tail is shown if it fails to start.
  let logTail = "";
  child.stderr!.on(
    "data",
    (chunk: Buffer) => (logTail = (logTail + chunk.toString()).slice(-4000)),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) {
      throw new Error(`koschei frontend exited (${child.exitCode}):\n${logTail}`);
    }
    const ready = await fetch(`${baseUrl}/api/v1/openapi.json`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return { child, baseUrl };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill();
  throw new Error(`koschei frontend did not answer within 20 s:\n${logTail}`);
}

/** autocannon's clients on `url` for `duration` seconds; each answer's latency to `onLatency`. */
function load(
  url: string,
  duration: number,
  onLatency: (ms: number) => void,
): Promise<{ requests: { average: number }; non2xx: number }> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url, connections: CONNECTIONS, duration, timeout: 30, headers: CLIENT_HEADERS },
      (error, outcome) => (error ? reject(error) : resolve(outcome)),
    );
    instance.on("response", (_client, _status, _bytes, ms) => onLatency(ms));
  });
}

/** Waits until the server has finished the requests the last run left behind. */
async function settle(baseUrl: string): Promise<void> {
  for (let attempt = 0; attempt < 60; attempt++) {
    const start = performance.now();
    await fetch(`${baseUrl}/api/v1/openapi.json`).then((response) => response.arrayBuffer());
    if (performance.now() - start < 20) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The URLs measured: package lists, package details (busiest and typical) and the API. */
async function benchPaths(database: Database): Promise<Array<[string, string]>> {
  const [rawhide, branch] = BENCH_COLLECTIONS;
  const byBuilds = await database.db
    .selectFrom("package")
    .innerJoin("build", "build.package_id", "package.id")
    .where("package.collection_id", "=", (qb) =>
      qb.selectFrom("collection").select("id").where("name", "=", rawhide),
    )
    .groupBy("package.name")
    .select(["package.name", sql<number>`count(*)`.as("builds")])
    .orderBy("builds", "desc")
    .orderBy("package.name")
    .execute();
  const busiest = byBuilds[0]!.name;
  const typical = byBuilds[Math.floor(byBuilds.length / 2)]!.name;
  const some = byBuilds.slice(100, 105).map((row) => `name=${encodeURIComponent(row.name)}`);
  return [
    ["package list, unified (default)", "/packages"],
    ["package list, collection view", `/packages?collection=${rawhide}`],
    ["package list, collection view, page 200", `/packages?collection=${rawhide}&page=200`],
    [
      "package list, sorted by priority",
      `/packages?collection=${rawhide}&order_by=-current_priority`,
    ],
    ["package list, unified, untracked, page 50", "/packages?untracked=1&page=50"],
    [`package detail, busiest (${busiest})`, `/package/${encodeURIComponent(busiest)}`],
    [`package detail, typical (${typical})`, `/package/${encodeURIComponent(typical)}`],
    ["API packages, all", "/api/v1/packages"],
    [
      "API packages, 5 names in one collection",
      `/api/v1/packages?collection=${rawhide}&${some.join("&")}`,
    ],
    ["API collections diff", `/api/v1/collections/diff/${rawhide}/${branch}`],
  ];
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

async function measure(baseUrl: string, label: string, path: string, duration: number) {
  // Warm-up, not recorded: a server that has just started (or served other URLs) runs this
  // route's code unoptimised at first, which a long-running frontend does not.
  await load(baseUrl + path, WARM_UP_S, () => undefined);
  const latencies: number[] = [];
  const result = await load(baseUrl + path, duration, (ms) => latencies.push(ms));
  latencies.sort((a, b) => a - b);
  return {
    label,
    path,
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99),
    requestsPerSecond: result.requests.average,
    failures: result.non2xx,
  } satisfies Measurement;
}

/**
 * The unfiltered API answer is 1.7 MB: 16 autocannon clients, parsing it in JavaScript on the
 * server's two cores, read about 70 MB/s and measure themselves. ApacheBench (`ab`, apache2-utils),
 * a C client, measures the same URL beside it when it is installed.
 */
const CROSS_CHECKED_PATH = "/api/v1/packages";
/** ab is given a number of requests for the duration (its own time limit counts differently). */
const AB_REQUESTS_PER_SECOND = 50;

/** Runs ab without blocking: this process must keep reading the frontend's log meanwhile. */
function runAb(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("ab", args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}

async function measureWithAb(baseUrl: string, label: string, path: string, duration: number) {
  const headers = Object.entries(CLIENT_HEADERS).flatMap(([name, value]) => [
    "-H",
    `${name}: ${value}`,
  ]);
  const requests = String(AB_REQUESTS_PER_SECOND * duration);
  let result;
  try {
    result = await runAb([
      "-q",
      "-c",
      String(CONNECTIONS),
      "-n",
      requests,
      ...headers,
      baseUrl + path,
    ]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    console.log("(ab not installed: no ApacheBench cross-check of the unfiltered API)");
    return undefined;
  }
  if (result.status !== 0) {
    console.log(`(ApacheBench failed: ${result.stderr.trim()})`);
    return undefined;
  }
  const number = (pattern: RegExp) => Number(pattern.exec(result.stdout)?.[1] ?? NaN);
  return {
    label: `${label} (ApacheBench)`,
    path,
    p50: number(/^\s+50%\s+(\d+)/m),
    p95: number(/^\s+95%\s+(\d+)/m),
    p99: number(/^\s+99%\s+(\d+)/m),
    requestsPerSecond: number(/^Requests per second:\s+([\d.]+)/m),
    failures: number(/^Failed requests:\s+(\d+)/m) + (number(/^Non-2xx responses:\s+(\d+)/m) || 0),
  } satisfies Measurement;
}

function printTable(rows: Measurement[]): void {
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  const table = rows.map((row) => ({
    URL: row.label,
    p50: ms(row.p50),
    p95: ms(row.p95),
    p99: ms(row.p99),
    "req/s": row.requestsPerSecond.toFixed(1),
    target: `p95 < ${TARGET_P95_MS} ms`,
    result:
      row.failures > 0
        ? `ERROR (${row.failures} non-2xx)`
        : row.p95 < TARGET_P95_MS
          ? "OK"
          : "MISSED",
  }));
  console.table(table);
  for (const row of rows) console.log(`  ${row.label}: ${row.path}`);
}

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    console.log(
      "npm run bench:web [-- --duration SECONDS] [--keep] [--database-url URL] " +
        "[--anonymous-page-cache SECONDS]",
    );
    return;
  }
  const duration = Number(option("--duration") ?? DEFAULT_DURATION_S);
  const given = option("--database-url");
  const name = `koschei_bench_web_${process.pid}`;
  const databaseUrl = given ?? withDatabaseName(serverUrl(), name);
  const keep = given !== undefined || process.argv.includes("--keep");
  const configDir = mkdtempSync(join(tmpdir(), "koschei-bench-web-"));
  if (given === undefined) await onServer(`CREATE DATABASE ${name}`);
  let database: Database | undefined;
  let child: ChildProcess | undefined;
  try {
    database = await openDatabase({ kind: "postgresql", url: databaseUrl });
    if (given === undefined) {
      await migrate(database);
      const [counts, seconds] = await timed(() => seedWebBench(database!.db));
      console.log(
        `seeded in ${s(seconds)}: ${counts.packages} packages, ${counts.builds} builds, ` +
          `${counts.appliedChanges} applied and ${counts.unappliedChanges} unapplied changes`,
      );
    }
    const paths = await benchPaths(database);
    const pageCache = option("--anonymous-page-cache");
    if (pageCache !== undefined && !/^\d+(\.\d+)?$/.test(pageCache)) {
      throw new Error(`--anonymous-page-cache must be a number of seconds, not '${pageCache}'`);
    }
    const frontend = await startFrontend(databaseUrl, configDir, pageCache);
    child = frontend.child;
    console.log(
      `${CONNECTIONS} connections, ${duration} s per URL; load average before: ` +
        loadavg()
          .map((load) => load.toFixed(2))
          .join(" "),
    );
    const rows: Measurement[] = [];
    for (const [label, path] of paths) {
      await settle(frontend.baseUrl);
      rows.push(await measure(frontend.baseUrl, label, path, duration));
      if (path === CROSS_CHECKED_PATH) {
        await settle(frontend.baseUrl);
        const checked = await measureWithAb(frontend.baseUrl, label, path, duration);
        if (checked) rows.push(checked);
      }
    }
    printTable(rows);
  } finally {
    child?.kill("SIGTERM");
    await database?.close();
    if (!keep) await onServer(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    else console.log(`database kept: ${databaseUrl}`);
    rmSync(configDir, { recursive: true, force: true });
  }
}

await main();
