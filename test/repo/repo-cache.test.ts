import assert from "node:assert/strict";
import { watch } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pino } from "pino";
import { pathToFileURL } from "node:url";
import { currentProcessOwner } from "../../src/process/process-owner.js";
import { hiddenName } from "../../src/repo/cache-names.js";
import { CACHE_FILE_CONTENT, nonce } from "../../src/repo/entry-leases.js";
import {
  RepoDownloadError,
  RepoInconsistentError,
  RepoNotFoundError,
} from "../../src/repo/errors.js";
import { isOutage } from "../../src/backend/outages.js";
import {
  CACHE_ENTRY_MARKER,
  RepoCache,
  repoCacheSettings,
  type RepoCacheOptions,
} from "../../src/repo/repo-cache.js";
import { unacceptingServer } from "../net/misbehaving-servers.js";
import { sharedPath } from "../support/shared.js";
import { startGatedProxy } from "./gated-proxy.js";
import { startRepoServer, type RepoServer } from "./repo-server.js";

const EDGE_REPO = sharedPath("bench/edge/repo");
const MOUNTS = ["a", "b", "c", "d", "retry", "corrupt", "short", "broken", "slow", "crowd", "race"];

let server: RepoServer;
let scratchRoot: string;

before(async () => {
  server = await startRepoServer(Object.fromEntries(MOUNTS.map((name) => [name, EDGE_REPO])));
  scratchRoot = await mkdtemp(join(tmpdir(), "koschei-repo-cache-"));
});

after(async () => {
  await server.close();
  await rm(scratchRoot, { recursive: true, force: true });
});

async function newCache(options: Partial<RepoCacheOptions> = {}): Promise<RepoCache> {
  const cacheDir = options.cacheDir ?? (await mkdtemp(join(scratchRoot, "cache-")));
  return new RepoCache({ capacity: 10, retries: 2, retryDelayMs: 1, ...options, cacheDir });
}

/**
 * Entries of the cache's repodata directory (cached repos and any scratch leftovers), without
 * the lease files of repositories in use.
 */
async function onDisk(cache: RepoCache): Promise<string[]> {
  await cache.close();
  return (await readdir(cache.root)).filter((name) => !name.startsWith(".lease-")).sort();
}

test("downloads repomd, primary, filelists and comps, verified, into <cacheDir>/repodata/<key>", async () => {
  const cache = await newCache();
  const repo = await cache.acquire(`${server.url}a`, "edge-1");
  assert.equal(repo.dir, join(cache.root, "edge-1"));
  assert.equal(repo.key, "edge-1");
  assert.deepEqual(await readdir(join(repo.dir, "repodata")).then((names) => names.sort()), [
    "comps.xml",
    "comps.xml.gz",
    "filelists.xml.gz",
    "primary.xml.gz",
    "repomd.xml",
  ]);
  for (const name of ["repomd.xml", "primary.xml.gz", "comps.xml.gz"]) {
    assert.deepEqual(
      await readFile(join(repo.dir, "repodata", name)),
      await readFile(join(EDGE_REPO, "repodata", name)),
    );
  }
  assert.equal(repo.dataPath("primary"), join(repo.dir, "repodata/primary.xml.gz"));
  assert.equal(repo.dataPath("group"), join(repo.dir, "repodata/comps.xml"));
  assert.equal(repo.dataPath("other"), undefined, "other.xml is not downloaded");
  assert.equal(server.requestCount("/a/repodata/other.xml.gz"), 0);
  assert.deepEqual(
    repo.repomd.data.map((d) => d.type),
    ["primary", "filelists", "other", "group", "group_gz"],
  );
  repo.release();
  assert.deepEqual(await onDisk(cache), ["edge-1"]);
});

