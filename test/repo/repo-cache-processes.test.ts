// Several processes sharing one repo cache directory: real child processes
// (repo-cache-process.ts) against a real HTTP repo server, synchronised by their answers and by
// the requests the server receives, never by sleeping.
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { watch } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { sharedPath } from "../support/shared.js";
import type { CacheAnswer, CacheCommand } from "./repo-cache-process.js";
import { startGatedProxy, type GatedProxy } from "./gated-proxy.js";
import { startRepoServer, type RepoServer } from "./repo-server.js";

const EDGE_REPO = sharedPath("bench/edge/repo");
const CACHE_PROCESS = join(dirname(fileURLToPath(import.meta.url)), "repo-cache-process.js");
/** Files checked by "verify": primary, filelists, group and group_gz. */
const DOWNLOADED_FILES = 4;

let server: RepoServer;
let gate: GatedProxy;
let scratchRoot: string;

before(async () => {
  server = await startRepoServer(
    Object.fromEntries(["a", "b", "c", "crowd", "stuck"].map((name) => [name, EDGE_REPO])),
  );
  gate = await startGatedProxy(server.url);
  scratchRoot = await mkdtemp(join(tmpdir(), "koschei-repo-cache-processes-"));
});

after(async () => {
  // Those a failed test left running.
  await Promise.all([...running].map((cache) => cache.kill()));
  await gate.close();
  await server.close();
  await rm(scratchRoot, { recursive: true, force: true });
});

const running = new Set<CacheProcess>();

