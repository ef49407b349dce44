// Bounded on-disk cache of rpm-md repositories (Koschei's "L2" repo cache).
//
// Layout under `<cacheDir>/repodata/`: one directory per cached repository, named by its key,
// holding `repodata/repomd.xml` and the metadata files the resolver needs at their repomd
// locations. A directory is only ever created by atomically renaming a fully downloaded and
// verified scratch directory, so its existence means it is complete; scratch directories left
// by a dead process are deleted on start-up. Recency survives restarts through directory mtimes.
//
// The cache deletes only what it created: every scratch directory gets a marker file before
// anything else is written into it, so cached repositories and trash carry it too, and a
// directory without the marker (a user's own files) is never touched, nor used as a repository.
//
// Eviction is coordinated inside one process: processes sharing a cache directory may evict a
// repository another process is still reading, so give each process its own `cacheDir`.

import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { renameSync } from "node:fs";
import { dirname, isAbsolute, join, posix, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  assertValidCacheKey,
  cacheKeyForUrl,
  isValidCacheKey,
  scratchName,
  scratchOwnerPid,
} from "./cache-names.js";
import { downloadVerified, fetchBytes, type DownloadOptions } from "./download.js";
import { RepoDownloadError, RepoError, RepoNotFoundError } from "./errors.js";
import { RefCountedLru } from "./ref-counted-lru.js";
import type { DependencyConfig } from "../config/types.js";
import { silentLogger, type Logger } from "../log/logger.js";
import { maskPasswords } from "../log/mask.js";
import {
  findRepomdData,
  parseRepomd,
  RepomdParseError,
  type ParsedRepomd,
} from "@koschei/koji-protocol/repomd.js";

export interface RepoCacheOptions {
  /** Koschei's `directories.cachedir`; repositories are kept in its `repodata/` subdirectory. */
  cacheDir: string;
  /** `dependency.cache_l2_capacity`: how many repositories are kept on disk. */
  capacity: number;
  /** Milliseconds without download progress before an attempt fails (default 60 000). */
  timeoutMs?: number;
  /** Milliseconds to connect to a repo server (default: the download layer's). */
  connectTimeoutMs?: number;
  /** Milliseconds one file's download may take in all (default: the download layer's). */
  overallTimeoutMs?: number;
  /** Extra attempts after a transient HTTP/network failure (default 3). */
  retries?: number;
  /** Back-off before the first retry, doubled each time (default 1000 ms). */
  retryDelayMs?: number;
  /** Downloads, retries and evictions are logged here (passwords masked). */
  logger?: Logger;
}