test("a key derived from the URL is used when none is given", async () => {
  const cache = await newCache();
  const repo = await cache.acquire(`${server.url}a/`);
  assert.match(repo.key, /^127\.0\.0\.1_\d+_a-[0-9a-f]{12}$/);
  assert.equal(repo.dir, join(cache.root, repo.key));
  repo.release();
});

test("a file not matching repomd.xml is an outage (RepoInconsistentError), leaving nothing in the cache", async () => {
  const primary = await readFile(join(EDGE_REPO, "repodata/primary.xml.gz"));
  const corrupted = Buffer.from(primary);
  corrupted[100] = corrupted[100]! ^ 0xff;
  server.replaceBody("/corrupt/repodata/primary.xml.gz", corrupted);
  server.replaceBody("/short/repodata/filelists.xml.gz", Buffer.from("truncated"));
  const cache = await newCache();
  await assert.rejects(cache.acquire(`${server.url}corrupt`, "corrupt"), (error) => {
    // Koji regenerating the repository during the download: the long-running resolvers try
    // again at their next pass instead of exiting.
    assert.ok(error instanceof RepoInconsistentError);
    assert.ok(isOutage(error));
    assert.match(error.message, /primary\.xml\.gz: sha256 checksum [0-9a-f]+ does not match/);
    assert.match(error.message, /probably being regenerated/);
    return true;
  });
  await assert.rejects(cache.acquire(`${server.url}short`, "short"), (error) => {
    assert.ok(error instanceof RepoInconsistentError);
    assert.match(error.message, /filelists\.xml\.gz: received 9 bytes, repomd\.xml lists 3410/);
    return true;
  });
  assert.deepEqual(await onDisk(cache), []);
  // Once the files match again, the next acquisition succeeds.
  server.replaceBody("/corrupt/repodata/primary.xml.gz", primary);
  const repo = await cache.acquire(`${server.url}corrupt`, "corrupt");
  repo.release();
  assert.deepEqual(await onDisk(cache), ["corrupt"]);
});

test("a missing repomd.xml is a RepoNotFoundError, for URLs and local paths", async () => {
  const cache = await newCache();
  await assert.rejects(cache.acquire(`${server.url}gone/`, "gone"), (error) => {
    assert.ok(error instanceof RepoNotFoundError);
    assert.match(error.message, /repository http:\S+\/gone\/ does not exist/);
    return true;
  });
  const nowhere = join(scratchRoot, "nowhere");
  await assert.rejects(
    cache.acquire(nowhere),
    new RepoNotFoundError(`repo ${nowhere}: no such directory`, nowhere),
  );
  await assert.rejects(
    cache.acquire(scratchRoot),
    new RepoNotFoundError(`repo ${scratchRoot}: no repodata/repomd.xml`, scratchRoot),
  );
  assert.deepEqual(await onDisk(cache), []);
});

test("transient HTTP errors are retried with back-off, then reported", async () => {
  server.failWith("/retry/repodata/repomd.xml", 500, 2);
  const cache = await newCache({ retries: 2 });
  const repo = await cache.acquire(`${server.url}retry`, "retry");
  assert.equal(server.requestCount("/retry/repodata/repomd.xml"), 3);
  repo.release();

  server.failWith("/broken/repodata/filelists.xml.gz", 503);
  await assert.rejects(cache.acquire(`${server.url}broken`, "broken"), (error) => {
    assert.ok(error instanceof RepoDownloadError);
    assert.match(error.message, /filelists\.xml\.gz failed after 3 attempts: .*HTTP 503/);
    return true;
  });
  assert.deepEqual(await onDisk(cache), ["retry"]);
});

test("a server that stops answering fails the attempt after the inactivity timeout", async () => {
  server.hang("/slow/repodata/repomd.xml");
  const cache = await newCache({ timeoutMs: 50, retries: 0 });
  await assert.rejects(
    cache.acquire(`${server.url}slow`, "slow"),
    /no data for 0\.05 s \(idle timeout\)/,
  );
});

