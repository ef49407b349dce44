// Bounded on-disk cache of rpm-md repositories (Koschei's "L2" repo cache), which several
// processes may share.
//
// Layout under `<cacheDir>/repodata/`: one directory per cached repository, named by its key,
// holding `repodata/repomd.xml` and the metadata files the resolver needs at their repomd
// locations. A directory is only ever created by atomically renaming a fully downloaded and
// verified scratch directory, so its existence means it is complete. A process wanting a
// repository that another live process is downloading waits for that download; if two start at
// the very same moment, both succeed: the first rename wins and the other copy is deleted.
// Recency is the directory's mtime, set at every acquisition, so every process sees it.
//
// A repository in use is leased (entry-leases.ts): no process evicts it, whatever its capacity
// says. After every acquisition and release the process evicts the least recently used
// repositories beyond capacity that nobody leases, and deletes what dead processes left behind
// (their downloads, trash and leases), so the bound holds across processes once they release.
//
// The cache deletes only what it created: every scratch directory gets a marker file before
// anything else is written into it, so cached repositories and trash carry it too, and a
// directory without the marker (a user's own files) is never touched, nor used as a repository.

import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, posix, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import {
  assertValidCacheKey,
  cacheKeyForUrl,
  isValidCacheKey,
  hiddenName,
  parseCacheFileName,
  type ScratchKind,
} from "./cache-names.js";
import { downloadVerified, fetchBytes, type DownloadOptions } from "./download.js";
import {
  CACHE_FILE_CONTENT,
  evictEntry,
  isAnnounced,
  leaseEntry,
  nonce,
  removeAbandonedIntent,
} from "./entry-leases.js";
import {
  RepoChecksumError,
  RepoDownloadError,
  RepoError,
  RepoInconsistentError,
  RepoNotFoundError,
} from "./errors.js";
import { currentProcessOwner, isRunning } from "../process/process-owner.js";
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
/** Longest pause between looks at another process's download of a wanted repository. */
const MAX_DOWNLOAD_WAIT_PAUSE_MS = 1000;

