// `koschei demo` as a newcomer runs it: the bin as a child process on a fresh data directory,
// watched through its web API until the simulated world shows resolved and unresolved
// packages and scratch builds Koschei submitted finishing; then Ctrl-C, a restart that keeps
// the state, and --reset.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";

const bin = fileURLToPath(new URL("../../../bin/koschei", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "koschei-demo-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const configDir = join(scratch, "config");
mkdirSync(configDir);
const dataDir = join(scratch, "demo");

/** How long the world may take to show a state: generous, the suite shares two cores. */
const PATIENCE_MS = 240_000;

interface ApiPackage {
  name: string;
  state: string;
  last_complete_build: { task_id: number } | null;
}

interface RunningDemo {
  child: ChildProcess;
  url: string;
  /** The JSON log lines of standard error so far. */
  log: { msg: string; [key: string]: unknown }[];
  exited: Promise<number | null>;
}

async function startDemo(extra: string[] = []): Promise<RunningDemo> {
  const child = spawn(
    process.execPath,
    [bin, "demo", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--speed", "120", ...extra],
    {
      env: { ...process.env, HOME: scratch, KOSCHEI_CONFIG_DIR: configDir, KOSCHEI_CONFIG: "" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const log: RunningDemo["log"] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => {
    try {
      log.push(JSON.parse(line) as RunningDemo["log"][number]);
    } catch {
      log.push({ msg: line });
    }
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the demo printed no URL")), PATIENCE_MS);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const match = /^Koschei demo: (http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then((code) =>
      reject(new Error(`the demo exited with ${code}: ${JSON.stringify(log.slice(-5))}`)),
    );
  });
  return { child, url, log, exited };
}

async function packages(demo: RunningDemo): Promise<ApiPackage[]> {
  const response = await fetch(`${demo.url}/api/v1/packages`, {
    signal: AbortSignal.timeout(30_000),
  });
  assert.equal(response.status, 200);
  return (await response.json()) as ApiPackage[];
}

/** Polls the API until `done` holds for its answer. */
async function waitFor(
  demo: RunningDemo,
  what: string,
  done: (rows: ApiPackage[]) => boolean,
): Promise<ApiPackage[]> {
  const deadline = Date.now() + PATIENCE_MS;
  for (;;) {
    const rows = await packages(demo);
    if (done(rows)) return rows;
    if (Date.now() > deadline) {
      const states = rows.map((row) => row.state).join(",");
      throw new Error(`waited in vain for ${what}; states: ${states}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** Whether a log line matches within a few seconds (standard error may lag standard output). */
async function logShows(demo: RunningDemo, pattern: RegExp): Promise<boolean> {
  for (let tries = 0; tries < 50; tries++) {
    if (demo.log.some((line) => pattern.test(line.msg))) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

async function stop(demo: RunningDemo): Promise<number | null> {
  demo.child.kill("SIGINT");
  return demo.exited;
}

describe("koschei demo", { timeout: 4 * PATIENCE_MS }, () => {
  it("shows resolved and unresolved packages and finished scratch builds, keeps its state, resets", async () => {
    const demo = await startDemo();
    try {
      const first = await waitFor(
        demo,
        "packages resolved and unresolved",
        (rows) =>
          rows.length === 300 &&
          rows.some((row) => row.state === "unresolved") &&
          rows.some((row) => row.state === "ok"),
      );
      const realTasks = new Map(first.map((row) => [row.name, row.last_complete_build?.task_id]));
      const scheduled = () =>
        new Set(
          demo.log
            .map((line) => /^Scheduling build for (\S+) in f99/.exec(line.msg)?.[1])
            .filter((name): name is string => name !== undefined),
        );
      await waitFor(demo, "a scratch build Koschei submitted to finish", (rows) =>
        rows.some(
          (row) =>
            scheduled().has(row.name) &&
            row.last_complete_build !== null &&
            row.last_complete_build.task_id !== realTasks.get(row.name),
        ),
      );
    } finally {
      assert.equal(await stop(demo), 0, "Ctrl-C stops the demo cleanly");
    }

    const again = await startDemo();
    try {
      const rows = await packages(again);
      assert.equal(rows.length, 300, "the collection and its packages survive a restart");
      assert.ok(
        rows.some((row) => row.state !== "unknown"),
        "with their states",
      );
      assert.ok(!(await logShows(again, /collection f99 created/)), "nothing is set up twice");
    } finally {
      assert.equal(await stop(again), 0);
    }

    const reset = await startDemo(["--reset"]);
    try {
      assert.ok(await logShows(reset, /collection f99 created/), "--reset starts clean");
    } finally {
      assert.equal(await stop(reset), 0);
    }
  });
});