/** A child process with a RepoCache on `cacheDir`. */
class CacheProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly answers: ((answer: CacheAnswer) => void)[] = [];

  constructor(cacheDir: string, capacity: number) {
    this.child = spawn(process.execPath, [CACHE_PROCESS, cacheDir, String(capacity)]);
    running.add(this);
    this.child.on("exit", () => running.delete(this));
    this.child.stderr.pipe(process.stderr);
    createInterface({ input: this.child.stdout }).on("line", (line) =>
      this.answers.shift()?.(JSON.parse(line) as CacheAnswer),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  send(command: CacheCommand): Promise<CacheAnswer> {
    const answer = new Promise<CacheAnswer>((resolve) => this.answers.push(resolve));
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
    return answer;
  }

  acquire(key: string, mount = key): Promise<CacheAnswer> {
    return this.send({ op: "acquire", url: `${gate.url}${mount}/`, key });
  }

  async kill(): Promise<void> {
    const exited = once(this.child, "exit");
    this.child.kill("SIGKILL");
    await exited;
  }

  async stop(): Promise<void> {
    const exited = once(this.child, "exit");
    this.child.stdin.end();
    assert.deepEqual(await exited, [0, null]);
  }
}

async function newCacheDir(): Promise<{ cacheDir: string; root: string }> {
  const cacheDir = await mkdtemp(join(scratchRoot, "cache-"));
  return { cacheDir, root: join(cacheDir, "repodata") };
}

/** Resolves once a name starting with `prefix` is in `dir`. */
async function appeared(dir: string, prefix: string): Promise<void> {
  const watcher = watch(dir);
  const created = new Promise<void>((resolve) =>
    watcher.on("change", (_event, name) => {
      if (String(name).startsWith(prefix)) resolve();
    }),
  );
  try {
    if (!(await readdir(dir)).some((name) => name.startsWith(prefix))) await created;
  } finally {
    watcher.close();
  }
}

/** The names in the cache's repodata directory, sorted. */
async function namesIn(root: string): Promise<string[]> {
  return (await readdir(root)).sort();
}

test("a process wanting a repository another is downloading waits for it: one download", async () => {
  const { cacheDir, root } = await newCacheDir();
  const [first, second] = [new CacheProcess(cacheDir, 5), new CacheProcess(cacheDir, 5)];
  const primary = "/crowd/repodata/primary.xml.gz";
  gate.hold(primary);
  const firstAcquisition = first.acquire("crowd");
  await gate.arrived(primary, 1); // the first is downloading
  const secondLease = appeared(root, `.lease-${second.pid}.`);
  const secondAcquisition = second.acquire("crowd");
  await secondLease; // the second is about to look for the repository
  gate.letGo(primary);

  for (const answer of await Promise.all([firstAcquisition, secondAcquisition])) {
    assert.deepEqual(answer, { dir: join(root, "crowd") });
  }
  assert.equal(server.requestCount("/crowd/repodata/repomd.xml"), 1, "one download");
  assert.equal(server.requestCount(primary), 1, "one download");
  for (const cache of [first, second]) {
    assert.deepEqual(await cache.send({ op: "verify", key: "crowd" }), {
      verified: DOWNLOADED_FILES,
    });
    assert.deepEqual(await cache.send({ op: "release", key: "crowd" }), { released: "crowd" });
    await cache.stop();
  }
  assert.deepEqual(await namesIn(root), ["crowd"], "one copy, nothing else left");
});

test("a repository held by one process survives another's evictions beyond capacity", async () => {
  const { cacheDir, root } = await newCacheDir();
  const holder = new CacheProcess(cacheDir, 1);
  const evictor = new CacheProcess(cacheDir, 1);
  assert.deepEqual(await holder.acquire("a"), { dir: join(root, "a") });
  for (const key of ["b", "c"]) {
    assert.deepEqual(await evictor.acquire(key), { dir: join(root, key) });
    assert.deepEqual(await evictor.send({ op: "release", key }), { released: key });
  }
  const cached = async () => (await namesIn(root)).filter((name) => !name.startsWith("."));
  assert.deepEqual(await cached(), ["a"], "b and c evicted beyond capacity, a in use");
  assert.deepEqual(await holder.send({ op: "verify", key: "a" }), { verified: DOWNLOADED_FILES });

  // Released, a is the least recently used: the evictor's next clean-up takes it.
  assert.deepEqual(await holder.send({ op: "release", key: "a" }), { released: "a" });
  assert.deepEqual(await cached(), ["a"]);
  await evictor.acquire("b");
  assert.deepEqual(await evictor.send({ op: "release", key: "b" }), { released: "b" });
  assert.deepEqual(await namesIn(root), ["b"]);
  await Promise.all([holder.stop(), evictor.stop()]);
});

test("what a killed process held or was downloading is recovered; foreign files stay", async () => {
  const { cacheDir, root } = await newCacheDir();
  const foreign: Record<string, string> = {
    "notes.txt": "beside the cache",
    "repodata/notes.txt": "in the cache",
    "repodata/stray/file": "a directory named like a cache key",
    "repodata/.download-999999999-x/file": "named like a dead process's download",
    "repodata/.lease-999999999-0123456789abcdef-a": "named like a dead process's lease",
  };
  for (const [path, content] of Object.entries(foreign)) {
    await mkdir(dirname(join(cacheDir, path)), { recursive: true });
    await writeFile(join(cacheDir, path), content);
  }

  const holder = new CacheProcess(cacheDir, 1);
  assert.deepEqual(await holder.acquire("a"), { dir: join(root, "a") });
  const primary = "/stuck/repodata/primary.xml.gz";
  gate.hold(primary);
  void holder.acquire("stuck");
  await gate.arrived(primary, 1); // downloading into a scratch directory
  await holder.kill();
  const left = (await namesIn(root)).filter((name) => name.includes(`-${holder.pid}.`));
  assert.deepEqual(
    left.map((name) => name.split("-")[0]),
    [".download", ".lease", ".lease"],
    "a lease on a and on stuck, and the download",
  );

  const survivor = new CacheProcess(cacheDir, 1);
  assert.deepEqual(await survivor.acquire("b"), { dir: join(root, "b") });
  assert.deepEqual(await survivor.send({ op: "release", key: "b" }), { released: "b" });
  await survivor.stop();
  assert.deepEqual(
    await namesIn(root),
    [".download-999999999-x", ".lease-999999999-0123456789abcdef-a", "b", "notes.txt", "stray"],
    "a evicted beyond capacity, the dead process's leases and download deleted",
  );
  for (const [path, content] of Object.entries(foreign)) {
    assert.equal(await readFile(join(cacheDir, path), "utf8"), content, path);
  }
});