test("concurrent acquisitions of one repository download it once", async () => {
  const cache = await newCache();
  const repos = await Promise.all([1, 2, 3].map(() => cache.acquire(`${server.url}crowd`)));
  assert.equal(new Set(repos.map((repo) => repo.dir)).size, 1);
  assert.equal(server.requestCount("/crowd/repodata/repomd.xml"), 1);
  assert.equal(server.requestCount("/crowd/repodata/primary.xml.gz"), 1);
  for (const repo of repos) repo.release();
});

test("a download finding the repository installed by another process meanwhile uses that copy", async (t) => {
  const gate = await startGatedProxy(server.url);
  t.after(() => gate.close());
  const cache = await newCache();
  const primary = "/race/repodata/primary.xml.gz";
  gate.hold(primary);
  const acquisition = cache.acquire(`${gate.url}race/`, "race");
  await gate.arrived(primary, 1);
  // Another process's download, renamed into place first (a copy with a file to recognise it).
  const other = await newCache();
  (await other.acquire(`${server.url}race/`, "race")).release();
  await writeFile(join(other.root, "race", "theirs"), "");
  await cp(join(other.root, "race"), join(cache.root, "race"), { recursive: true });
  gate.letGo(primary);

  const repo = await acquisition;
  assert.equal(repo.dir, join(cache.root, "race"));
  assert.ok((await readdir(repo.dir)).includes("theirs"));
  assert.equal(repo.repomd.data.length, 5);
  repo.release();
  assert.deepEqual(await onDisk(cache), ["race"], "its own download deleted");
});

test("beyond capacity the least recently used repository not in use is evicted", async () => {
  const cache = await newCache({ capacity: 2 });
  const acquireAndRelease = async (name: string) =>
    (await cache.acquire(`${server.url}${name}`, name)).release();
  await acquireAndRelease("a");
  await acquireAndRelease("b");
  await acquireAndRelease("a"); // a becomes the most recently used
  await acquireAndRelease("c");
  assert.deepEqual(await onDisk(cache), ["a", "c"]);

  const held = await cache.acquire(`${server.url}a`, "a");
  await acquireAndRelease("b"); // c goes; a is older but in use
  assert.deepEqual(await onDisk(cache), ["a", "b"]);
  const alsoHeld = await cache.acquire(`${server.url}d`, "d"); // b goes
  assert.deepEqual(await onDisk(cache), ["a", "d"]);
  await acquireAndRelease("c"); // a and d in use: c goes as soon as it is released
  assert.deepEqual(await onDisk(cache), ["a", "d"]);
  held.release();
  held.release(); // a second release changes nothing
  alsoHeld.release();
  assert.deepEqual(await onDisk(cache), ["a", "d"]);
  await acquireAndRelease("b");
  assert.deepEqual(await onDisk(cache), ["b", "d"]);
  assert.deepEqual((await readdir(cache.root)).sort(), ["b", "d"], "no lease is left behind");
});

test("an acquisition waits while a live process is evicting that repository", async () => {
  const cache = await newCache();
  (await cache.acquire(`${server.url}a`, "a")).release();
  await cache.close();
  const eviction = join(cache.root, hiddenName("evict", currentProcessOwner(), nonce(), "a"));
  await writeFile(eviction, CACHE_FILE_CONTENT);
  // A lease file created and deleted again: the acquisition saw the eviction and stood back.
  const leaseEvents = new Map<string, number>();
  const watcher = watch(cache.root);
  const withdrawn = new Promise<string>((resolve) =>
    watcher.on("change", (event, name) => {
      if (event !== "rename" || !String(name).startsWith(".lease-")) return;
      leaseEvents.set(String(name), (leaseEvents.get(String(name)) ?? 0) + 1);
      if (leaseEvents.get(String(name)) === 2) resolve("lease withdrawn");
    }),
  );
  const acquisition = cache.acquire(`${server.url}a`, "a");
  try {
    assert.equal(
      await Promise.race([withdrawn, acquisition.then(() => "acquired")]),
      "lease withdrawn",
    );
  } finally {
    watcher.close();
    await rm(eviction);
  }
  (await acquisition).release();
  assert.deepEqual(await onDisk(cache), ["a"]);
});