/** The capacity and download limits of a repo cache, from the `dependency` configuration. */
export function repoCacheSettings(
  dependency: Pick<
    DependencyConfig,
    "cache_l2_capacity" | "repo_connect_timeout" | "repo_idle_timeout" | "repo_download_timeout"
  >,
): Omit<RepoCacheOptions, "cacheDir" | "logger"> {
  return {
    capacity: dependency.cache_l2_capacity,
    connectTimeoutMs: dependency.repo_connect_timeout * 1000,
    timeoutMs: dependency.repo_idle_timeout * 1000,
    overallTimeoutMs: dependency.repo_download_timeout * 1000,
  };
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

/** The file marking a directory as created by this cache (so the cache may delete it). */
export const CACHE_ENTRY_MARKER = ".koschei-repo-cache";

/** Scratch directories this process is writing (several caches may share a directory). */
const activeScratchDirs = new Set<string>();

/**
 * Refuses a cache directory that is not an absolute path: an empty or relative
 * `directories.cachedir` would make the current directory (a user's files) the cache.
 */
export function checkCacheDir(cacheDir: string): void {
  if (!isAbsolute(cacheDir)) {
    throw new Error(
      `directories.cachedir must be an absolute directory path, got ${JSON.stringify(cacheDir)}`,
    );
  }
}

export class RepoCache {
  /** `<cacheDir>/repodata`. */
  readonly root: string;
  private readonly download: DownloadOptions;
  private readonly logger: Logger;
  /** Repositories on disk by key, with their parsed repomd.xml once acquired. */
  private readonly entries: RefCountedLru<string, ParsedRepomd>;
  private readonly removals = new Set<Promise<void>>();
  private initialized?: Promise<void>;

  constructor(options: RepoCacheOptions) {
    checkCacheDir(options.cacheDir);
    this.root = join(options.cacheDir, "repodata");
    this.logger = options.logger ?? silentLogger;
    this.entries = new RefCountedLru({
      capacity: options.capacity,
      dispose: (key) => {
        this.logger.debug({ key }, "evicting a cached repository");
        this.discard(join(this.root, key));
      },
    });
    this.download = {
      timeoutMs: options.timeoutMs ?? 60_000,
      connectTimeoutMs: options.connectTimeoutMs,
      overallTimeoutMs: options.overallTimeoutMs,
      retries: options.retries ?? 3,
      retryDelayMs: options.retryDelayMs ?? 1000,
      logger: this.logger,
    };
  }

  /**
   * Makes the repository at `baseUrl` (the directory containing `repodata/`) available locally.
   * HTTP(S) repositories are downloaded once into the cache under `key` (default: derived from
   * the URL); a local path or file:// URL is used in place. Release the result when done.
   */
  async acquire(baseUrl: string, key?: string): Promise<LocalRepo> {
    const location = locateRepo(baseUrl);
    if ("path" in location) return openInPlace(location.path, key ?? location.path);
    try {
      return await this.acquireUrl(location.url, key ?? cacheKeyForUrl(location.url));
    } catch (error) {
      throw publicError(error, location.url);
    }
  }

  private async acquireUrl(url: string, key: string): Promise<LocalRepo> {
    assertValidCacheKey(key);
    await (this.initialized ??= this.initialize().catch((error: unknown) => {
      this.initialized = undefined; // let the next acquisition try again
      throw error;
    }));
    const dir = join(this.root, key);
    const lease = await this.entries.acquire(key, () => this.prepare(url, dir));
    const now = new Date();
    // Recency for the next start-up only: a failure here must not fail the acquisition.
    await utimes(dir, now, now).catch((error: Error) =>
      this.logger.warn({ dir, err: error.message }, "cannot mark a cached repository as used"),
    );
    return localRepo(dir, key, lease.value, (type) => DOWNLOADED_TYPES.has(type), lease.release);
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

  /** Adopts the repositories a previous run left, deleting its unfinished work. */
  private async initialize(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    const found: { key: string; mtimeMs: number }[] = [];
    for (const dirent of await readdir(this.root, { withFileTypes: true })) {
      const path = join(this.root, dirent.name);
      if (!dirent.isDirectory() || !(await isCacheEntry(path))) continue;
      const owner = scratchOwnerPid(dirent.name);
      if (owner !== undefined) {
        if (!isScratchInUse(path, owner)) await rm(path, { recursive: true, force: true });
      } else if (isValidCacheKey(dirent.name)) {
        found.push({ key: dirent.name, mtimeMs: (await stat(path)).mtimeMs });
      }
    }
    found.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const { key } of found) this.entries.adopt(key);
  }

  /** Reads the cached copy in `dir`, or downloads the repository into it. */
  private async prepare(baseUrl: string, dir: string): Promise<ParsedRepomd> {
    if (await isCacheEntry(dir)) {
      try {
        return parseRepomd(await readFile(join(dir, REPOMD_PATH), "utf8"));
      } catch {
        this.discard(dir); // a damaged copy: download it again
      }
    } else if (await exists(dir)) {
      throw foreignDirectoryError(dir, baseUrl);
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
    this.logger.info({ url: maskPasswords(baseUrl), dir }, "downloading a repository");
    try {
      await mkdir(scratch);
      await writeFile(join(scratch, CACHE_ENTRY_MARKER), "created by koschei's repo cache\n");
      await mkdir(join(scratch, "repodata"));
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
      await installDirectory(scratch, dir, baseUrl);
    } finally {
      activeScratchDirs.delete(scratch);
      await rm(scratch, { recursive: true, force: true });
    }
    return repomd;
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

/**
 * Where a repository is: an http(s) URL (any case) to download, or a local directory (a path or
 * a file:// URL). A malformed URL or another scheme is a RepoError naming it, password masked.
 */
export function locateRepo(baseUrl: string): { url: string } | { path: string } {
  const scheme = /^([a-z][a-z0-9+.-]*):(?=\/\/)|^(file):/i.exec(baseUrl)?.slice(1).join("");
  if (!scheme) return { path: resolve(baseUrl) };
  const shown = maskPasswords(baseUrl);
  try {
    const url = new URL(baseUrl);
    if (url.protocol === "file:") return { path: fileURLToPath(url) };
    if (url.protocol === "http:" || url.protocol === "https:") {
      return { url: withTrailingSlash(url.href) };
    }
  } catch (error) {
    const reason = error instanceof TypeError && error.message !== "Invalid URL";
    throw new RepoError(`${shown} is not a valid URL${reason ? ` (${error.message})` : ""}`, shown);
  }
  throw new RepoError(`${shown}: unsupported URL scheme (use http, https or file)`, shown);
}

async function openInPlace(dir: string, key: string): Promise<LocalRepo> {
  const repomdPath = join(dir, REPOMD_PATH);
  let text: string;
  try {
    text = await readFile(repomdPath, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
    const missing = (await isDirectory(dir)) ? REPOMD_PATH : "such directory";
    throw new RepoNotFoundError(`repo ${dir}: no ${missing}`, dir);
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
async function installDirectory(scratch: string, dir: string, baseUrl: string): Promise<void> {
  try {
    await rename(scratch, dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
    if (!(await isCacheEntry(dir))) throw foreignDirectoryError(dir, baseUrl);
  }
}

/** Whether the cache created `dir` (and may therefore use and delete it). */
async function isCacheEntry(dir: string): Promise<boolean> {
  return exists(join(dir, CACHE_ENTRY_MARKER));
}

function foreignDirectoryError(dir: string, baseUrl: string): RepoError {
  return new RepoError(
    `${dir} was not created by the repo cache, which will neither use nor delete it; ` +
      `move it away to cache ${baseUrl}`,
    baseUrl,
  );
}

/**
 * An acquisition's failure as callers see it: passwords masked in the message and the URL
 * (the causes, which may hold them, are dropped), and any other failure naming the URL.
 */
function publicError(error: unknown, url: string): Error {
  const shownUrl = maskPasswords(url);
  if (error instanceof RepoError) {
    const RepoErrorClass = error.constructor as new (message: string, url: string) => RepoError;
    return new RepoErrorClass(maskPasswords(error.message), maskPasswords(error.url));
  }
  // A local file-system failure (a read-only or full cache) keeps its errno and path.
  if (typeof (error as NodeJS.ErrnoException).path === "string") return error as Error;
  const message = maskPasswords(error instanceof Error ? error.message : String(error));
  return new RepoDownloadError(`${shownUrl}: ${message}`, shownUrl);
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

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
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