/** The file marking a directory as created by this cache (so the cache may delete it). */
export const CACHE_ENTRY_MARKER = ".koschei-repo-cache";

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
  private readonly capacity: number;
  private readonly download: DownloadOptions;
  private readonly logger: Logger;
  /** Downloads in progress by key, shared by this instance's concurrent acquisitions. */
  private readonly downloads = new Map<string, Promise<ParsedRepomd | "damaged">>();
  /** The last queued clean-up pass; passes run one at a time. */
  private cleanUp: Promise<void> = Promise.resolve();
  private cleanUpQueued = false;
  private readonly removals = new Set<Promise<void>>();
  private initialized?: Promise<void>;

  constructor(options: RepoCacheOptions) {
    checkCacheDir(options.cacheDir);
    if (!Number.isInteger(options.capacity) || options.capacity < 1) {
      throw new Error(`cache capacity must be a positive integer, got ${options.capacity}`);
    }
    this.root = join(options.cacheDir, "repodata");
    this.capacity = options.capacity;
    this.logger = options.logger ?? silentLogger;
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
    for (;;) {
      const releaseLease = await leaseEntry(this.root, key);
      let repomd: ParsedRepomd | "damaged";
      try {
        repomd = await this.readOrDownload(url, key, dir);
        if (repomd !== "damaged") await this.markUsed(dir);
      } catch (error) {
        releaseLease();
        throw error;
      }
      if (repomd !== "damaged") {
        this.queueCleanUp();
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          releaseLease();
          this.queueCleanUp();
        };
        return localRepo(dir, key, repomd, (type) => DOWNLOADED_TYPES.has(type), release);
      }
      // A damaged copy: download it again once no process uses it.
      releaseLease();
      if (!(await this.evict(key))) {
        throw new RepoError(`${dir} is damaged and in use by another process`, url);
      }
    }
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

  /** Waits for the clean-up after the last acquisitions and releases to finish. */
  async close(): Promise<void> {
    await this.cleanUp;
    await Promise.all(this.removals);
  }

  private async initialize(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await this.enforceCapacity();
  }

  /**
   * The repomd.xml of the cached copy in `dir`, downloaded first if there is none ("damaged" if
   * the copy cannot be read). The caller holds a lease on the key.
   */
  private async readOrDownload(
    url: string,
    key: string,
    dir: string,
  ): Promise<ParsedRepomd | "damaged"> {
    const cached = await readCachedCopy(dir, url);
    if (cached) return cached;
    let download = this.downloads.get(key);
    if (!download) {
      download = this.downloadOnce(url, key, dir).finally(() => this.downloads.delete(key));
      this.downloads.set(key, download);
    }
    return download;
  }

  /** Downloads `key`, unless another process is downloading it: then waits to use its copy. */
  private async downloadOnce(
    url: string,
    key: string,
    dir: string,
  ): Promise<ParsedRepomd | "damaged"> {
    let pauseMs = 10;
    while (await isAnnounced(this.root, "download", key)) {
      await sleep(pauseMs);
      pauseMs = Math.min(2 * pauseMs, MAX_DOWNLOAD_WAIT_PAUSE_MS);
    }
    // Their download may have failed: then there is no copy yet.
    return (await readCachedCopy(dir, url)) ?? this.fetchInto(url, key, dir);
  }

  /** Sets the recency every process sees; a failure must not fail the acquisition. */
  private async markUsed(dir: string): Promise<void> {
    // Finer than milliseconds, so that acquisitions in quick succession keep their order.
    const now = (performance.timeOrigin + performance.now()) / 1000;
    await utimes(dir, now, now).catch((error: Error) =>
      this.logger.warn({ dir, err: error.message }, "cannot mark a cached repository as used"),
    );
  }

  private async fetchInto(baseUrl: string, key: string, dir: string): Promise<ParsedRepomd> {
    // The scratch directory comes first: other processes wanting this repository wait for it.
    const scratch = this.scratchPath("download", key);
    try {
      await mkdir(scratch);
      await writeFile(join(scratch, CACHE_ENTRY_MARKER), CACHE_FILE_CONTENT);
      const repomdUrl = new URL(REPOMD_PATH, baseUrl).href;
      const raw = await this.fetchRepomd(baseUrl, repomdUrl);
      const repomd = parseRepomdFrom(raw.toString("utf8"), repomdUrl);
      const wanted = [...REQUIRED_TYPES, ...OPTIONAL_TYPES].flatMap((type) => {
        const data = findRepomdData(repomd, type);
        if (!data && REQUIRED_TYPES.includes(type)) {
          throw new RepoError(`${repomdUrl} lists no ${type} metadata`, repomdUrl);
        }
        return data ? [data] : [];
      });
      this.logger.info({ url: maskPasswords(baseUrl), dir }, "downloading a repository");
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
      if (failure) throw inconsistencyOf(failure.reason);
      if (await installDirectory(scratch, dir, baseUrl)) return repomd;
      // Another process's download came first: use its copy.
      return parseRepomdFrom(await readFile(join(dir, REPOMD_PATH), "utf8"), dir);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  private async fetchRepomd(baseUrl: string, repomdUrl: string): Promise<Buffer> {
    try {
      return await fetchBytes(repomdUrl, this.download, MAX_REPOMD_BYTES);
    } catch (error) {
      if (!(error instanceof RepoNotFoundError)) throw error;
      throw new RepoNotFoundError(
        `repository ${baseUrl} does not exist (${REPOMD_PATH}: HTTP 404); it may have been deleted`,
        baseUrl,
        { cause: error },
      );
    }
  }

  /** Queues a clean-up pass unless one is waiting to start already; close() waits for it. */
  private queueCleanUp(): void {
    if (this.cleanUpQueued) return;
    this.cleanUpQueued = true;
    this.cleanUp = this.cleanUp
      .then(() => {
        this.cleanUpQueued = false;
        return this.enforceCapacity();
      })
      .catch((error: Error) =>
        this.logger.warn({ dir: this.root, err: error.message }, "repo cache clean-up failed"),
      );
  }

  /**
   * Deletes what ended processes left behind, then evicts the least recently used repositories
   * beyond capacity that no process uses.
   */
  private async enforceCapacity(): Promise<void> {
    const cached: { key: string; mtimeMs: number }[] = [];
    for (const dirent of await readdir(this.root, { withFileTypes: true })) {
      const path = join(this.root, dirent.name);
      const hidden = parseCacheFileName(dirent.name);
      if (hidden) {
        if (isRunning(hidden.owner)) continue;
        if (hidden.kind === "lease" || hidden.kind === "evict") await removeAbandonedIntent(path);
        else if (dirent.isDirectory() && (await isCacheEntry(path))) {
          await rm(path, { recursive: true, force: true });
        }
      } else if (dirent.isDirectory() && isValidCacheKey(dirent.name)) {
        const mtimeMs = (await isCacheEntry(path)) ? await mtimeOf(path) : undefined;
        if (mtimeMs !== undefined) cached.push({ key: dirent.name, mtimeMs });
      }
    }
    cached.sort((a, b) => a.mtimeMs - b.mtimeMs);
    let excess = cached.length - this.capacity;
    for (const { key, mtimeMs } of cached) {
      if (excess <= 0) break;
      if (await this.evict(key, mtimeMs)) excess--;
    }
  }

  /**
   * Evicts `key` unless a process uses it (or used it since `lastUsedMs`): moves it out of the
   * way at once (so its key can be downloaded again immediately) and deletes it in the
   * background. Returns whether it is gone.
   */
  private async evict(key: string, lastUsedMs?: number): Promise<boolean> {
    const trash = this.scratchPath("trash");
    if (!(await evictEntry(this.root, key, trash, lastUsedMs))) return false;
    this.logger.debug({ key }, "evicted a cached repository");
    // A failed deletion leaves trash that is deleted once this process has ended.
    const removal = rm(trash, { recursive: true, force: true }).catch(() => undefined);
    this.removals.add(removal);
    void removal.finally(() => this.removals.delete(removal));
    return true;
  }

  private scratchPath(kind: ScratchKind, key?: string): string {
    return join(this.root, hiddenName(kind, currentProcessOwner(), nonce(), key));
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

/**
 * Renames the finished download into place and returns true; false if another process got there
 * first (theirs is kept).
 */
async function installDirectory(scratch: string, dir: string, baseUrl: string): Promise<boolean> {
  try {
    await rename(scratch, dir);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
    if (!(await isCacheEntry(dir))) throw foreignDirectoryError(dir, baseUrl);
    return false;
  }
}

/** The repomd.xml of the cache's copy in `dir`: undefined if none, "damaged" if unreadable. */
async function readCachedCopy(
  dir: string,
  url: string,
): Promise<ParsedRepomd | "damaged" | undefined> {
  // Existence first: another process's copy appears by one rename with its marker inside, so
  // the other order could see no marker, then the directory just renamed into place.
  if (!(await exists(dir))) return undefined;
  if (!(await isCacheEntry(dir))) throw foreignDirectoryError(dir, url);
  try {
    return parseRepomd(await readFile(join(dir, REPOMD_PATH), "utf8"));
  } catch {
    return "damaged";
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
 * A file that does not match the repomd.xml of the same download as RepoInconsistentError: the
 * repository changed under the download, a failure to try again later rather than a defect.
 */
function inconsistencyOf(error: unknown): unknown {
  if (!(error instanceof RepoChecksumError)) return error;
  return new RepoInconsistentError(
    `${error.message}; the repository is probably being regenerated, to be downloaded again later`,
    error.url,
    { cause: error },
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

/** The mtime of `path`, or undefined if it is gone (another process evicted it). */
async function mtimeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
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
