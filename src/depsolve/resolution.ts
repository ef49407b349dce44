// What a resolution needs besides its requests, set up in one call for `koschei-admin resolve`
// and the resolver services: the repos made local (downloaded into the repo cache or used in
// place), the libsolv `.solv` cache, the resolver threads and the build group.

import { constants } from "node:fs";
import { access, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "../log/logger.js";
import {
  checkCacheDir,
  RepoCache,
  type LocalRepo,
  type RepoCacheOptions,
} from "../repo/repo-cache.js";
import { openResolverPool, type ResolverPool } from "./resolver-pool.js";

/** The comps group used as the build group when the caller gives none. */
export const DEFAULT_BUILD_GROUP = "build";

export type ResolutionOptions = SessionOptions &
  (
    | {
        /** A repo cache shared between resolutions (a service's). */
        repoCache: RepoCache;
      }
    | {
        /** Capacity and download limits of a repo cache for this session (repoCacheSettings). */
        repoCacheSettings: Omit<RepoCacheOptions, "cacheDir" | "logger">;
      }
  );

interface SessionOptions {
  /** Repositories: http(s) URLs (downloaded into the repo cache), file:// URLs or directories. */
  repos: string[];
  /** Architecture to resolve for (`dependency.resolve_for_arch`). */
  arch: string;
  /**
   * The build group: these packages, or the repos' comps group of this name (none when the
   * repos lack it); default: the comps group "build".
   */
  buildGroup?: { name: string } | { packages: string[] };
  /** `directories.cachedir`: downloaded repos go to `repodata/`, libsolv caches to `solv/`. */
  cacheDir: string;
  /** Resolver threads (1 to MAX_RESOLVER_WORKERS); default: the number of cores. */
  workers?: number;
  /** `dependency.ignore_weak_deps`. */
  ignoreWeakDeps?: boolean;
  logger: Logger;
  /** Abandons the set-up; what was acquired is released. */
  signal?: AbortSignal;
}

export interface ResolutionSession {
  /** Resolver threads holding the repos; resolve with `pool.resolveAll`. */
  pool: ResolverPool;
  /** The build group to resolve with (empty when there is none). */
  buildGroup: string[];
  /** Stops the threads and releases the repos to the cache. */
  release(): Promise<void>;
}

/** Makes the repos local, loads them into resolver threads and finds the build group. */
export async function openResolution(options: ResolutionOptions): Promise<ResolutionSession> {
  const { logger, signal } = options;
  checkCacheDir(options.cacheDir);
  const repoCache =
    "repoCache" in options
      ? options.repoCache
      : new RepoCache({ ...options.repoCacheSettings, cacheDir: options.cacheDir, logger });
  const acquired: LocalRepo[] = [];
  const releaseRepos = async () => {
    for (const repo of acquired) repo.release();
    // A cache of this session's own: wait until what it evicted is deleted.
    if (!("repoCache" in options)) await repoCache.close();
  };
  try {
    for (const repo of options.repos) {
      signal?.throwIfAborted();
      acquired.push(await repoCache.acquire(repo));
    }
    signal?.throwIfAborted();
    const pool = await openResolverPool({
      arch: options.arch,
      repos: acquired.map((repo) => repo.dir),
      cacheDir: await solvCacheDir(join(options.cacheDir, "solv"), logger),
      ignoreWeakDeps: options.ignoreWeakDeps,
      workers: options.workers,
      logger,
    });
    const group = options.buildGroup ?? { name: DEFAULT_BUILD_GROUP };
    return {
      pool,
      buildGroup: "packages" in group ? group.packages : (pool.compsGroups[group.name] ?? []),
      release: async () => {
        try {
          await pool.close();
        } finally {
          await releaseRepos();
        }
      },
    };
  } catch (error) {
    await releaseRepos();
    throw error;
  }
}

const UNWRITABLE = new Set(["EACCES", "EPERM", "EROFS"]);

/**
 * The `.solv` cache directory, created if missing; undefined (with a warning) when it cannot be
 * written, as with a read-only home: local repos are then parsed from their XML every time.
 * (Downloaded repos need a writable cache anyway, and have already failed then.)
 */
async function solvCacheDir(dir: string, logger: Logger): Promise<string | undefined> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
    return dir;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === undefined || !UNWRITABLE.has(code)) throw error;
    logger.warn(
      { dir, err: message },
      "the .solv cache directory is not writable; going without it",
    );
    return undefined;
  }
}