test("local paths and file:// URLs are used in place", async () => {
  const cache = await newCache();
  for (const location of [EDGE_REPO, pathToFileURL(EDGE_REPO).href]) {
    const repo = await cache.acquire(location);
    assert.equal(repo.dir, EDGE_REPO);
    assert.equal(repo.dataPath("other"), join(EDGE_REPO, "repodata/other.xml.gz"));
    repo.release();
  }
  await assert.rejects(readdir(cache.root), { code: "ENOENT" }, "nothing copied into the cache");
});

test("after a restart complete repositories are reused and leftovers removed", async () => {
  const cacheDir = await mkdtemp(join(scratchRoot, "restart-"));
  const first = await newCache({ cacheDir, capacity: 2 });
  for (const name of ["b", "c"]) (await first.acquire(`${server.url}${name}`, name)).release();
  await first.close();
  // c was used before b, and a dead process left a download behind.
  await utimes(join(first.root, "c"), new Date(1000), new Date(1000));
  const leftover = join(first.root, ".download-999999999-abc");
  await mkdir(join(leftover, "repodata"), { recursive: true });
  await writeFile(join(leftover, CACHE_ENTRY_MARKER), "");
  const requestsBefore = server.requestCount("/b/repodata/repomd.xml");

  const second = await newCache({ cacheDir, capacity: 1 });
  const repo = await second.acquire(`${server.url}b`, "b");
  assert.equal(server.requestCount("/b/repodata/repomd.xml"), requestsBefore, "not downloaded");
  assert.equal(repo.repomd.data.length, 5);
  repo.release();
  assert.deepEqual(await onDisk(second), ["b"], "c evicted as least recently used");
});

test("files and directories the cache did not create survive start-up, eviction and clean-up", async () => {
  const cacheDir = await mkdtemp(join(scratchRoot, "shared-"));
  const root = join(cacheDir, "repodata");
  const foreign: Record<string, string> = {
    "own-notes.txt": "top level",
    "repodata/notes.txt": "a file",
    "repodata/stray/file": "a directory named like a cache key",
    "repodata/.download-999999999-x/file": "named like a dead process's download",
    "repodata/b/repodata/repomd.xml": "<not a repomd/>",
  };
  for (const [path, content] of Object.entries(foreign)) {
    await mkdir(join(cacheDir, path, ".."), { recursive: true });
    await writeFile(join(cacheDir, path), content);
  }
  const cache = await newCache({ cacheDir, capacity: 1 });
  for (const name of ["a", "c", "a"]) (await cache.acquire(`${server.url}${name}`, name)).release();
  await assert.rejects(
    cache.acquire(`${server.url}b`, "b"),
    new RegExp(
      `${join(root, "b")} was not created by the repo cache, which will neither use nor delete it`,
    ),
  );
  assert.deepEqual(await onDisk(cache), [".download-999999999-x", "a", "b", "notes.txt", "stray"]);
  const second = await newCache({ cacheDir, capacity: 1 });
  (await second.acquire(`${server.url}c`, "c")).release();
  assert.deepEqual(await onDisk(second), [".download-999999999-x", "b", "c", "notes.txt", "stray"]);
  for (const [path, content] of Object.entries(foreign)) {
    assert.equal(await readFile(join(cacheDir, path), "utf8"), content, path);
  }
});

test("an empty or relative cache directory is refused, naming the setting", () => {
  for (const cacheDir of ["", "cache", "./x"]) {
    assert.throws(() => new RepoCache({ cacheDir, capacity: 1 }), {
      message: `directories.cachedir must be an absolute directory path, got ${JSON.stringify(cacheDir)}`,
    });
  }
});

