// Bounded on-disk cache of rpm-md repositories (Koschei's "L2" repo cache).
//
// Layout under `<cacheDir>/repodata/`: one directory per cached repository, named by its key,
// holding `repodata/repomd.xml` and the metadata files the resolver needs at their repomd
// locations. A directory is only ever created by atomically renaming a fully downloaded and
// verified scratch directory, so its existence means it is complete; scratch directories left
// by a dead process are deleted on start-up. Recency survives restarts through directory mtimes.
//
// Eviction is coordinated inside one process: processes sharing a cache directory may evict a
// repository another process is still reading, so give each process its own `cacheDir`.

import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { renameSync } from "node:fs";
import { dirname, join, posix, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { assertValidCacheKey, cacheKeyForUrl, isValidCacheKey, scratchName, scratchOwnerPid } from "./cache-names.js";
import { downloadVerified, fetchBytes, type DownloadOptions } from "./download.js";
import { RepoError, RepoNotFoundError } from "./errors.js";
import { findRepomdData, parseRepomd, RepomdParseError, type ParsedRepomd } from "@koschei/koji-protocol/repomd.js";

export interface RepoCacheOptions {
  /** Koschei's `directories.cachedir`; repositories are kept in its `repodata/` subdirectory. */
  cacheDir: string;
  /** `dependency.cache_l2_capacity`: how many repositories are kept on disk. */
  capacity: number;
  /** Milliseconds without download progress before an attempt fails (default 60 000). */
  timeoutMs?: number;
  /** Extra attempts after a transient HTTP/network failure (default 3). */
  retries?: number;
  /** Back-off before the first retry, doubled each time (default 1000 ms). */
  retryDelayMs?: number;
}

/** A repository available on the local disk for as long as it is not released. */
export interface LocalRepo {
  /** Directory containing `repodata/`. */
  dir: string;
  key: string;
  repomd: ParsedRepomd;
  /** Absolute path of the metadata file of this type, if it is available locally. */
  dataPath(type: string): string | undefined;
  /** Ends this use; the cache may then evict the directory. Calling it again does nothing. */
  release(): void;
}

/** Metadata types a resolver needs: packages with their files, and the comps groups. */
const REQUIRED_TYPES = ["primary", "filelists"];
const OPTIONAL_TYPES = ["group", "group_gz"];
const DOWNLOADED_TYPES = new Set([...REQUIRED_TYPES, ...OPTIONAL_TYPES]);

const REPOMD_PATH = "repodata/repomd.xml";
const MAX_REPOMD_BYTES = 16 * 1024 * 1024;

/** Scratch directories this process is writing (several caches may share a directory). */
const activeScratchDirs = new Set<string>();

interface Entry {
  key: string;
  dir: string;
  /** Acquisitions not yet released. */
  users: number;
  /** The repository's index once its directory is complete; set on first acquisition. */
  repomd?: Promise<ParsedRepomd>;
}

export class RepoCache {
  /** `<cacheDir>/repodata`. */
  readonly root: string;
  private readonly capacity: number;
  private readonly download: DownloadOptions;
  /** Known repositories, least recently used first. */
  private readonly entries = new Map<string, Entry>();
  private readonly removals = new Set<Promise<void>>();
  private initialized?: Promise<void>;

  constructor(options: RepoCacheOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new Error(`repo cache capacity must be a positive integer, got ${options.capacity}`);
    }
    this.root = join(resolve(options.cacheDir), "repodata");
    this.capacity = options.capacity;
    this.download = {
      timeoutMs: options.timeoutMs ?? 60_000,
      retries: options.retries ?? 3,
      retryDelayMs: options.retryDelayMs ?? 1000,
    };
  }

  /**
   * Makes the repository at `baseUrl` (the directory containing `repodata/`) available locally.
   * HTTP(S) repositories are downloaded once into the cache under `key` (default: derived from
   * the URL); a local path or file:// URL is used in place. Release the result when done.
   */
  async acquire(baseUrl: string, key?: string): Promise<LocalRepo> {
    const location = locate(baseUrl);
    if ("path" in location) return openInPlace(location.path, key ?? location.path);

    const cacheKey = key ?? cacheKeyForUrl(location.url);
    assertValidCacheKey(cacheKey);
    await (this.initialized ??= this.initialize().catch((error: unknown) => {
      this.initialized = undefined; // let the next acquisition try again
      throw error;
    }));

    const entry = this.entries.get(cacheKey) ?? {
      key: cacheKey,
      dir: join(this.root, cacheKey),
      users: 0,
    };
    this.entries.delete(cacheKey);
    this.entries.set(cacheKey, entry);
    entry.users++;
    let repomd: ParsedRepomd;
    try {
      repomd = await (entry.repomd ??= this.prepare(location.url, entry.dir));
      const now = new Date();
      await utimes(entry.dir, now, now);
    } catch (error) {
      entry.users--;
      if (this.entries.get(cacheKey) === entry) this.entries.delete(cacheKey);
      throw error;
    }
    this.evictUnused();
    let released = false;
    return localRepo(
      entry.dir,
      cacheKey,
      repomd,
      (type) => DOWNLOADED_TYPES.has(type),
      () => {
        if (released) return;
        released = true;
        entry.users--;
        this.evictUnused();
      },
    );
  }

  /** Runs `fn` with the acquired repository and releases it afterwards. */
  async use<T>(baseUrl: string, fn: (repo: LocalRepo) => Promise<T> | T, key?: string): Promise<T> {
    const repo = await this.acquire(baseUrl, key);
    try {
      return await fn(repo);
    } finally {
      repo.release();
    }
  }

  /** Waits for evicted directories to be deleted from disk. */
  async close(): Promise<void> {
    await Promise.all(this.removals);
  }

  private async initialize(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    const found: { key: string; mtimeMs: number }[] = [];
    for (const dirent of await readdir(this.root, { withFileTypes: true })) {
      const path = join(this.root, dirent.name);
      const owner = scratchOwnerPid(dirent.name);
      if (owner !== undefined) {
        if (!isScratchInUse(path, owner)) await rm(path, { recursive: true, force: true });
      } else if (dirent.isDirectory() && isValidCacheKey(dirent.name)) {
        if (await exists(join(path, REPOMD_PATH))) {
          found.push({ key: dirent.name, mtimeMs: (await stat(path)).mtimeMs });
        } else {
          // Not made by this cache (a complete download always has repomd.xml): reclaim it.
          await rm(path, { recursive: true, force: true });
        }
      }
    }
    found.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const { key } of found) {
      this.entries.set(key, { key, dir: join(this.root, key), users: 0 });
    }
    this.evictUnused();
  }

  /** Reads the cached copy in `dir`, or downloads the repository into it. */
  private async prepare(baseUrl: string, dir: string): Promise<ParsedRepomd> {
    try {
      return parseRepomd(await readFile(join(dir, REPOMD_PATH), "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") this.discard(dir); // damaged copy
    }
    return this.fetchInto(baseUrl, dir);
  }

  private async fetchInto(baseUrl: string, dir: string): Promise<ParsedRepomd> {
    const repomdUrl = new URL(REPOMD_PATH, baseUrl).href;
    let raw: Buffer;
    try {
      raw = await fetchBytes(repomdUrl, this.download, MAX_REPOMD_BYTES);
    } catch (error) {
      if (!(error instanceof RepoNotFoundError)) throw error;
      throw new RepoNotFoundError(
        `repository ${baseUrl} does not exist (${REPOMD_PATH}: HTTP 404); it may have been deleted`,
        baseUrl,
        { cause: error },
      );
    }
    const repomd = parseRepomdFrom(raw.toString("utf8"), repomdUrl);
    const wanted = [...REQUIRED_TYPES, ...OPTIONAL_TYPES].flatMap((type) => {
      const data = findRepomdData(repomd, type);
      if (!data && REQUIRED_TYPES.includes(type)) {
        throw new RepoError(`${repomdUrl} lists no ${type} metadata`, repomdUrl);
      }
      return data ? [data] : [];
    });

    const scratch = join(this.root, scratchName("download", process.pid, randomUUID()));
    activeScratchDirs.add(scratch);
    try {
      await mkdir(join(scratch, "repodata"), { recursive: true });
      await writeFile(join(scratch, REPOMD_PATH), raw);
      const results = await Promise.allSettled(
        wanted.map(async (data) => {
          const target = join(scratch, safeRelativePath(data.href, repomdUrl));
          await mkdir(dirname(target), { recursive: true });
          const source = new URL(data.href, data.base ? withTrailingSlash(data.base) : baseUrl);
          await downloadVerified(source.href, target, data, this.download);
        }),
      );
      const failure = results.find((result) => result.status === "rejected");
      if (failure) throw failure.reason;
      await installDirectory(scratch, dir);
    } finally {
      activeScratchDirs.delete(scratch);
      await rm(scratch, { recursive: true, force: true });
    }
    return repomd;
  }

  /** Removes least recently used repositories nobody is using until within capacity. */
  private evictUnused(): void {
    let excess = this.entries.size - this.capacity;
    for (const entry of this.entries.values()) {
      if (excess <= 0) break;
      if (entry.users > 0) continue;
      this.entries.delete(entry.key);
      this.discard(entry.dir);
      excess--;
    }
  }

  /**
   * Moves `dir` out of the way at once (so its key can be downloaded again immediately) and
   * deletes it in the background.
   */
  private discard(dir: string): void {
    const trash = join(this.root, scratchName("trash", process.pid, randomUUID()));
    try {
      renameSync(dir, trash);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    // A failed deletion leaves a trash directory that the next start-up removes.
    const removal = rm(trash, { recursive: true, force: true }).catch(() => undefined);
    this.removals.add(removal);
    void removal.finally(() => this.removals.delete(removal));
  }
}

function locate(baseUrl: string): { url: string } | { path: string } {
  if (/^https?:\/\//i.test(baseUrl)) return { url: withTrailingSlash(baseUrl) };
  if (/^file:/i.test(baseUrl)) return { path: fileURLToPath(baseUrl) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(baseUrl)) {
    throw new RepoError(`unsupported repository URL scheme: ${baseUrl}`, baseUrl);
  }
  return { path: resolve(baseUrl) };
}

async function openInPlace(dir: string, key: string): Promise<LocalRepo> {
  const repomdPath = join(dir, REPOMD_PATH);
  let text: string;
  try {
    text = await readFile(repomdPath, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    throw new RepoNotFoundError(`no repository at ${dir} (${repomdPath} does not exist)`, dir);
  }
  const repomd = parseRepomdFrom(text, repomdPath);
  return localRepo(
    dir,
    key,
    repomd,
    () => true,
    () => undefined,
  );
}

function localRepo(
  dir: string,
  key: string,
  repomd: ParsedRepomd,
  isAvailable: (type: string) => boolean,
  release: () => void,
): LocalRepo {
  return {
    dir,
    key,
    repomd,
    dataPath(type) {
      const data = findRepomdData(repomd, type);
      return data && isAvailable(type) ? join(dir, safeRelativePath(data.href, dir)) : undefined;
    },
    release,
  };
}

function parseRepomdFrom(text: string, where: string): ParsedRepomd {
  try {
    return parseRepomd(text);
  } catch (error) {
    if (!(error instanceof RepomdParseError)) throw error;
    throw new RepoError(`${where}: ${error.message}`, where, { cause: error });
  }
}

/** A repomd location must stay inside the repository directory. */
function safeRelativePath(href: string, where: string): string {
  const normalized = posix.normalize(href);
  if (posix.isAbsolute(normalized) || normalized === ".." || normalized.startsWith("../")) {
    throw new RepoError(`${where}: location "${href}" points outside the repository`, where);
  }
  return normalized;
}

/** Renames the finished download into place; if another process got there first, keep theirs. */
async function installDirectory(scratch: string, dir: string): Promise<void> {
  try {
    await rename(scratch, dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
  }
}

function isScratchInUse(path: string, owner: number): boolean {
  if (owner === process.pid) return activeScratchDirs.has(path);
  try {
    process.kill(owner, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

function withTrailingSlash(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}
