// Several processes sharing one repo cache directory: real child processes
// (repo-cache-process.ts) against a real HTTP repo server, synchronised by their answers and by
// the requests the server receives, never by sleeping.
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { sharedPath } from "../support/shared.js";
import type { CacheAnswer, CacheCommand } from "./repo-cache-process.js";
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
  await gate.close();
  await server.close();
  await rm(scratchRoot, { recursive: true, force: true });
});

/** A child process with a RepoCache on `cacheDir`. */
class CacheProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly answers: ((answer: CacheAnswer) => void)[] = [];

  constructor(cacheDir: string, capacity: number) {
    this.child = spawn(process.execPath, [CACHE_PROCESS, cacheDir, String(capacity)]);
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

/** Forwards requests to a server; requests for a held path wait until it is let go. */
interface GatedProxy {
  url: string;
  hold(path: string): void;
  /** Resolves once `count` requests for `path` have arrived. */
  arrived(path: string, count: number): Promise<void>;
  letGo(path: string): void;
  close(): Promise<void>;
}

async function startGatedProxy(target: string): Promise<GatedProxy> {
  const held = new Map<string, { open: Promise<void>; letGo: () => void }>();
  const arrivals = new Map<string, number>();
  const watchers: { path: string; count: number; notify: () => void }[] = [];
  const server = http.createServer((request, response) => {
    const path = request.url ?? "/";
    arrivals.set(path, (arrivals.get(path) ?? 0) + 1);
    for (const watcher of watchers.filter((w) => w.path === path)) {
      if (arrivals.get(path)! >= watcher.count) watcher.notify();
    }
    void (async () => {
      await held.get(path)?.open;
      const answer = await fetch(new URL(path.slice(1), target));
      response.writeHead(answer.status).end(Buffer.from(await answer.arrayBuffer()));
    })().catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const letGo = (path: string) => held.get(path)?.letGo();
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    hold(path) {
      let open!: () => void;
      held.set(path, { open: new Promise((resolve) => (open = resolve)), letGo: () => open() });
    },
    arrived: (path, count) =>
      (arrivals.get(path) ?? 0) >= count
        ? Promise.resolve()
        : new Promise((notify) => watchers.push({ path, count, notify })),
    letGo,
    close() {
      for (const path of held.keys()) letGo(path);
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

async function newCacheDir(): Promise<{ cacheDir: string; root: string }> {
  const cacheDir = await mkdtemp(join(scratchRoot, "cache-"));
  return { cacheDir, root: join(cacheDir, "repodata") };
}

/** The names in the cache's repodata directory, sorted. */
async function namesIn(root: string): Promise<string[]> {
  return (await readdir(root)).sort();
}

test("two processes acquiring one repository at once both get it, and one copy stays", async () => {
  const { cacheDir, root } = await newCacheDir();
  const processes = [new CacheProcess(cacheDir, 5), new CacheProcess(cacheDir, 5)];
  const repomd = "/crowd/repodata/repomd.xml";
  gate.hold(repomd);
  const acquisitions = processes.map((cache) => cache.acquire("crowd"));
  await gate.arrived(repomd, 2); // both are downloading
  gate.letGo(repomd);

  for (const answer of await Promise.all(acquisitions)) {
    assert.deepEqual(answer, { dir: join(root, "crowd") });
  }
  assert.equal(server.requestCount("/crowd/repodata/primary.xml.gz"), 2, "two downloads");
  for (const cache of processes) {
    assert.deepEqual(await cache.send({ op: "verify", key: "crowd" }), {
      verified: DOWNLOADED_FILES,
    });
  }
  const leases = processes.map((cache) => `.lease-${cache.pid}.`);
  assert.deepEqual(
    (await namesIn(root)).map((name) => leases.find((prefix) => name.startsWith(prefix)) ?? name),
    [...leases].sort().concat("crowd"),
    "one copy, one lease per process, no download left over",
  );
  for (const cache of processes) {
    assert.deepEqual(await cache.send({ op: "release", key: "crowd" }), { released: "crowd" });
    await cache.stop();
  }
  assert.deepEqual(await namesIn(root), ["crowd"]);
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
