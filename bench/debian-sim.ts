// What the benchmarks over the whole Debian-derived set share: where things are, the report
// lines, command-line options, and a `koschei sim-koji` child serving that set.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return dir;
}

export const root = repositoryRoot();
export const koschei = join(root, "bin", "koschei");
const shared = process.env.KOSCHEI_SHARED_DIR ?? join(root, "..", "shared");
export const benchDir = resolve(shared, "bench", "debian");

export function report(measure: string, figure: string): void {
  console.log(`${measure.padEnd(56)} ${figure}`);
}

export async function timed<T>(work: () => Promise<T> | T): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, (performance.now() - start) / 1000];
}

export const s = (seconds: number) => `${seconds.toFixed(2)} s`;

/** The value after `name` on the command line, if given. */
export function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  if (index < 0) return undefined;
  const value = process.argv[index + 1];
  if (!value) throw new Error(`${name} needs a value`);
  return value;
}

/** Generates the whole set's simulator scenario into `dir` with `koschei sim-scenario`. */
export function generateScenario(dir: string): string {
  const output = join(dir, "debian-scenario.json");
  const args = ["sim-scenario", "--repo", join(benchDir, "repo")];
  args.push("--srpms", join(benchDir, "srpms.jsonl"));
  args.push("--build-group", join(benchDir, "build-group.json"), "-o", output);
  const start = performance.now();
  const run = spawnSync(process.execPath, [koschei, ...args], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`sim-scenario failed: ${run.stderr}`);
  report("scenario generation (koschei sim-scenario)", s((performance.now() - start) / 1000));
  return output;
}

/** Starts `koschei sim-koji` on a free port; resolves with the process and its base URL. */
export function startSimKoji(scenario: string): Promise<{ child: ChildProcess; url: string }> {
  const args = ["sim-koji", "--listen", "127.0.0.1:0", "--scenario", scenario, "--speed", "0"];
  const child = spawn(process.execPath, [koschei, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolvePromise, reject) => {
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = /at (http:\/\/[^/\s]+)\/kojihub/.exec(output);
      if (match) resolvePromise({ child, url: match[1]! });
    });
    child.stderr!.on("data", (chunk: Buffer) => process.stderr.write(chunk));
    child.once("exit", (code) => reject(new Error(`sim-koji exited with code ${code}`)));
  });
}