test("a repo URL's password appears in no error and no log line", async () => {
  const lines: string[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => lines.push(line) });
  const cache = await newCache({ retries: 1, logger });
  const withSecret = (path: string) => server.url.replace("//", "//koschei:secret@") + path;
  server.failWith("/broken/repodata/repomd.xml", 503);
  server.replaceBody("/short/repodata/filelists.xml.gz", Buffer.from("truncated"));
  const failures = [
    { url: withSecret("broken"), message: /repomd\.xml failed after 2 attempts: .*HTTP 503/ },
    {
      url: withSecret("gone"),
      message: /repository http:\/\/koschei:\*\*\*@\S+\/gone\/ does not exist/,
    },
    { url: withSecret("short"), message: /filelists\.xml\.gz: received 9 bytes/ },
    { url: "http://koschei:secret@127.0.0.1:1/", message: /ECONNREFUSED/ },
    {
      url: "http://koschei:secret@[::1/",
      message: /^http:\/\/koschei:\*\*\*@\[::1\/ is not a valid URL$/,
    },
  ];
  for (const { url, message } of failures) {
    await assert.rejects(cache.acquire(url), (error: Error & { url?: string }) => {
      assert.match(error.message, message);
      assert.match(error.message, /koschei:\*\*\*@/);
      for (const text of [String(error), error.stack, error.url, String(error.cause)]) {
        assert.doesNotMatch(text ?? "", /secret/);
      }
      return true;
    });
  }
  assert.ok(
    lines.some((line) => line.includes("koschei:***@")),
    "the downloads were logged",
  );
  assert.deepEqual(
    lines.filter((line) => line.includes("secret")),
    [],
  );
});

test("https:// against a plain HTTP server is a TLS failure naming the URL", async () => {
  const cache = await newCache({ retries: 0 });
  const url = `${server.url.replace("http:", "https:")}a/`;
  await assert.rejects(cache.acquire(url), (error: Error) => {
    assert.ok(error instanceof RepoDownloadError);
    assert.ok(
      error.message.startsWith(`GET ${url}repodata/repomd.xml: the server does not speak TLS`),
      error.message,
    );
    return true;
  });
});

test("URL schemes in any case; file:// and local paths in place; other schemes refused", async () => {
  const cache = await newCache();
  const upper = await cache.acquire(`${server.url.replace("http", "HTTP")}a`);
  assert.equal(upper.key, (await cache.acquire(`${server.url}a`)).key);
  upper.release();
  const local = await cache.acquire(pathToFileURL(EDGE_REPO).href.replace("file", "File"));
  assert.equal(local.dir, EDGE_REPO);
  await assert.rejects(cache.acquire("ftp://example.org/repo/"), {
    message: "ftp://example.org/repo/: unsupported URL scheme (use http, https or file)",
  });
  await assert.rejects(
    cache.acquire("file://elsewhere/repo"),
    /^RepoError: file:\/\/elsewhere\/repo is not a valid URL \(.*host/,
  );
});

test("the configured download limits reach the cache's downloads", async (t) => {
  const server = await unacceptingServer();
  t.after(() => server.close());
  const settings = repoCacheSettings({
    cache_l2_capacity: 3,
    repo_connect_timeout: 0.2,
    repo_idle_timeout: 7,
    repo_download_timeout: 9,
  });
  assert.deepEqual(settings, {
    capacity: 3,
    connectTimeoutMs: 200,
    timeoutMs: 7000,
    overallTimeoutMs: 9000,
  });
  const cache = await newCache({ ...settings, retries: 0 });
  t.after(() => cache.close());
  await assert.rejects(cache.acquire(`${server.origin}/repo/`), {
    message: `GET ${server.origin}/repo/repodata/repomd.xml failed after 1 attempt: no connection within 0.2 s (connect timeout)`,
  });
});
